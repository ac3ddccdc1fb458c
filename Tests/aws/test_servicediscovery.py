"""AWS Cloud Map (servicediscovery) on the agent's endpoint with the real aws CLI, and ECS
services registered in it (`serviceRegistries`, `serviceConnectConfiguration`) on
`berth agent --engine fake --time-scale 0.02`. Raw answers are checked strictly against
botocore's servicediscovery model."""
import json
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest

from conftest import REGION, Agent
from shapes import check_output

PREFIX = "Route53AutoNaming_v20170314."
NETWORK = "awsvpcConfiguration={subnets=[subnet-1]}"


@pytest.fixture(scope="module")
def sd_agent():
    state = tempfile.mkdtemp(prefix="berth-sd-test-")
    a = Agent(state, extra_args=["--time-scale", "0.02"])
    try:
        yield a
    finally:
        a.stop()
        shutil.rmtree(state, ignore_errors=True)


def sd(agent, *args, check=True):
    # DiscoverInstances' endpoint has the host prefix `data-`, which the CLI would put in front
    # of 127.0.0.1 (Docs/agent.md "Cloud Map"): users set this variable, as the test does.
    env = dict(agent.env(), AWS_DISABLE_HOST_PREFIX_INJECTION="true")
    proc = subprocess.run(["aws", "servicediscovery", *args, "--endpoint-url", agent.endpoint, "--output", "json"],
                          env=env, capture_output=True, text=True, timeout=120)
    if not check:
        return proc
    assert proc.returncode == 0, f"aws servicediscovery {' '.join(args)}: {proc.stderr}"
    return json.loads(proc.stdout) if proc.stdout.strip() else {}


