"""ALBRequestCountPerTarget on real traffic: `aws elbv2`, `aws application-autoscaling` and
`aws cloudwatch` against `berth agent` with the REAL engine and BerthLB under `--time-scale 0.05`
(one CloudWatch minute is 3 s).

A service of 1 busybox httpd task sits behind an ALB listener on loopback. A target tracking
policy keeps RequestCountPerTarget at 50 requests per target per (scaled) minute. A client sends
a steady 47 requests a second through the listener (141 per scaled minute): after three breaching
one-minute datapoints the service scales out to ceil(1 x metric / 50) = 3, where it stays (47 per
target); when the client stops, fifteen quiet datapoints later it is back at 1. Needs root; fails without it.
"""
import http.client
import json
import math
import socket
import subprocess
import threading
import time

import pytest

from test_autoscaling import ScaledAgent, epoch, SCALE, PERIOD
from test_real_engine import agent_world, wait_until

RESOURCE = "service/default/web"
# Requests a second: 141 per scaled minute on one target (scale out to ceil(141 / 50) = 3), then
# 47 on each of 3, between the scale-in threshold (90 % of 50) and the target: it stays at 3.
RATE = 47
TASK_DEFINITION = {
    "family": "web-scaled", "networkMode": "bridge",
    "containerDefinitions": [{
        "name": "web", "image": "busybox:latest", "essential": True, "memory": 64, "stopTimeout": 2,
        "command": ["sh", "-c", "mkdir -p /tmp/www && echo hello > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"],
        "portMappings": [{"containerPort": 8080, "hostPort": 0, "protocol": "tcp"}]}]}


@pytest.fixture(scope="module")
def scaled():
    yield from agent_world("berth-aws-albscale-", ScaledAgent, "the ALB scaling story runs real containers")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class SteadyClient(threading.Thread):
    """GET / through the listener at `rate` requests a second on a keep-alive connection."""

    def __init__(self, port, rate):
        super().__init__(daemon=True)
        self.port, self.rate = port, rate
        self.stopping = threading.Event()
        self.sent = self.ok = 0

    def run(self):
        conn = None
        start = time.time()
        while not self.stopping.is_set():
            wait = start + self.sent / self.rate - time.time()
            if wait > 0:
                time.sleep(wait)
            self.sent += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/")
                r = conn.getresponse()
                r.read()
                self.ok += r.status == 200
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()


