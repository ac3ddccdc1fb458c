"""Application Auto Scaling and CloudWatch on `berth agent --engine fake`: raw answers fit
botocore's models member by member, errors carry the models' names, and the aws CLI drives
scheduled actions and step scaling alarms. No root needed."""
import json
import subprocess

from conftest import simple_taskdef
from shapes import check_output
from test_secrets import signed

AAS = ("application-autoscaling", "AnyScaleFrontendService.")
CW = ("cloudwatch", "GraniteServiceVersion20100801.")
RESOURCE = "service/default/shape"


def cli(agent, service, *args, check=True):
    proc = subprocess.run(["aws", service, *args, "--endpoint-url", agent.endpoint, "--output", "json"],
                          env=agent.env(), capture_output=True, text=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout) if proc.stdout.strip() else {}
    return proc


def call(agent, which, op, body):
    model, prefix = which
    signing = "monitoring" if model == "cloudwatch" else model
    status, out = signed(agent, signing, prefix + op, body)
    return status, out


def test_raw_answers_fit_botocores_models(agent):
    agent.aws("register-task-definition", "--cli-input-json", json.dumps(simple_taskdef("shape")))
    agent.aws("create-service", "--service-name", "shape", "--task-definition", "shape", "--desired-count", "1")
    dims = [{"Name": "ClusterName", "Value": "default"}, {"Name": "ServiceName", "Value": "shape"}]
    ns = {"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount", "ResourceId": RESOURCE}
    calls = [
        (AAS, "RegisterScalableTarget", {**ns, "MinCapacity": 1, "MaxCapacity": 3}),
        (AAS, "DescribeScalableTargets", {"ServiceNamespace": "ecs"}),
        (AAS, "PutScalingPolicy", {**ns, "PolicyName": "tt", "PolicyType": "TargetTrackingScaling",
                                   "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 60, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageMemoryUtilization"}}}),
        (AAS, "PutScalingPolicy", {**ns, "PolicyName": "step", "PolicyType": "StepScaling",
                                   "StepScalingPolicyConfiguration": {"AdjustmentType": "PercentChangeInCapacity", "MinAdjustmentMagnitude": 1, "Cooldown": 60,
                                                                      "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 50}]}}),
        (AAS, "DescribeScalingPolicies", {"ServiceNamespace": "ecs", "ResourceId": RESOURCE}),
        (AAS, "PutScheduledAction", {**ns, "ScheduledActionName": "night", "Schedule": "cron(0 22 * * ? *)", "Timezone": "Europe/Paris",
                                     "ScalableTargetAction": {"MaxCapacity": 2}}),
        (AAS, "DescribeScheduledActions", {"ServiceNamespace": "ecs"}),
        (AAS, "DescribeScalingActivities", {"ServiceNamespace": "ecs", "ResourceId": RESOURCE}),
        (CW, "ListMetrics", {"Namespace": "AWS/ECS"}),
        (CW, "GetMetricStatistics", {"Namespace": "AWS/ECS", "MetricName": "CPUUtilization", "Dimensions": dims, "StartTime": 0, "EndTime": 4e9,
                                     "Period": 60, "Statistics": ["Average", "SampleCount"]}),
        (CW, "GetMetricData", {"StartTime": 0, "EndTime": 4e9, "MetricDataQueries": [
            {"Id": "m", "MetricStat": {"Metric": {"Namespace": "AWS/ECS", "MetricName": "CPUUtilization", "Dimensions": dims}, "Period": 60, "Stat": "Maximum"}}]}),
        (CW, "DescribeAlarms", {}),
        (AAS, "DeleteScheduledAction", {**ns, "ScheduledActionName": "night"}),
        (AAS, "DeleteScalingPolicy", {**ns, "PolicyName": "step"}),
        (AAS, "DeregisterScalableTarget", ns),
    ]
    for which, op, body in calls:
        status, out = call(agent, which, op, body)
        assert status == 200, (op, out)
        assert check_output(op, out, service=which[0]) == [], (op, check_output(op, out, service=which[0]))
    errors = [
        (AAS, "PutScalingPolicy", {**ns, "PolicyName": "x", "PolicyType": "TargetTrackingScaling"}, "ObjectNotFoundException"),
        (AAS, "RegisterScalableTarget", {**ns, "ResourceId": "service/default/none", "MinCapacity": 1, "MaxCapacity": 2}, "ValidationException"),
        (AAS, "RegisterScalableTarget", {**ns, "ServiceNamespace": "dynamodb", "MinCapacity": 1, "MaxCapacity": 2}, "ValidationException"),
        (CW, "GetMetricStatistics", {"Namespace": "AWS/ECS", "MetricName": "CPUUtilization", "Dimensions": dims, "StartTime": 10, "EndTime": 5,
                                     "Period": 60, "Statistics": ["Average"]}, "InvalidParameterValue"),
    ]
    for which, op, body, expected in errors:
        status, out = call(agent, which, op, body)
        assert status == 400 and out["__type"] == expected, (op, out)
    # Signed for ecs, an Application Auto Scaling call is refused.
    status, out = signed(agent, "ecs", AAS[1] + "DescribeScalableTargets", {"ServiceNamespace": "ecs"})
    assert status in (400, 403), out
    agent.aws("delete-service", "--service", "shape", "--force")


def test_scheduled_action_and_step_alarm_with_the_aws_cli(agent):
    agent.aws("register-task-definition", "--cli-input-json", json.dumps(simple_taskdef("sched")))
    agent.aws("create-service", "--service-name", "sched", "--task-definition", "sched", "--desired-count", "1")
    res = ["--service-namespace", "ecs", "--scalable-dimension", "ecs:service:DesiredCount", "--resource-id", "service/default/sched"]
    cli(agent, "application-autoscaling", "register-scalable-target", *res, "--min-capacity", "1", "--max-capacity", "5")
    cli(agent, "application-autoscaling", "put-scheduled-action", *res, "--scheduled-action-name", "soon",
        "--schedule", "at(2000-01-01T00:00:00)", "--scalable-target-action", "MinCapacity=3,MaxCapacity=5")
    actions = cli(agent, "application-autoscaling", "describe-scheduled-actions", "--service-namespace", "ecs")["ScheduledActions"]
    assert [a["Schedule"] for a in actions] == ["at(2000-01-01T00:00:00)"]
    # A past at() never fires; a capacity below a new minimum is raised at once.
    cli(agent, "application-autoscaling", "register-scalable-target", *res, "--min-capacity", "2")
    import time
    deadline = time.time() + 10
    while agent.aws("describe-services", "--services", "sched")["services"][0]["desiredCount"] != 2:
        assert time.time() < deadline, "desiredCount was not raised to the new minimum"
        time.sleep(0.2)
    policy = cli(agent, "application-autoscaling", "put-scaling-policy", *res, "--policy-name", "up", "--policy-type", "StepScaling",
                 "--step-scaling-policy-configuration", json.dumps({"AdjustmentType": "ChangeInCapacity", "Cooldown": 60,
                                                                    "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]}))
    cli(agent, "cloudwatch", "put-metric-alarm", "--alarm-name", "sched-high", "--namespace", "AWS/ECS", "--metric-name", "CPUUtilization",
        "--dimensions", "Name=ClusterName,Value=default", "Name=ServiceName,Value=sched", "--statistic", "Average", "--period", "60",
        "--evaluation-periods", "2", "--threshold", "70", "--comparison-operator", "GreaterThanOrEqualToThreshold",
        "--alarm-actions", policy["PolicyARN"])
    alarms = cli(agent, "cloudwatch", "describe-alarms", "--alarm-names", "sched-high")["MetricAlarms"]
    assert alarms[0]["StateValue"] == "INSUFFICIENT_DATA" and alarms[0]["AlarmActions"] == [policy["PolicyARN"]]
    bad = cli(agent, "cloudwatch", "put-metric-alarm", "--alarm-name", "x", "--namespace", "AWS/ECS", "--metric-name", "CPUUtilization",
              "--dimensions", "Name=ClusterName,Value=default", "Name=ServiceName,Value=sched", "--statistic", "Average", "--period", "60",
              "--evaluation-periods", "2", "--threshold", "70", "--comparison-operator", "GreaterThanThreshold",
              "--alarm-actions", "arn:aws:sns:us-east-1:000000000000:topic", check=False)
    assert bad.returncode != 0 and "policy ARNs only" in bad.stderr, bad.stderr
    cli(agent, "cloudwatch", "delete-alarms", "--alarm-names", "sched-high")
    assert cli(agent, "cloudwatch", "describe-alarms", "--alarm-names", "sched-high")["MetricAlarms"] == []
    activities = cli(agent, "application-autoscaling", "describe-scaling-activities", "--service-namespace", "ecs")["ScalingActivities"]
    assert activities[0]["Description"] == "Setting desired count to 2.", activities
    cli(agent, "application-autoscaling", "deregister-scalable-target", *res)
    agent.aws("update-service", "--service", "sched", "--desired-count", "0")
    agent.aws("delete-service", "--service", "sched")
