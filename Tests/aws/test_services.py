"""ECS services on `berth agent --engine fake --time-scale 0.02` with the real aws CLI and boto3:
create/update/describe/delete, the services-stable and services-inactive waiters, scaling,
rolling updates within minimumHealthyPercent/maximumPercent, the restart throttle, the circuit
breaker with rollback, replacement of tasks stopped from outside, SIGKILL mid-deployment, the
`berth service` CLI, and response shapes checked strictly against botocore's model.

With --time-scale 0.02 every controller timer runs 50x faster: a task without a health check
counts as healthy 0.8 s after RUNNING (40 s in ECS), throttle delays start at 0.2 s.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import botocore.exceptions
import pytest

from conftest import BERTH, Agent, simple_taskdef
from shapes import check_output

SCALE = "0.02"
FAST = {"Delay": 1, "MaxAttempts": 60}


@pytest.fixture(scope="module")
def svc_agent():
    state = tempfile.mkdtemp(prefix="berth-svc-test-")
    a = Agent(state, extra_args=["--time-scale", SCALE])
    try:
        yield a
    finally:
        a.stop()
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture()
def fresh_svc_agent():
    state = tempfile.mkdtemp(prefix="berth-svc-test-")
    a = Agent(state, extra_args=["--time-scale", SCALE])
    try:
        yield a
    finally:
        a.stop()
        shutil.rmtree(state, ignore_errors=True)


def error_of(fn, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as info:
        fn(**kwargs)
    e = info.value.response
    return e["Error"]["Code"], e["Error"]["Message"]


def strict(operation, body):
    """Shape problems, ignoring the documented Berth extension member `berthThrottle`."""
    return [p for p in check_output(operation, body) if ".berthThrottle" not in p]


def describe(ecs, name, cluster="default"):
    out = ecs.describe_services(cluster=cluster, services=[name])
    assert out["failures"] == [], out["failures"]
    return out["services"][0]


def wait_until(predicate, timeout=30, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def service_tasks(ecs, name, status="RUNNING", cluster="default"):
    arns = [a for p in ecs.get_paginator("list_tasks").paginate(cluster=cluster, serviceName=name, desiredStatus=status)
            for a in p["taskArns"]]
    if not arns:
        return []
    out = []
    for i in range(0, len(arns), 100):
        out += ecs.describe_tasks(cluster=cluster, tasks=arns[i:i + 100])["tasks"]
    return out


def test_create_and_services_stable_with_aws_cli(svc_agent):
    svc_agent.aws("register-task-definition", "--cli-input-json", json.dumps(simple_taskdef("svc-web")))
    created = svc_agent.aws("create-service", "--service-name", "web", "--task-definition", "svc-web", "--desired-count", "3")
    s = created["service"]
    assert s["serviceArn"] == "arn:aws:ecs:us-east-1:000000000000:service/default/web"
    assert s["status"] == "ACTIVE" and s["desiredCount"] == 3 and s["schedulingStrategy"] == "REPLICA"
    assert s["deploymentConfiguration"]["maximumPercent"] == 200
    assert s["deploymentConfiguration"]["minimumHealthyPercent"] == 100
    [d] = s["deployments"]
    assert d["status"] == "PRIMARY" and d["id"].startswith("ecs-svc/") and len(d["id"]) == len("ecs-svc/") + 19
    assert d["rolloutState"] == "IN_PROGRESS" and d["rolloutStateReason"] == f"ECS deployment {d['id']} in progress."
    wait = svc_agent.aws("wait", "services-stable", "--services", "web", check=False)
    assert wait.returncode == 0, wait.stderr
    s = svc_agent.aws("describe-services", "--services", "web")["services"][0]
    assert s["runningCount"] == 3 and s["pendingCount"] == 0 and len(s["deployments"]) == 1
    tasks = svc_agent.aws("list-tasks", "--service-name", "web")["taskArns"]
    assert len(tasks) == 3
    described = svc_agent.aws("describe-tasks", "--tasks", *tasks)["tasks"]
    assert {t["group"] for t in described} == {"service:web"}
    assert {t["startedBy"] for t in described} == {d["id"]}
    assert {t["lastStatus"] for t in described} == {"RUNNING"}
    # A steady service: COMPLETED rollout and the ECS events, newest first.
    s = wait_until(lambda: (lambda x: x if x["deployments"][0]["rolloutState"] == "COMPLETED" else None)(describe(svc_agent.boto(), "web")),
                   what="rollout COMPLETED")
    messages = [e["message"] for e in s["events"]]
    assert messages[0] == "(service web) has reached a steady state."
    assert f"(service web) (deployment {d['id']}) deployment completed." in messages
    assert any(m.startswith("(service web) has started 3 tasks: (task ") for m in messages)
    assert s["deployments"][0]["rolloutStateReason"] == f"ECS deployment {d['id']} completed."


def test_response_shapes_match_botocore(svc_agent):
    ecs = svc_agent.boto()
    ecs.register_task_definition(**simple_taskdef("svc-shape"))
    body = {"serviceName": "shape", "taskDefinition": "svc-shape", "desiredCount": 1,
            "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": True},
                                        "minimumHealthyPercent": 50, "maximumPercent": 150},
            "tags": [{"key": "team", "value": "a"}], "propagateTags": "SERVICE"}
    status, _, out = svc_agent.raw("CreateService", body)
    assert status == 200 and strict("CreateService", out) == []
    ecs.get_waiter("services_stable").wait(services=["shape"], WaiterConfig=FAST)
    status, _, out = svc_agent.raw("DescribeServices", {"services": ["shape", "nope"], "include": ["TAGS"]})
    assert status == 200 and strict("DescribeServices", out) == []
    assert out["failures"] == [{"arn": "arn:aws:ecs:us-east-1:000000000000:service/default/nope", "reason": "MISSING"}]
    assert out["services"][0]["tags"] == [{"key": "team", "value": "a"}]
    for op, req in [("UpdateService", {"service": "shape", "desiredCount": 2}), ("ListServices", {}),
                    ("DeleteService", {"service": "shape", "force": True})]:
        status, _, out = svc_agent.raw(op, req)
        assert status == 200 and strict(op, out) == [], (op, out)
    # Tasks of a service carry its tags when propagateTags is SERVICE.
    tasks = ecs.describe_tasks(tasks=ecs.list_tasks(serviceName="shape", desiredStatus="STOPPED")["taskArns"] or
                               ecs.list_tasks(serviceName="shape")["taskArns"], include=["TAGS"])["tasks"]
    assert tasks and all({"key": "team", "value": "a"} in t["tags"] for t in tasks)


def test_scale_up_and_down(svc_agent):
    ecs = svc_agent.boto()
    ecs.register_task_definition(**simple_taskdef("svc-scale"))
    ecs.create_service(serviceName="scale", taskDefinition="svc-scale", desiredCount=0)
    ecs.get_waiter("services_stable").wait(services=["scale"], WaiterConfig=FAST)
    assert service_tasks(ecs, "scale") == []
    ecs.update_service(service="scale", desiredCount=5)
    ecs.get_waiter("services_stable").wait(services=["scale"], WaiterConfig=FAST)
    assert len([t for t in service_tasks(ecs, "scale") if t["lastStatus"] == "RUNNING"]) == 5
    deployment = describe(ecs, "scale")["deployments"][0]["id"]
    ecs.update_service(service="scale", desiredCount=2)
    ecs.get_waiter("services_stable").wait(services=["scale"], WaiterConfig=FAST)
    s = describe(ecs, "scale")
    assert s["runningCount"] == 2 and s["deployments"][0]["id"] == deployment  # no new deployment for a scale
    wait_until(lambda: len(service_tasks(ecs, "scale")) == 2, what="3 tasks stopped")
    stopped = service_tasks(ecs, "scale", status="STOPPED")
    assert len(stopped) == 3
    for t in stopped:
        assert t["stopCode"] == "ServiceSchedulerInitiated"
        assert t["stoppedReason"] == f"Scaling activity initiated by (deployment {deployment})"
    assert any(e["message"].startswith("(service scale) has stopped 3 running tasks: ") for e in s["events"])


def test_rolling_update_respects_min_healthy_and_max_percent(svc_agent):
    ecs = svc_agent.boto()
    ecs.register_task_definition(**simple_taskdef("svc-roll"))
    v2 = ecs.register_task_definition(**simple_taskdef("svc-roll", command=("sleep", "2000")))["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(serviceName="roll", taskDefinition="svc-roll:1", desiredCount=4,
                       deploymentConfiguration={"minimumHealthyPercent": 50, "maximumPercent": 150})
    ecs.get_waiter("services_stable").wait(services=["roll"], WaiterConfig=FAST)
    wait_until(lambda: describe(ecs, "roll")["deployments"][0]["rolloutState"] == "COMPLETED", what="first rollout")
    time.sleep(1)  # all four tasks past the 40 s (x0.02) healthy rule
    samples = []
    done = threading.Event()

    def sample():
        while not done.is_set():
            tasks = service_tasks(ecs, "roll")
            live = [t for t in tasks if t["lastStatus"] != "STOPPED"]
            running = [t for t in live if t["lastStatus"] == "RUNNING"]
            healthy = [t for t in running if t["desiredStatus"] == "RUNNING"
                       and time.time() - t["startedAt"].timestamp() >= 40 * float(SCALE)]
            samples.append((len(live), len(healthy)))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        ecs.update_service(service="roll", taskDefinition=v2)
        wait_until(lambda: (lambda s: len(s["deployments"]) == 1 and s["deployments"][0]["rolloutState"] == "COMPLETED"
                            and s["runningCount"] == 4)(describe(ecs, "roll")), timeout=60, what="rolling update")
    finally:
        done.set()
        sampler.join()
    assert samples, "no samples taken"
    assert max(live for live, _ in samples) <= 6, samples
    # Healthy from the outside (RUNNING, not being stopped, 40 s scaled) never dropped below ceil(4 * 50%) = 2;
    # sampling can briefly miss a task that is exactly at the 0.8 s boundary, so allow the documented bound only.
    assert min(h for _, h in samples) >= 2, samples
    s = describe(ecs, "roll")
    assert s["taskDefinition"] == v2 and s["deployments"][0]["taskDefinition"] == v2
    # A rollout that completed reports no stall (configuration deadlock, throttle) event.
    assert not [e["message"] for e in s["events"] if "unable to" in e["message"]], s["events"]
    assert {t["taskDefinitionArn"] for t in service_tasks(ecs, "roll")} == {v2}


def test_crash_loop_is_throttled_with_growing_delays():
    # Its own agent at --time-scale 0.05: a task counts as healthy after 2 s (40 s scaled), well
    # past the fake container's exit 0.5 s after RUNNING plus the agent's 0.25 s engine poll.
    state = tempfile.mkdtemp(prefix="berth-svc-test-")
    agent = Agent(state, extra_args=["--time-scale", "0.05"])
    try:
        ecs = agent.boto()
        ecs.register_task_definition(**simple_taskdef("svc-crash", command=("false",)))
        ecs.create_service(serviceName="crash", taskDefinition="svc-crash", desiredCount=1)
        s = wait_until(lambda: (lambda x: x if "berthThrottle" in x else None)(
            agent.raw("DescribeServices", {"services": ["crash"]})[2]["services"][0]), timeout=30, what="throttle")
        t = s["berthThrottle"]
        assert t["consecutiveFailures"] >= 3 and t["until"] > time.time() - 1 and "exit code 1" in t["reason"]
        assert t["message"].startswith("launches held back for ")
        messages = [e["message"] for e in s["events"]]
        assert "(service crash) is unable to consistently start tasks successfully. For more information, see the " \
               "Troubleshooting section of the Amazon ECS Developer Guide." in messages

        def growing():
            starts = sorted(e["createdAt"].timestamp() for e in describe(ecs, "crash")["events"]
                            if "has started 1 tasks" in e["message"])
            gaps = [b - a for a, b in zip(starts, starts[1:])]
            return len(gaps) >= 5 and gaps[-1] > 2 * gaps[0] and all(b >= a - 0.3 for a, b in zip(gaps[2:], gaps[3:]))

        wait_until(growing, timeout=60, what="launch gaps growing")
        wait_until(lambda: "launches held until " in agent.berth("service", "describe", "crash").stdout, timeout=30,
                   what="berth service describe showing the throttle")
        ecs.delete_service(service="crash", force=True)
    finally:
        agent.stop()
        shutil.rmtree(state, ignore_errors=True)


def test_circuit_breaker_rolls_back_to_last_completed(svc_agent):
    ecs = svc_agent.boto()
    good = ecs.register_task_definition(**simple_taskdef("svc-cb"))["taskDefinition"]["taskDefinitionArn"]
    bad = ecs.register_task_definition(**simple_taskdef("svc-cb", command=("false",)))["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(serviceName="cb", taskDefinition=good, desiredCount=2,
                       deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    wait_until(lambda: describe(ecs, "cb")["deployments"][0]["rolloutState"] == "COMPLETED", what="first rollout")
    completed = describe(ecs, "cb")["deployments"][0]["id"]
    failing = ecs.update_service(service="cb", taskDefinition=bad)["service"]["deployments"][0]["id"]
    s = wait_until(lambda: (lambda x: x if x["deployments"][0]["taskDefinition"] == good
                            and x["deployments"][0]["id"] != completed else None)(describe(ecs, "cb")),
                   timeout=60, what="rollback deployment")
    primary = s["deployments"][0]
    assert primary["rolloutStateReason"] == f"ECS deployment circuit breaker: rolling back to deploymentId {completed}."
    messages = [e["message"] for e in s["events"]]
    assert f"(service cb) (deployment {failing}) deployment failed: tasks failed to start." in messages
    assert f"(service cb) rolling back to deployment {completed}." in messages
    ecs.get_waiter("services_stable").wait(services=["cb"], WaiterConfig=FAST)
    assert {t["taskDefinitionArn"] for t in service_tasks(ecs, "cb")} == {good}


def test_task_stopped_from_outside_is_replaced(svc_agent):
    ecs = svc_agent.boto()
    ecs.register_task_definition(**simple_taskdef("svc-ext"))
    ecs.create_service(serviceName="ext", taskDefinition="svc-ext", desiredCount=2)
    ecs.get_waiter("services_stable").wait(services=["ext"], WaiterConfig=FAST)
    victim = service_tasks(ecs, "ext")[0]["taskArn"]
    ecs.stop_task(task=victim, reason="chaos")
    wait_until(lambda: len([t for t in service_tasks(ecs, "ext") if t["lastStatus"] == "RUNNING"]) == 2
               and victim not in [t["taskArn"] for t in service_tasks(ecs, "ext")], what="replacement")
    stopped = ecs.describe_tasks(tasks=[victim])["tasks"][0]
    assert stopped["stopCode"] == "UserInitiated" and stopped["stoppedReason"] == "chaos"


def test_delete_service_and_services_inactive_with_aws_cli(svc_agent):
    ecs = svc_agent.boto()
    ecs.register_task_definition(**simple_taskdef("svc-del"))
    ecs.create_service(serviceName="del", taskDefinition="svc-del", desiredCount=2)
    ecs.get_waiter("services_stable").wait(services=["del"], WaiterConfig=FAST)
    code, msg = error_of(ecs.delete_service, service="del")
    assert (code, msg) == ("InvalidParameterException", "The service cannot be stopped while it is scaled above 0.")
    out = svc_agent.aws("delete-service", "--service", "del", "--force")["service"]
    assert out["status"] == "DRAINING" and out["desiredCount"] == 0
    wait = svc_agent.aws("wait", "services-inactive", "--services", "del", check=False)
    assert wait.returncode == 0, wait.stderr
    s = describe(ecs, "del")
    assert s["status"] == "INACTIVE"
    assert s["deployments"] == [] and s["taskDefinition"].endswith("task-definition/svc-del:1")
    assert svc_agent.aws("describe-services", "--services", "del")["services"][0]["deployments"] == []
    assert service_tasks(ecs, "del") == []
    assert "arn:aws:ecs:us-east-1:000000000000:service/default/del" not in ecs.list_services()["serviceArns"]
    assert error_of(ecs.update_service, service="del", desiredCount=1) == ("ServiceNotActiveException", "Service was not ACTIVE.")
    # services-stable fails at once for an INACTIVE service.
    wait = svc_agent.aws("wait", "services-stable", "--services", "del", check=False)
    assert wait.returncode != 0
    # The name can be used again once INACTIVE.
    assert ecs.create_service(serviceName="del", taskDefinition="svc-del", desiredCount=0)["service"]["status"] == "ACTIVE"
    # Scaled to 0, it is deleted without force: DRAINING lists the PRIMARY, INACTIVE none.
    out = ecs.delete_service(service="del")["service"]
    assert out["status"] == "DRAINING" and [d["status"] for d in out["deployments"]] == ["PRIMARY"]
    ecs.get_waiter("services_inactive").wait(services=["del"], WaiterConfig=FAST)
    assert describe(ecs, "del")["deployments"] == []


def test_errors(svc_agent):
    ecs = svc_agent.boto()
    ecs.register_task_definition(**simple_taskdef("svc-err"))
    ecs.create_service(serviceName="err", taskDefinition="svc-err", desiredCount=0)
    assert error_of(ecs.create_service, serviceName="err", taskDefinition="svc-err", desiredCount=0) == \
        ("InvalidParameterException", "Creation of service was not idempotent.")
    assert error_of(ecs.update_service, service="nope", desiredCount=1) == ("ServiceNotFoundException", "Service not found.")
    assert error_of(ecs.delete_service, service="nope")[0] == "ServiceNotFoundException"
    assert error_of(ecs.list_tasks, serviceName="nope")[0] == "ServiceNotFoundException"
    assert error_of(ecs.describe_services, cluster="no-such", services=["err"])[0] == "ClusterNotFoundException"
    assert error_of(ecs.create_service, cluster="no-such", serviceName="x", taskDefinition="svc-err", desiredCount=1)[0] == \
        "ClusterNotFoundException"
    code, msg = error_of(ecs.update_service, service="err", deploymentConfiguration={"minimumHealthyPercent": 120})
    assert code == "InvalidParameterException" and "minimumHealthyPercent" in msg
    code, msg = error_of(ecs.update_service, service="err", desiredCount=-1)
    assert code == "InvalidParameterException" and "desiredCount" in msg
    code, msg = error_of(ecs.create_service, serviceName="lb", taskDefinition="svc-err", desiredCount=1,
                         loadBalancers=[{"targetGroupArn": "arn:x", "containerName": "app", "containerPort": 80}])
    assert code == "InvalidParameterException" and "is not a target group ARN" in msg
    code, msg = error_of(ecs.create_service, serviceName="lb", taskDefinition="svc-err", desiredCount=1,
                         loadBalancers=[{"loadBalancerName": "classic", "containerName": "app", "containerPort": 80}])
    assert code == "UnsupportedFeatureException" and "loadBalancerName" in msg
    assert error_of(ecs.create_service, serviceName="nodef", taskDefinition="no-such-family", desiredCount=1)[0] == "ClientException"
    assert error_of(ecs.create_service, serviceName="bad name", taskDefinition="svc-err", desiredCount=1)[0] == \
        "InvalidParameterException"
    assert error_of(ecs.describe_services, services=[])[0] == "InvalidParameterException"
    assert error_of(ecs.describe_services, services=[f"s{i}" for i in range(11)])[0] == "InvalidParameterException"
    # A cluster with an active service cannot be deleted; its count shows in DescribeClusters.
    ecs.create_cluster(clusterName="svc-busy")
    ecs.create_service(cluster="svc-busy", serviceName="one", taskDefinition="svc-err", desiredCount=0)
    assert ecs.describe_clusters(clusters=["svc-busy"])["clusters"][0]["activeServicesCount"] == 1
    assert error_of(ecs.delete_cluster, cluster="svc-busy")[0] == "ClusterContainsServicesException"
    ecs.delete_service(cluster="svc-busy", service="one")
    ecs.get_waiter("services_inactive").wait(cluster="svc-busy", services=["one"], WaiterConfig=FAST)
    assert ecs.delete_cluster(cluster="svc-busy")["cluster"]["status"] == "INACTIVE"


def test_service_members_are_echoed_or_refused_by_name(fresh_svc_agent):
    """role, capacityProviderStrategy, placementStrategy, availabilityZoneRebalancing: echoed as ECS
    does and kept across an agent restart; placement on Fargate and blue/green settings refused."""
    a = fresh_svc_agent
    ecs = a.boto()
    ecs.register_task_definition(**simple_taskdef("svc-members"))
    spot = [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    out = ecs.create_service(serviceName="spot", taskDefinition="svc-members", desiredCount=0, role="ecsServiceRole",
                             capacityProviderStrategy=spot, availabilityZoneRebalancing="DISABLED")["service"]
    assert out["roleArn"] == "arn:aws:iam::000000000000:role/ecsServiceRole" and out["capacityProviderStrategy"] == spot
    assert "launchType" not in out and out["availabilityZoneRebalancing"] == "DISABLED"
    spread = [{"type": "spread", "field": "attribute:ecs.availability-zone"}]
    out = ecs.create_service(serviceName="ec2", taskDefinition="svc-members", desiredCount=0, launchType="EC2",
                             placementStrategy=spread)["service"]
    assert out["placementStrategy"] == spread and out["availabilityZoneRebalancing"] == "ENABLED"
    ecs.update_service(service="ec2", availabilityZoneRebalancing="DISABLED")
    status, _, body = a.raw("DescribeServices", {"services": ["spot", "ec2"]})
    assert status == 200 and strict("DescribeServices", body) == []
    a.stop()
    a.start()
    ecs = a.boto()
    assert describe(ecs, "spot")["capacityProviderStrategy"] == spot and describe(ecs, "spot")["roleArn"].endswith(":role/ecsServiceRole")
    assert describe(ecs, "ec2")["placementStrategy"] == spread and describe(ecs, "ec2")["availabilityZoneRebalancing"] == "DISABLED"
    assert error_of(ecs.create_service, serviceName="f", taskDefinition="svc-members", desiredCount=0, launchType="FARGATE",
                    placementConstraints=[{"type": "distinctInstance"}]) == \
        ("InvalidParameterException", "Placement constraints are not supported with FARGATE launch type.")
    assert error_of(ecs.create_service, serviceName="f", taskDefinition="svc-members", desiredCount=0,
                    capacityProviderStrategy=[{"capacityProvider": "FARGATE"}], placementStrategy=spread) == \
        ("InvalidParameterException", "Placement strategies are not supported with FARGATE launch type.")
    code, msg = error_of(ecs.create_service, serviceName="f", taskDefinition="svc-members", desiredCount=0,
                         deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5})
    assert code == "UnsupportedFeatureException" and msg.startswith("deploymentConfiguration.strategy BLUE_GREEN") and "ROLLING" in msg
    code, msg = error_of(ecs.update_service, service="ec2", deploymentConfiguration={"linearConfiguration": {"stepPercent": 10.0}})
    assert code == "UnsupportedFeatureException" and msg.startswith("deploymentConfiguration.linearConfiguration")


def test_list_services_paginates(svc_agent):
    ecs = svc_agent.boto()
    ecs.create_cluster(clusterName="svc-many")
    ecs.register_task_definition(**simple_taskdef("svc-many"))
    names = [f"m{i:02d}" for i in range(12)]
    for n in names:
        ecs.create_service(cluster="svc-many", serviceName=n, taskDefinition="svc-many", desiredCount=0)
    first = ecs.list_services(cluster="svc-many")
    assert len(first["serviceArns"]) == 10 and "nextToken" in first  # ECS default page size for ListServices
    arns = [a for p in ecs.get_paginator("list_services").paginate(cluster="svc-many", PaginationConfig={"PageSize": 5})
            for a in p["serviceArns"]]
    assert sorted(a.rsplit("/", 1)[1] for a in arns) == names
    assert ecs.list_services(cluster="svc-many", launchType="FARGATE")["serviceArns"] == []
    assert error_of(ecs.list_services, cluster="svc-many", nextToken="garbage")[0] == "InvalidParameterException"


def test_sigkill_mid_deployment_resumes_same_deployment(fresh_svc_agent):
    a = fresh_svc_agent
    ecs = a.boto()
    ecs.register_task_definition(**simple_taskdef("svc-kill"))
    v2 = ecs.register_task_definition(**simple_taskdef("svc-kill", command=("sleep", "3000")))["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(serviceName="k", taskDefinition="svc-kill:1", desiredCount=3,
                       deploymentConfiguration={"minimumHealthyPercent": 100, "maximumPercent": 200})
    ecs.get_waiter("services_stable").wait(services=["k"], WaiterConfig=FAST)
    out = ecs.update_service(service="k", taskDefinition=v2)["service"]
    new_id = out["deployments"][0]["id"]
    old_id = out["deployments"][1]["id"]
    wait_until(lambda: any(t["startedBy"] == new_id for t in service_tasks(ecs, "k")), timeout=10, what="first new task")
    a.stop(sig=signal.SIGKILL)
    a.start()
    ecs = a.boto()
    s = describe(ecs, "k")
    assert [d["id"] for d in s["deployments"]][:1] == [new_id]  # resumed, not restarted
    ecs.get_waiter("services_stable").wait(services=["k"], WaiterConfig=FAST)
    s = describe(ecs, "k")
    assert [d["id"] for d in s["deployments"]] == [new_id] and s["taskDefinition"] == v2
    live = service_tasks(ecs, "k")
    assert len(live) == 3 and {t["startedBy"] for t in live} == {new_id}, live
    everything = service_tasks(ecs, "k") + service_tasks(ecs, "k", status="STOPPED")
    ids = [t["taskArn"] for t in everything]
    assert len(ids) == len(set(ids))
    assert {t["startedBy"] for t in everything} <= {new_id, old_id}
    assert "service" in open(os.path.join(a.state_dir, "agent.log")).read()


def test_berth_service_cli(svc_agent):
    ecs = svc_agent.boto()
    ecs.register_task_definition(**simple_taskdef("svc-cli"))
    out = svc_agent.berth("service", "create", "cli", "--task-definition", "svc-cli", "--desired-count", "2",
                          "--min-healthy-percent", "50", "--circuit-breaker", "on", "--rollback", "on", "--wait").stdout
    assert "Service:          cli (ACTIVE)" in out and "running 2" in out and "circuit breaker on (rollback)" in out
    ls = svc_agent.berth("service", "ls").stdout
    assert ls.splitlines()[0].split()[:3] == ["NAME", "STATUS", "TASK"] and any(l.startswith("cli ") for l in ls.splitlines())
    doc = json.loads(svc_agent.berth("service", "describe", "cli", "--output", "json").stdout)
    assert doc["services"][0]["serviceName"] == "cli" and doc["failures"] == []
    ecs.register_task_definition(**simple_taskdef("svc-cli", command=("sleep", "77")))
    out = svc_agent.berth("service", "update", "cli", "--task-definition", "svc-cli:2", "--wait").stdout
    assert "svc-cli:2" in out
    text = svc_agent.berth("service", "describe", "cli").stdout
    assert "DEPLOYMENT" in text and "ROLLOUT" in text and "svc-cli:2" in text
    events = svc_agent.berth("service", "events", "cli").stdout
    assert "has started 2 tasks" in events
    missing = svc_agent.berth("service", "describe", "nope", check=False)
    assert missing.returncode == 1 and "MISSING" in missing.stderr
    refused = svc_agent.berth("service", "rm", "cli", check=False)
    assert refused.returncode == 1 and "scaled above 0" in refused.stderr
    assert "INACTIVE" in svc_agent.berth("service", "rm", "cli", "--force", "--wait").stdout
    bad = svc_agent.berth("service", "create", "x", "--desired-count", "1", check=False)
    assert bad.returncode != 0 and "--task-definition" in bad.stderr


def test_controller_config_file_sets_timers(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"throttle": {"baseDelay": 1}}')
    proc = subprocess.run([BERTH, "agent", "--engine", "fake", "--state-dir", str(tmp_path / "s1"), "--socket", "none",
                           "--listen", "none", "--controller-config", str(bad)], capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0 and "unknown member throttle.baseDelay" in proc.stderr
    good = tmp_path / "good.json"
    good.write_text('{"healthyAfterRunningSeconds": 1}')
    state = tempfile.mkdtemp(prefix="berth-svc-test-")
    a = Agent(state, extra_args=["--controller-config", str(good)])
    try:
        ecs = a.boto()
        ecs.register_task_definition(**simple_taskdef("svc-cfg"))
        started = time.time()
        ecs.create_service(serviceName="cfg", taskDefinition="svc-cfg", desiredCount=2)
        # COMPLETED needs every task healthy: 1 s after RUNNING instead of ECS's 40 s.
        wait_until(lambda: describe(ecs, "cfg")["deployments"][0]["rolloutState"] == "COMPLETED", timeout=20, what="COMPLETED")
        assert time.time() - started < 15
        ecs.delete_service(service="cfg", force=True)
    finally:
        a.stop()
        shutil.rmtree(state, ignore_errors=True)
