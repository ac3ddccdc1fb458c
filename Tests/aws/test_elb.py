"""Elastic Load Balancing v2 on the agent's endpoint, through the real aws CLI and a raw Query
client (fake engine and MemoryDataPlane: no root, nothing is proxied). Every answer is checked
strictly against botocore's elbv2 model (XML element names and nesting)."""
import json
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest

from conftest import REGION
from shapes import model

NS = "{http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/}"


def elb(agent, *args, check=True):
    proc = subprocess.run(["aws", "elbv2", *args, "--endpoint-url", agent.endpoint, "--output", "json"],
                          env=agent.env(), capture_output=True, text=True, timeout=120)
    if not check:
        return proc
    assert proc.returncode == 0, f"aws elbv2 {' '.join(args)}: {proc.stderr}"
    return json.loads(proc.stdout) if proc.stdout.strip() else {}


def query(agent, params, sign=True, secret=None):
    """A signed Query call: (status, XML root)."""
    body = urllib.parse.urlencode({"Version": "2015-12-01", **params})
    req = botocore.awsrequest.AWSRequest(method="POST", url=agent.endpoint + "/", data=body.encode(),
                                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    if sign:
        creds = botocore.credentials.Credentials(agent.access_key, secret or agent.secret_key)
        botocore.auth.SigV4Auth(creds, "elasticloadbalancing", REGION).add_auth(req)
    prepared = req.prepare()
    r = urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            return resp.status, ET.fromstring(resp.read())
    except urllib.error.HTTPError as e:
        data = e.read()
        return e.code, (ET.fromstring(data) if data.startswith(b"<") else data)


def strict(shape, element, path, problems):
    """Every child element of the XML is a member of the shape, lists hold <member>s."""
    t = shape.type_name
    if t == "structure":
        for child in element:
            name = child.tag.replace(NS, "")
            if name not in shape.members:
                problems.append(f"{path}.{name}: not a member of {shape.name}")
                continue
            strict(shape.members[name], child, f"{path}.{name}", problems)
    elif t == "list":
        for i, child in enumerate(element):
            if child.tag.replace(NS, "") != "member":
                problems.append(f"{path}[{i}]: list item is <{child.tag}>, not <member>")
            strict(shape.member, child, f"{path}[{i}]", problems)
    elif len(element):
        problems.append(f"{path}: scalar {shape.name} has child elements")
    elif t in ("integer", "long") and not (element.text or "").lstrip("-").isdigit():
        problems.append(f"{path}: {element.text!r} is not an integer")
    elif t == "boolean" and element.text not in ("true", "false"):
        problems.append(f"{path}: {element.text!r} is not a boolean")
    elif t == "string" and shape.enum and element.text not in shape.enum:
        problems.append(f"{path}: {element.text!r} not in {shape.name}")


def check_xml(action, root):
    assert root.tag == f"{NS}{action}Response", root.tag
    result = root.find(f"{NS}{action}Result")
    assert result is not None and root.find(f"{NS}ResponseMetadata/{NS}RequestId") is not None
    problems = []
    strict(model("elbv2").operation_model(action).output_shape, result, action, problems)
    assert problems == []


def make_stack(agent, name, port):
    lb = elb(agent, "create-load-balancer", "--name", name, "--subnets", "subnet-a", "subnet-b", "--type", "application")["LoadBalancers"][0]
    tg = elb(agent, "create-target-group", "--name", f"{name}-tg", "--protocol", "HTTP", "--port", "8080", "--target-type", "ip",
             "--vpc-id", "vpc-1", "--health-check-path", "/health", "--health-check-interval-seconds", "5",
             "--health-check-timeout-seconds", "2", "--healthy-threshold-count", "2", "--matcher", "HttpCode=200-299")["TargetGroups"][0]
    listener = elb(agent, "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "HTTP", "--port", str(port),
                   "--default-actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")["Listeners"][0]
    return lb, tg, listener


def test_load_balancer_target_group_listener_and_rules_with_the_cli(agent):
    lb, tg, listener = make_stack(agent, "web", 18080)
    assert lb["LoadBalancerArn"].startswith("arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/")
    assert lb["DNSName"].startswith("web-") and lb["DNSName"].endswith(".elb.localhost")
    assert lb["State"] == {"Code": "active"} and lb["Type"] == "application"
    assert tg["HealthCheckPath"] == "/health" and tg["Matcher"] == {"HttpCode": "200-299"} and tg["HealthyThresholdCount"] == 2
    assert tg["TargetType"] == "ip" and tg["LoadBalancerArns"] == []
    assert listener["Port"] == 18080 and listener["DefaultActions"][0]["TargetGroupArn"] == tg["TargetGroupArn"]
    # Same name and settings: the existing one (ELB's CreateLoadBalancer is idempotent).
    again = elb(agent, "create-load-balancer", "--name", "web", "--type", "application")["LoadBalancers"][0]
    assert again["LoadBalancerArn"] == lb["LoadBalancerArn"]
    assert "DuplicateLoadBalancerName" in elb(agent, "create-load-balancer", "--name", "web", "--type", "network", check=False).stderr
    described = elb(agent, "describe-target-groups", "--names", "web-tg")["TargetGroups"][0]
    assert described["LoadBalancerArns"] == [lb["LoadBalancerArn"]]
    assert elb(agent, "describe-load-balancers", "--names", "web")["LoadBalancers"][0]["DNSName"] == lb["DNSName"]
    assert [l["ListenerArn"] for l in elb(agent, "describe-listeners", "--load-balancer-arn", lb["LoadBalancerArn"])["Listeners"]] == [listener["ListenerArn"]]
    # Rules on path and host, ordered by priority, the default rule last.
    api = elb(agent, "create-target-group", "--name", "web-api", "--protocol", "HTTP", "--port", "9000", "--target-type", "ip")["TargetGroups"][0]
    rule = elb(agent, "create-rule", "--listener-arn", listener["ListenerArn"], "--priority", "10",
               "--conditions", "Field=path-pattern,Values=/api/*", "--actions", f"Type=forward,TargetGroupArn={api['TargetGroupArn']}")["Rules"][0]
    assert rule["Priority"] == "10" and rule["Conditions"][0]["Values"] == ["/api/*"]
    elb(agent, "create-rule", "--listener-arn", listener["ListenerArn"], "--priority", "5",
        "--conditions", '[{"Field":"host-header","HostHeaderConfig":{"Values":["api.example.com"]}}]',
        "--actions", f"Type=forward,TargetGroupArn={api['TargetGroupArn']}")
    assert "PriorityInUse" in elb(agent, "create-rule", "--listener-arn", listener["ListenerArn"], "--priority", "10",
                                  "--conditions", "Field=path-pattern,Values=/x", "--actions",
                                  f"Type=forward,TargetGroupArn={api['TargetGroupArn']}", check=False).stderr
    rules = elb(agent, "describe-rules", "--listener-arn", listener["ListenerArn"])["Rules"]
    assert [r["Priority"] for r in rules] == ["5", "10", "default"] and rules[-1]["IsDefault"] is True
    assert "ResourceInUse" in elb(agent, "delete-target-group", "--target-group-arn", api["TargetGroupArn"], check=False).stderr
    elb(agent, "delete-rule", "--rule-arn", rule["RuleArn"])
    assert len(elb(agent, "describe-rules", "--listener-arn", listener["ListenerArn"])["Rules"]) == 2
    # Attributes.
    attrs = elb(agent, "modify-target-group-attributes", "--target-group-arn", tg["TargetGroupArn"], "--attributes",
                "Key=deregistration_delay.timeout_seconds,Value=5", "Key=load_balancing.algorithm.type,Value=least_outstanding_requests")
    got = {a["Key"]: a["Value"] for a in elb(agent, "describe-target-group-attributes", "--target-group-arn", tg["TargetGroupArn"])["Attributes"]}
    assert got == {"deregistration_delay.timeout_seconds": "5", "load_balancing.algorithm.type": "least_outstanding_requests"}
    assert {a["Key"] for a in attrs["Attributes"]} == set(got)
    bad = elb(agent, "modify-target-group-attributes", "--target-group-arn", tg["TargetGroupArn"], "--attributes",
              "Key=stickiness.enabled,Value=true", check=False)
    assert "ValidationError" in bad.stderr and "stickiness.enabled" in bad.stderr
    modified = elb(agent, "modify-target-group", "--target-group-arn", tg["TargetGroupArn"], "--health-check-path", "/ready")
    assert modified["TargetGroups"][0]["HealthCheckPath"] == "/ready"


def test_targets_and_their_health(agent):
    lb, tg, listener = make_stack(agent, "health", 18081)
    arn = tg["TargetGroupArn"]
    elb(agent, "register-targets", "--target-group-arn", arn, "--targets", "Id=127.0.0.2,Port=8080", "Id=127.0.0.3")
    health = elb(agent, "describe-target-health", "--target-group-arn", arn)["TargetHealthDescriptions"]
    assert sorted((h["Target"]["Id"], h["Target"]["Port"], h["TargetHealth"]["State"]) for h in health) == [
        ("127.0.0.2", 8080, "healthy"), ("127.0.0.3", 8080, "healthy")]
    elb(agent, "modify-target-group-attributes", "--target-group-arn", arn, "--attributes", "Key=deregistration_delay.timeout_seconds,Value=300")
    elb(agent, "deregister-targets", "--target-group-arn", arn, "--targets", "Id=127.0.0.3,Port=8080")
    health = {h["Target"]["Id"]: h["TargetHealth"] for h in elb(agent, "describe-target-health", "--target-group-arn", arn)["TargetHealthDescriptions"]}
    assert health["127.0.0.3"] == {"State": "draining", "Reason": "Target.DeregistrationInProgress",
                                   "Description": "Target deregistration is in progress"}
    # boto3's waiters read the same answers.
    import boto3
    client = boto3.client("elbv2", endpoint_url=agent.endpoint, region_name=REGION, aws_access_key_id=agent.access_key,
                          aws_secret_access_key=agent.secret_key)
    client.get_waiter("target_in_service").wait(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.2", "Port": 8080}],
                                                WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    client.get_waiter("load_balancer_available").wait(Names=["health"], WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    one = elb(agent, "describe-target-health", "--target-group-arn", arn, "--targets", "Id=127.0.0.9,Port=80")["TargetHealthDescriptions"]
    assert one[0]["TargetHealth"]["State"] == "unused" and one[0]["TargetHealth"]["Reason"] == "Target.NotRegistered"
    assert "InvalidTarget" in elb(agent, "register-targets", "--target-group-arn", arn, "--targets", "Id=i-0123456789", check=False).stderr
    # A group no load balancer forwards to: its targets are unused.
    lone = elb(agent, "create-target-group", "--name", "lone", "--protocol", "TCP", "--port", "7000", "--target-type", "ip")["TargetGroups"][0]
    elb(agent, "register-targets", "--target-group-arn", lone["TargetGroupArn"], "--targets", "Id=127.0.0.4")
    h = elb(agent, "describe-target-health", "--target-group-arn", lone["TargetGroupArn"])["TargetHealthDescriptions"][0]["TargetHealth"]
    assert h["State"] == "unused" and h["Reason"] == "Target.NotInUse"


def test_errors_carry_elb_codes(agent):
    cases = [
        (["describe-load-balancers", "--names", "nope"], "LoadBalancerNotFound"),
        (["describe-target-groups", "--target-group-arns", "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/x/1"], "TargetGroupNotFound"),
        (["describe-listeners", "--listener-arns", "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/x/1/2"], "ListenerNotFound"),
        (["create-load-balancer", "--name=bad_name"], "ValidationError"),
        (["create-load-balancer", "--name", "gw", "--type", "gateway"], "ValidationError"),
        (["create-target-group", "--name", "inst", "--protocol", "HTTP", "--port", "80"], "ValidationError"),
        (["create-target-group", "--name", "t", "--protocol", "HTTP", "--port", "80", "--target-type", "ip",
          "--health-check-interval-seconds", "5", "--health-check-timeout-seconds", "6"], "ValidationError"),
        (["create-target-group", "--name", "tags", "--protocol", "HTTP", "--port", "80", "--target-type", "ip", "--tags", "Key=a,Value=b"], "ValidationError"),
    ]
    for args, code in cases:
        proc = elb(agent, *args, check=False)
        assert proc.returncode != 0 and code in proc.stderr, (args, proc.stderr)
    lb, tg, listener = make_stack(agent, "dup", 18082)
    other = elb(agent, "create-load-balancer", "--name", "dup2")["LoadBalancers"][0]
    proc = elb(agent, "create-listener", "--load-balancer-arn", other["LoadBalancerArn"], "--protocol", "HTTP", "--port", "18082",
               "--default-actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}", check=False)
    assert "DuplicateListener" in proc.stderr
    nlb = elb(agent, "create-load-balancer", "--name", "net", "--type", "network")["LoadBalancers"][0]
    proc = elb(agent, "create-listener", "--load-balancer-arn", nlb["LoadBalancerArn"], "--protocol", "TCP", "--port", "18083",
               "--default-actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}", check=False)
    assert "IncompatibleProtocols" in proc.stderr
    status, root = query(agent, {"Action": "DescribeLoadBalancers", "Names.member.1": "nope"})
    assert status == 400 and root.tag == f"{NS}ErrorResponse"
    assert root.find(f"{NS}Error/{NS}Code").text == "LoadBalancerNotFound" and root.find(f"{NS}Error/{NS}Type").text == "Sender"
    # Unsigned: refused by the router before any service is chosen (Docs/agent.md).
    status, body = query(agent, {"Action": "DescribeLoadBalancers"}, sign=False)
    assert status == 403 and b"MissingAuthenticationToken" in body
    # Signed with a wrong secret: ELB's XML error.
    status, root = query(agent, {"Action": "DescribeLoadBalancers"}, secret="x" * 40)
    assert status == 403 and root.find(f"{NS}Error/{NS}Code").text == "InvalidSignatureException"


def test_answers_fit_botocores_model_strictly(agent):
    lb, tg, listener = make_stack(agent, "shapes", 18084)
    arn = tg["TargetGroupArn"]
    query(agent, {"Action": "RegisterTargets", "TargetGroupArn": arn, "Targets.member.1.Id": "127.0.0.5"})
    query(agent, {"Action": "CreateRule", "ListenerArn": listener["ListenerArn"], "Priority": "1",
                  "Conditions.member.1.Field": "path-pattern", "Conditions.member.1.Values.member.1": "/a",
                  "Actions.member.1.Type": "forward", "Actions.member.1.TargetGroupArn": arn})
    for action, params in [
        ("DescribeLoadBalancers", {}), ("DescribeTargetGroups", {}), ("DescribeListeners", {"LoadBalancerArn": lb["LoadBalancerArn"]}),
        ("DescribeRules", {"ListenerArn": listener["ListenerArn"]}), ("DescribeTargetHealth", {"TargetGroupArn": arn}),
        ("DescribeTargetGroupAttributes", {"TargetGroupArn": arn}),
        ("CreateLoadBalancer", {"Name": "shapes", "Type": "application"}),
        ("CreateTargetGroup", {"Name": "shapes-tcp", "Protocol": "TCP", "Port": "80", "TargetType": "ip"}),
        ("ModifyTargetGroup", {"TargetGroupArn": arn, "HealthCheckIntervalSeconds": "10"}),
        ("ModifyTargetGroupAttributes", {"TargetGroupArn": arn, "Attributes.member.1.Key": "deregistration_delay.timeout_seconds",
                                         "Attributes.member.1.Value": "3"}),
        ("CreateRule", {"ListenerArn": listener["ListenerArn"], "Priority": "2", "Conditions.member.1.Field": "host-header",
                        "Conditions.member.1.HostHeaderConfig.Values.member.1": "a.example", "Actions.member.1.Type": "forward",
                        "Actions.member.1.TargetGroupArn": arn}),
        ("DescribeListeners", {"ListenerArns.member.1": listener["ListenerArn"]}),
        ("RegisterTargets", {"TargetGroupArn": arn, "Targets.member.1.Id": "127.0.0.7", "Targets.member.1.Port": "81"}),
        ("DeregisterTargets", {"TargetGroupArn": arn, "Targets.member.1.Id": "127.0.0.7", "Targets.member.1.Port": "81"}),
    ]:
        status, root = query(agent, {"Action": action, **params})
        assert status == 200, ET.tostring(root)
        check_xml(action, root)


def test_paging_and_durability(fresh_agent):
    for i in range(3):
        elb(fresh_agent, "create-target-group", "--name", f"page{i}", "--protocol", "HTTP", "--port", "80", "--target-type", "ip")
    # ELB's own PageSize/Marker (the CLI passes them through and shows NextMarker).
    names, marker = [], []
    while True:
        page = elb(fresh_agent, "describe-target-groups", "--page-size", "2", *marker)
        names += [g["TargetGroupName"] for g in page["TargetGroups"]]
        if "NextMarker" not in page:
            break
        marker = ["--marker", page["NextMarker"]]
    assert names == ["page0", "page1", "page2"]
    lb, tg, listener = make_stack(fresh_agent, "durable", 18085)
    elb(fresh_agent, "register-targets", "--target-group-arn", tg["TargetGroupArn"], "--targets", "Id=127.0.0.6")
    fresh_agent.restart()
    assert elb(fresh_agent, "describe-listeners", "--listener-arns", listener["ListenerArn"])["Listeners"][0]["Port"] == 18085
    health = elb(fresh_agent, "describe-target-health", "--target-group-arn", tg["TargetGroupArn"])["TargetHealthDescriptions"]
    assert [h["Target"]["Id"] for h in health] == ["127.0.0.6"]
    elb(fresh_agent, "delete-load-balancer", "--load-balancer-arn", lb["LoadBalancerArn"])
    assert elb(fresh_agent, "describe-target-groups", "--names", "durable-tg")["TargetGroups"][0]["LoadBalancerArns"] == []
    elb(fresh_agent, "delete-target-group", "--target-group-arn", tg["TargetGroupArn"])
    assert "TargetGroupNotFound" in elb(fresh_agent, "describe-target-groups", "--names", "durable-tg", check=False).stderr


def wait_for(what, predicate, timeout=30):
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_ecs_service_behind_a_load_balancer(fresh_agent):
    a = fresh_agent
    lb, tg, listener = make_stack(a, "svc", 18090)
    arn = tg["TargetGroupArn"]
    elb(a, "modify-target-group-attributes", "--target-group-arn", arn, "--attributes", "Key=deregistration_delay.timeout_seconds,Value=10")
    a.aws("register-task-definition", "--cli-input-json", json.dumps({
        "family": "web", "networkMode": "bridge", "containerDefinitions": [{
            "name": "httpd", "image": "busybox", "memory": 64, "command": ["httpd", "-f", "-p", "8080"],
            "portMappings": [{"containerPort": 8080}]}]}))
    bad = a.aws("create-service", "--service-name", "web", "--task-definition", "web", "--desired-count", "1", "--load-balancers",
                f"targetGroupArn={arn},containerName=httpd,containerPort=80", check=False)
    assert bad.returncode != 0 and "The container httpd did not have a container port 80 defined." in bad.stderr
    created = a.aws("create-service", "--service-name", "web", "--task-definition", "web", "--desired-count", "3",
                    "--load-balancers", f"targetGroupArn={arn},containerName=httpd,containerPort=8080")["service"]
    assert created["loadBalancers"] == [{"targetGroupArn": arn, "containerName": "httpd", "containerPort": 8080}]

    def healthy():
        h = elb(a, "describe-target-health", "--target-group-arn", arn)["TargetHealthDescriptions"]
        return h if len(h) == 3 and all(t["TargetHealth"]["State"] == "healthy" for t in h) else None
    wait_for("three healthy targets", healthy)
    s = wait_for("a steady service", lambda: (lambda s: s if s["deployments"][0]["rolloutState"] == "COMPLETED" else None)(
        a.aws("describe-services", "--services", "web")["services"][0]))
    messages = [e["message"] for e in s["events"]]
    assert any(m.startswith("(service web) registered ") and m.endswith(f"targets in (target-group {arn})") for m in messages)
    out = a.berth("service", "describe", "web").stdout
    assert "listener http://127.0.0.1:18090 (load balancer svc, svc-" in out and out.count(" healthy") >= 3, out
    # Scale in: two targets drain for 10 s while their tasks stay DEACTIVATING, then the tasks stop.
    a.aws("update-service", "--service", "web", "--desired-count", "1")
    draining = wait_for("draining targets", lambda: [t for t in elb(a, "describe-target-health", "--target-group-arn", arn)["TargetHealthDescriptions"]
                                                     if t["TargetHealth"]["State"] == "draining"])
    assert len(draining) == 2
    stopping = a.aws("list-tasks", "--service-name", "web", "--desired-status", "STOPPED")["taskArns"]
    tasks = a.aws("describe-tasks", "--tasks", *stopping)["tasks"]
    assert sorted(t["lastStatus"] for t in tasks) == ["DEACTIVATING", "DEACTIVATING"]
    wait_for("stopped tasks", lambda: all(t["lastStatus"] == "STOPPED" for t in a.aws("describe-tasks", "--tasks", *stopping)["tasks"]))
    messages = [e["message"] for e in a.aws("describe-services", "--services", "web")["services"][0]["events"]]
    assert f"(service web) deregistered 2 targets in (target-group {arn})" in messages
    assert "(service web) has begun draining connections on 2 tasks." in messages
    assert len(elb(a, "describe-target-health", "--target-group-arn", arn)["TargetHealthDescriptions"]) == 1
    # The same through `berth service create --load-balancer`.
    bad = a.berth("service", "create", "web2", "--task-definition", "web", "--desired-count", "1", "--load-balancer", f"{arn},httpd", check=False)
    assert bad.returncode != 0 and "TARGET_GROUP_ARN,CONTAINER,PORT" in bad.stderr
    a.berth("service", "create", "web2", "--task-definition", "web", "--desired-count", "1", "--load-balancer", f"{arn},httpd,8080")
    assert a.aws("describe-services", "--services", "web2")["services"][0]["loadBalancers"][0]["targetGroupArn"] == arn
    wait_for("the second service's target", lambda: len(elb(a, "describe-target-health", "--target-group-arn", arn)["TargetHealthDescriptions"]) == 2)