def raw(agent, operation, body):
    """A SigV4 (servicediscovery) JSON 1.1 call: (status, parsed body)."""
    data = json.dumps(body).encode()
    req = botocore.awsrequest.AWSRequest(method="POST", url=agent.endpoint + "/", data=data, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": PREFIX + operation})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(agent.access_key, agent.secret_key), "servicediscovery", REGION).add_auth(req)
    prepared = req.prepare()
    r = urllib.request.Request(prepared.url, data=data, headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def strict_ok(agent, operation, body):
    status, out = raw(agent, operation, body)
    assert status == 200, out
    problems = check_output(operation, out, service="servicediscovery")
    assert problems == [], problems
    return out


def namespace_id(agent, operation_id):
    op = sd(agent, "get-operation", "--operation-id", operation_id)["Operation"]
    assert op["Status"] == "SUCCESS" and op["Type"] == "CREATE_NAMESPACE"
    return op["Targets"]["NAMESPACE"]


def wait_until(predicate, timeout=60, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def web_taskdef(family, command="httpd"):
    return {"family": family, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
            "containerDefinitions": [{"name": "app", "image": "busybox", "command": [command], "essential": True,
                                      "portMappings": [{"containerPort": 8080, "name": "http"}]}]}


def task_ids(agent, service, cluster="default"):
    arns = agent.aws("list-tasks", "--cluster", cluster, "--service-name", service)["taskArns"]
    return sorted(a.rsplit("/", 1)[1] for a in arns)


def test_namespaces_services_and_instances_with_aws_cli(sd_agent):
    op = sd(sd_agent, "create-private-dns-namespace", "--name", "cli.local", "--vpc", "vpc-berth")["OperationId"]
    ns = namespace_id(sd_agent, op)
    assert any(n["Id"] == ns and n["Type"] == "DNS_PRIVATE" for n in sd(sd_agent, "list-namespaces")["Namespaces"])
    dup = sd(sd_agent, "create-private-dns-namespace", "--name", "cli.local", "--vpc", "vpc-berth", check=False)
    assert dup.returncode != 0 and "NamespaceAlreadyExists" in dup.stderr
    public = sd(sd_agent, "create-public-dns-namespace", "--name", "example.com", check=False)
    assert public.returncode != 0 and "InvalidInput" in public.stderr and "Public DNS namespaces" in public.stderr
    srv = sd(sd_agent, "create-service", "--name", "api", "--namespace-id", ns,
             "--dns-config", "RoutingPolicy=MULTIVALUE,DnsRecords=[{Type=A,TTL=10}]",
             "--health-check-custom-config", "FailureThreshold=1")["Service"]
    assert srv["Arn"].startswith(f"arn:aws:servicediscovery:{REGION}:") and ":service/srv-" in srv["Arn"]
    r53 = sd(sd_agent, "create-service", "--name", "r53", "--namespace-id", ns, "--health-check-config", "Type=HTTP,ResourcePath=/", check=False)
    assert r53.returncode != 0 and "HealthCheckConfig" in r53.stderr
    sd(sd_agent, "register-instance", "--service-id", srv["Id"], "--instance-id", "i-1", "--attributes", "AWS_INSTANCE_IPV4=10.0.0.1,color=blue")
    sd(sd_agent, "register-instance", "--service-id", srv["Id"], "--instance-id", "i-2", "--attributes", "AWS_INSTANCE_IPV4=10.0.0.2,color=green")
    sd(sd_agent, "update-instance-custom-health-status", "--service-id", srv["Id"], "--instance-id", "i-2", "--status", "UNHEALTHY")
    found = sd(sd_agent, "discover-instances", "--namespace-name", "cli.local", "--service-name", "api")["Instances"]
    assert [i["InstanceId"] for i in found] == ["i-1"]
    every = sd(sd_agent, "discover-instances", "--namespace-name", "cli.local", "--service-name", "api", "--health-status", "ALL")
    assert sorted(i["InstanceId"] for i in every["Instances"]) == ["i-1", "i-2"]
    listed = sd(sd_agent, "list-instances", "--service-id", srv["Id"])["Instances"]
    assert {i["Id"]: i["Attributes"]["color"] for i in listed} == {"i-1": "blue", "i-2": "green"}
    busy = sd(sd_agent, "delete-service", "--id", srv["Id"], check=False)
    assert busy.returncode != 0 and "ResourceInUse" in busy.stderr
    for i in ("i-1", "i-2"):
        sd(sd_agent, "deregister-instance", "--service-id", srv["Id"], "--instance-id", i)
    sd(sd_agent, "delete-service", "--id", srv["Id"])
    missing = sd(sd_agent, "get-service", "--id", srv["Id"], check=False)
    assert missing.returncode != 0 and "ServiceNotFound" in missing.stderr
    sd(sd_agent, "delete-namespace", "--id", ns)


def test_answers_fit_botocore_model(sd_agent):
    out = strict_ok(sd_agent, "CreateHttpNamespace", {"Name": "shapes", "Tags": [{"Key": "k", "Value": "v"}]})
    ns = strict_ok(sd_agent, "GetOperation", {"OperationId": out["OperationId"]})["Operation"]["Targets"]["NAMESPACE"]
    strict_ok(sd_agent, "GetNamespace", {"Id": ns})
    strict_ok(sd_agent, "ListNamespaces", {"MaxResults": 1})
    srv = strict_ok(sd_agent, "CreateService", {"Name": "s", "NamespaceId": ns})["Service"]
    strict_ok(sd_agent, "ListServices", {})
    strict_ok(sd_agent, "RegisterInstance", {"ServiceId": srv["Id"], "InstanceId": "a", "Attributes": {"k": "v"}})
    strict_ok(sd_agent, "ListInstances", {"ServiceId": srv["Id"]})
    strict_ok(sd_agent, "GetInstance", {"ServiceId": srv["Id"], "InstanceId": "a"})
    strict_ok(sd_agent, "DiscoverInstances", {"NamespaceName": "shapes", "ServiceName": "s"})
    strict_ok(sd_agent, "GetInstancesHealthStatus", {"ServiceId": srv["Id"]})
    strict_ok(sd_agent, "ListOperations", {})
    strict_ok(sd_agent, "ListTagsForResource", {"ResourceARN": srv["Arn"]})
    status, err = raw(sd_agent, "GetNamespace", {"Id": "ns-nothere"})
    assert status == 400 and err["__type"] == "NamespaceNotFound"


def test_ecs_service_registries_follow_the_tasks(sd_agent):
    ns = namespace_id(sd_agent, sd(sd_agent, "create-private-dns-namespace", "--name", "local", "--vpc", "vpc-berth")["OperationId"])
    registry = sd(sd_agent, "create-service", "--name", "web", "--namespace-id", ns,
                  "--dns-config", "DnsRecords=[{Type=A,TTL=10}]", "--health-check-custom-config", "FailureThreshold=1")["Service"]
    sd_agent.aws("register-task-definition", "--cli-input-json", json.dumps(web_taskdef("sd-web")))
    sd_agent.aws("create-service", "--service-name", "web", "--task-definition", "sd-web", "--desired-count", "2",
                 "--launch-type", "FARGATE", "--network-configuration", NETWORK,
                 "--service-registries", f"registryArn={registry['Arn']}")
    wait = sd_agent.aws("wait", "services-stable", "--services", "web", check=False)
    assert wait.returncode == 0, wait.stderr

    def registered():
        return sorted(i["Id"] for i in sd(sd_agent, "list-instances", "--service-id", registry["Id"])["Instances"])
    first = wait_until(lambda: (lambda ids: ids if len(ids) == 2 and ids == registered() else None)(task_ids(sd_agent, "web")),
                       what="both tasks registered")
    found = sd(sd_agent, "discover-instances", "--namespace-name", "local", "--service-name", "web")["Instances"]
    assert sorted(i["InstanceId"] for i in found) == first
    described = sd_agent.aws("describe-tasks", "--tasks", *first)["tasks"]
    addresses = sorted(c["networkInterfaces"][0]["privateIpv4Address"] for t in described for c in t["containers"])
    assert sorted(i["Attributes"]["AWS_INSTANCE_IPV4"] for i in found) == addresses
    assert all(i["Attributes"]["ECS_SERVICE_NAME"] == "web" and i["Attributes"]["ECS_CLUSTER_NAME"] == "default"
               and i["Attributes"]["ECS_TASK_DEFINITION_FAMILY"] == "sd-web" and i["HealthStatus"] == "HEALTHY" for i in found)
    assert sd_agent.aws("describe-services", "--services", "web")["services"][0]["serviceRegistries"] == [{"registryArn": registry["Arn"]}]

    # A new revision: the instances are the new tasks once the deployment is done.
    sd_agent.aws("register-task-definition", "--cli-input-json", json.dumps(web_taskdef("sd-web", command="httpd2")))
    sd_agent.aws("update-service", "--service", "web", "--task-definition", "sd-web")
    wait = sd_agent.aws("wait", "services-stable", "--services", "web", check=False)
    assert wait.returncode == 0, wait.stderr
    second = wait_until(lambda: (lambda ids: ids if len(ids) == 2 and ids == registered() else None)(task_ids(sd_agent, "web")),
                        what="the new tasks registered")
    assert set(second).isdisjoint(first)
    described = sd_agent.berth("service", "describe", "web").stdout
    assert "Service discovery:" in described and "web.local (service registry, DNS A)" in described, described
    assert all(t in described for t in second) and "HEALTHY" in described, described
    busy = sd(sd_agent, "deregister-instance", "--service-id", registry["Id"], "--instance-id", second[0], check=False)
    assert busy.returncode != 0 and "ResourceInUse" in busy.stderr

    sd_agent.aws("update-service", "--service", "web", "--desired-count", "0")
    wait_until(lambda: registered() == [], what="instances deregistered at scale-in")

    missing = sd_agent.aws("create-service", "--service-name", "web2", "--task-definition", "sd-web", "--desired-count", "1",
                           "--launch-type", "FARGATE", "--network-configuration", NETWORK, "--service-registries",
                           f"registryArn=arn:aws:servicediscovery:{REGION}:000000000000:service/srv-nothere", check=False)
    assert missing.returncode != 0 and "InvalidParameterException" in missing.stderr and "does not exist" in missing.stderr


def test_service_connect_with_cluster_default_namespace(sd_agent):
    cluster = sd_agent.aws("create-cluster", "--cluster-name", "sc", "--service-connect-defaults", "namespace=sc-apps")["cluster"]
    ns_arn = cluster["serviceConnectDefaults"]["namespace"]
    ns = [n for n in sd(sd_agent, "list-namespaces")["Namespaces"] if n["Arn"] == ns_arn]
    assert len(ns) == 1 and ns[0]["Name"] == "sc-apps" and ns[0]["Type"] == "HTTP"
    sd_agent.aws("register-task-definition", "--cli-input-json", json.dumps(web_taskdef("sc-web")))
    config = {"enabled": True, "services": [{"portName": "http", "discoveryName": "api", "clientAliases": [{"port": 80}]}]}
    bad = sd_agent.aws("create-service", "--cluster", "sc", "--service-name", "bad", "--task-definition", "sc-web",
                       "--desired-count", "1", "--launch-type", "FARGATE", "--network-configuration", NETWORK,
                       "--service-connect-configuration", json.dumps({"enabled": True, "services": [{"portName": "nope"}]}), check=False)
    assert bad.returncode != 0 and "portName nope" in bad.stderr
    sd_agent.aws("create-service", "--cluster", "sc", "--service-name", "api", "--task-definition", "sc-web", "--desired-count", "2",
                 "--launch-type", "FARGATE", "--network-configuration", NETWORK, "--service-connect-configuration", json.dumps(config))
    services = sd(sd_agent, "list-services", "--filters", f"Name=NAMESPACE_ID,Values={ns[0]['Id']},Condition=EQ")["Services"]
    assert [s["Name"] for s in services] == ["api"]
    wait_until(lambda: len(sd(sd_agent, "discover-instances", "--namespace-name", "sc-apps", "--service-name", "api")["Instances"]) == 2,
               what="Service Connect instances")
    found = sd(sd_agent, "discover-instances", "--namespace-name", "sc-apps", "--service-name", "api")["Instances"]
    assert sorted(i["InstanceId"] for i in found) == task_ids(sd_agent, "api", cluster="sc")
    assert all(i["Attributes"]["AWS_INSTANCE_PORT"] == "8080" for i in found)
    deployment = sd_agent.aws("describe-services", "--cluster", "sc", "--services", "api")["services"][0]["deployments"][0]
    assert deployment["serviceConnectResources"] == [{"discoveryName": "api", "discoveryArn": services[0]["Arn"]}]
    assert deployment["serviceConnectConfiguration"] == config
    for operation, body in [("DescribeServices", {"cluster": "sc", "services": ["api"]}), ("DescribeClusters", {"clusters": ["sc"]})]:
        status, _, out = sd_agent.raw(operation, body)
        assert status == 200 and check_output(operation, out) == [], check_output(operation, out)


def test_cloud_map_state_survives_a_restart():
    state = tempfile.mkdtemp(prefix="berth-sd-test-")
    a = Agent(state)
    try:
        ns = namespace_id(a, sd(a, "create-http-namespace", "--name", "kept")["OperationId"])
        srv = sd(a, "create-service", "--name", "s", "--namespace-id", ns)["Service"]
        sd(a, "register-instance", "--service-id", srv["Id"], "--instance-id", "x", "--attributes", "k=v")
        a.restart()
        assert sd(a, "get-namespace", "--id", ns)["Namespace"]["ServiceCount"] == 1
        assert sd(a, "list-instances", "--service-id", srv["Id"])["Instances"][0]["Attributes"] == {"k": "v"}
    finally:
        a.stop()
        shutil.rmtree(state, ignore_errors=True)