def test_request_count_per_target_scales_a_service_behind_an_alb(scaled):
    a = scaled
    elb = lambda *args: a.aws_service("elbv2", *args)
    aas = lambda *args: a.aws_service("application-autoscaling", *args)
    cw = lambda *args: a.aws_service("cloudwatch", *args)
    port = free_port()
    lb = elb("create-load-balancer", "--name", "web", "--subnets", "subnet-a", "subnet-b", "--type", "application")["LoadBalancers"][0]
    tg = elb("create-target-group", "--name", "web-tg", "--protocol", "HTTP", "--port", "8080", "--target-type", "ip", "--vpc-id", "vpc-1",
             "--health-check-path", "/", "--health-check-interval-seconds", "5", "--health-check-timeout-seconds", "2",
             "--healthy-threshold-count", "2", "--unhealthy-threshold-count", "2")["TargetGroups"][0]
    tg_arn = tg["TargetGroupArn"]
    elb("modify-target-group-attributes", "--target-group-arn", tg_arn, "--attributes", "Key=deregistration_delay.timeout_seconds,Value=1")
    elb("create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "HTTP", "--port", str(port),
        "--default-actions", f"Type=forward,TargetGroupArn={tg_arn}")
    a.aws("register-task-definition", "--cli-input-json", json.dumps(TASK_DEFINITION))
    a.aws("create-service", "--service-name", "web", "--task-definition", "web-scaled", "--desired-count", "1",
          "--load-balancers", f"targetGroupArn={tg_arn},containerName=web,containerPort=8080")
    lb_dim = lb["LoadBalancerArn"].split(":loadbalancer/")[1]
    tg_dim = "targetgroup/" + tg_arn.split(":targetgroup/")[1]
    label = f"{lb_dim}/{tg_dim}"

    def healthy():
        return [t for t in elb("describe-target-health", "--target-group-arn", tg_arn)["TargetHealthDescriptions"]
                if t["TargetHealth"]["State"] == "healthy"]

    def desired():
        return a.aws("describe-services", "--services", "web")["services"][0]["desiredCount"]

    client = None
    try:
        wait_until("one healthy target", lambda: len(healthy()) == 1, timeout=60)
        aas("register-scalable-target", "--service-namespace", "ecs", "--scalable-dimension", "ecs:service:DesiredCount",
            "--resource-id", RESOURCE, "--min-capacity", "1", "--max-capacity", "4")
        # A label naming a group the service is not registered with is refused, as AWS does.
        bad = subprocess.run(["aws", "application-autoscaling", "put-scaling-policy", "--service-namespace", "ecs",
                              "--scalable-dimension", "ecs:service:DesiredCount", "--resource-id", RESOURCE, "--policy-name", "bad",
                              "--policy-type", "TargetTrackingScaling", "--target-tracking-scaling-policy-configuration",
                              json.dumps({"TargetValue": 50.0, "PredefinedMetricSpecification": {
                                  "PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": f"{lb_dim}/targetgroup/nope/0"}}),
                              "--endpoint-url", a.endpoint], env=a.env(), capture_output=True, text=True, timeout=60)
        assert bad.returncode != 0 and "ValidationException" in bad.stderr and "no target group targetgroup/nope/0" in bad.stderr, bad.stderr
        # The scale-out cooldown (20 scaled seconds) lets new targets pass their health checks
        # before the metric is read again.
        policy = aas("put-scaling-policy", "--service-namespace", "ecs", "--scalable-dimension", "ecs:service:DesiredCount",
                     "--resource-id", RESOURCE, "--policy-name", "requests50", "--policy-type", "TargetTrackingScaling",
                     "--target-tracking-scaling-policy-configuration", json.dumps({
                         "TargetValue": 50.0, "ScaleOutCooldown": 400, "ScaleInCooldown": 60,
                         "PredefinedMetricSpecification": {"PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": label}}))
        assert [x["AlarmName"].split("-")[-6] for x in policy["Alarms"]] == ["AlarmHigh", "AlarmLow"]
        start = time.time()
        client = SteadyClient(port, RATE)
        client.start()

        wait_until("a scale-out", lambda: desired() > 1, timeout=60)
        activities = aas("describe-scaling-activities", "--service-namespace", "ecs", "--resource-id", RESOURCE)["ScalingActivities"]
        out = activities[-1]
        assert out["StatusCode"] == "Successful" and "AlarmHigh" in out["Cause"], out
        assert "changing the desired capacity from 1 to" in out["Cause"], out
        scaled_to = int(out["Description"].split()[-1].rstrip("."))

        stats = cw("get-metric-statistics", "--namespace", "AWS/ApplicationELB", "--metric-name", "RequestCountPerTarget",
                   "--dimensions", f"Name=TargetGroup,Value={tg_dim}",
                   "--start-time", str(int(start - 10)), "--end-time", str(int(time.time() + 10)),
                   "--period", str(int(PERIOD)), "--statistics", "Sum")
        points = sorted(stats["Datapoints"], key=lambda d: d["Timestamp"])
        assert points and all(d["Unit"] == "Count" for d in points), points
        decided = epoch(out["StartTime"])
        read = [d for d in points if epoch(d["Timestamp"]) + PERIOD <= decided + 0.01]
        assert read, (points, decided)
        metric = read[-1]["Sum"]
        assert 100 <= metric <= 180, (metric, points)  # ~141 requests per scaled minute on one target
        assert scaled_to == min(4, math.ceil(1 * metric / 50 - 1e-9)), (scaled_to, metric)
        alarms = cw("describe-alarms", "--alarm-name-prefix", "TargetTracking-" + RESOURCE)["MetricAlarms"]
        assert len(alarms) == 2
        assert all(x["Namespace"] == "AWS/ApplicationELB" and x["MetricName"] == "RequestCountPerTarget" and x["Statistic"] == "Sum"
                   and x["Dimensions"] == [{"Name": "TargetGroup", "Value": tg_dim}] for x in alarms), alarms
        listed = {m["MetricName"] for m in cw("list-metrics", "--namespace", "AWS/ApplicationELB")["Metrics"]}
        assert {"RequestCount", "RequestCountPerTarget", "HTTPCode_Target_2XX_Count", "TargetResponseTime",
                "HealthyHostCount", "UnHealthyHostCount"} <= listed, listed

        # The new tasks turn healthy and share the load; it stays at 3 while the client runs.
        wait_until(f"{scaled_to} healthy targets", lambda: len(healthy()) == scaled_to, timeout=40)
        time.sleep(4 * PERIOD)
        assert desired() == scaled_to
        client.stopping.set()
        client.join(5)
        assert client.ok >= client.sent * 0.95, (client.ok, client.sent)
        stopped = time.time()

        wait_until("the scale-in", lambda: desired() == 1, timeout=120)
        assert time.time() - stopped >= 10 * PERIOD  # fifteen low datapoints, most of them after the stop
        activities = aas("describe-scaling-activities", "--service-namespace", "ecs", "--resource-id", RESOURCE)["ScalingActivities"]
        assert "AlarmLow" in activities[0]["Cause"] and activities[0]["Description"] == "Setting desired count to 1.", activities[0]
        count = cw("get-metric-statistics", "--namespace", "AWS/ApplicationELB", "--metric-name", "RequestCount",
                   "--dimensions", f"Name=LoadBalancer,Value={lb_dim}",
                   "--start-time", str(int(start - 10)), "--end-time", str(int(time.time() + 10)),
                   "--period", "3600", "--statistics", "Sum")["Datapoints"]
        total = sum(d["Sum"] for d in count)
        assert client.sent * 0.95 <= total <= client.sent, (total, client.sent)
    finally:
        if client is not None:
            client.stopping.set()
        a.aws("update-service", "--service", "web", "--desired-count", "0")
        subprocess.run(["aws", "application-autoscaling", "deregister-scalable-target", "--service-namespace", "ecs",
                        "--scalable-dimension", "ecs:service:DesiredCount", "--resource-id", RESOURCE, "--endpoint-url", a.endpoint],
                       env=a.env(), capture_output=True, timeout=60)
        a.aws("delete-service", "--service", "web", "--force")
        wait_until("no running task", lambda: not a.aws("list-tasks", "--service-name", "web")["taskArns"], timeout=60)
