"""Service auto scaling on real load: `aws application-autoscaling` and `aws cloudwatch` against
`berth agent` with the REAL engine under `--time-scale 0.05` (one CloudWatch minute is 3 s).

A service of TaskDefinitions/cpu-burner.json (task cpu 256: a CFS quota of a quarter CPU; each
task burns its whole quota for 15 s, then idles) starts at 1 task with a 50 % CPU target and a
maximum of 4. The measured CPUUtilization rises, the service scales out to ceil(1 x metric / 50)
(clamped to 4) after three breaching one-minute datapoints, and back in to 1 after fifteen low
ones once the load stops. Needs root; fails without it.
"""
import json
import math
import os
import subprocess
import time

import pytest

from conftest import BERTH, REGION, REPO
from test_real_engine import RealAgent, agent_world, wait_until

SCALE = 0.05
PERIOD = 60 * SCALE
RESOURCE = "service/default/burn"


class ScaledAgent(RealAgent):
    def command(self):
        return super().command() + ["--time-scale", str(SCALE)]

    def aws_service(self, service, *args):
        proc = subprocess.run(["aws", service, *args, "--endpoint-url", self.endpoint, "--output", "json"],
                              env=self.env(), capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise AssertionError(f"aws {service} {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
        return json.loads(proc.stdout) if proc.stdout.strip() else {}


@pytest.fixture(scope="module")
def scaled():
    yield from agent_world("berth-aws-autoscale-", ScaledAgent, "the auto scaling story runs real containers")


def epoch(ts):
    """The CLI prints timestamps as ISO 8601 strings."""
    if isinstance(ts, (int, float)):
        return ts
    from datetime import datetime
    return datetime.fromisoformat(ts).timestamp()


def desired(agent):
    return agent.aws("describe-services", "--services", "burn")["services"][0]["desiredCount"]


def test_target_tracking_scales_a_real_service_out_and_back_in(scaled):
    a = scaled
    td = json.load(open(os.path.join(REPO, "TaskDefinitions", "cpu-burner.json")))
    a.aws("register-task-definition", "--cli-input-json", json.dumps(td))
    a.aws("create-service", "--service-name", "burn", "--task-definition", "cpu-burner", "--desired-count", "1")
    start = time.time()
    aas = lambda *args: a.aws_service("application-autoscaling", *args)
    aas("register-scalable-target", "--service-namespace", "ecs", "--scalable-dimension", "ecs:service:DesiredCount",
        "--resource-id", RESOURCE, "--min-capacity", "1", "--max-capacity", "4")
    policy = aas("put-scaling-policy", "--service-namespace", "ecs", "--scalable-dimension", "ecs:service:DesiredCount",
                 "--resource-id", RESOURCE, "--policy-name", "cpu50", "--policy-type", "TargetTrackingScaling",
                 "--target-tracking-scaling-policy-configuration", json.dumps({
                     "TargetValue": 50.0, "ScaleOutCooldown": 60, "ScaleInCooldown": 60,
                     "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}))
    assert [x["AlarmName"].split("-")[-6] for x in policy["Alarms"]] == ["AlarmHigh", "AlarmLow"]

    wait_until("a scale-out", lambda: desired(a) > 1, timeout=60)
    activities = aas("describe-scaling-activities", "--service-namespace", "ecs", "--resource-id", RESOURCE)["ScalingActivities"]
    out = activities[-1]
    assert out["StatusCode"] == "Successful"
    assert "AlarmHigh" in out["Cause"] and "changing the desired capacity from 1 to" in out["Cause"], out
    scaled_to = int(out["Description"].split()[-1].rstrip("."))

    # The datapoint the decision read: the last complete one-minute period before it.
    stats = a.aws_service("cloudwatch", "get-metric-statistics", "--namespace", "AWS/ECS", "--metric-name", "CPUUtilization",
                          "--dimensions", "Name=ClusterName,Value=default", "Name=ServiceName,Value=burn",
                          "--start-time", str(int(start - 10)), "--end-time", str(int(time.time() + 10)),
                          "--period", str(int(PERIOD)), "--statistics", "Average", "Maximum", "SampleCount")
    points = sorted(stats["Datapoints"], key=lambda d: d["Timestamp"])
    assert points and max(d["Maximum"] for d in points) > 50, points
    shown = a.berth("service", "describe", "burn").stdout
    assert "Auto scaling:     min 1, max 4" in shown, shown
    assert "Policy:           cpu50: target tracking ECSServiceAverageCPUUtilization at 50.0" in shown, shown
    assert "Metrics:          CPUUtilization " in shown and "Setting desired count to" in shown, shown
    alarms = a.aws_service("cloudwatch", "describe-alarms", "--alarm-name-prefix", "TargetTracking-" + RESOURCE)["MetricAlarms"]
    assert len(alarms) == 2
    decided = epoch(out["StartTime"])
    read = [d for d in points if epoch(d["Timestamp"]) + PERIOD <= decided + 0.01]
    assert read, (points, decided)
    metric = read[-1]["Average"]
    assert scaled_to == min(4, math.ceil(1 * metric / 50 - 1e-9)), (scaled_to, metric)

    # The load stops 15 s after each task starts: the service goes back to its minimum.
    wait_until("the scale-in", lambda: desired(a) == 1, timeout=150)
    activities = aas("describe-scaling-activities", "--service-namespace", "ecs", "--resource-id", RESOURCE)["ScalingActivities"]
    assert "AlarmLow" in activities[0]["Cause"] and activities[0]["Description"] == "Setting desired count to 1.", activities[0]
    events = [e["message"] for e in a.aws("describe-services", "--services", "burn")["services"][0]["events"]]
    assert any("by Application Auto Scaling" in m for m in events), events
    wait_until("one running task", lambda: len(a.aws("list-tasks", "--service-name", "burn", "--desired-status", "RUNNING")["taskArns"]) == 1, timeout=30)
    a.aws("update-service", "--service", "burn", "--desired-count", "0")
    aas("deregister-scalable-target", "--service-namespace", "ecs", "--scalable-dimension", "ecs:service:DesiredCount", "--resource-id", RESOURCE)
    a.aws("delete-service", "--service", "burn", "--force")
