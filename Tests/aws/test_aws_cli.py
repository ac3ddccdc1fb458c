"""The real aws CLI against `berth agent`: clusters, task definitions, tasks, waiters, tags."""
import json
import os

from conftest import CORPUS, simple_taskdef


def test_clusters(agent):
    assert "arn:aws:ecs:us-east-1:000000000000:cluster/default" in agent.aws("list-clusters")["clusterArns"]
    created = agent.aws("create-cluster", "--cluster-name", "cli-prod", "--tags", "key=team,value=core")["cluster"]
    assert created["clusterArn"] == "arn:aws:ecs:us-east-1:000000000000:cluster/cli-prod"
    assert created["status"] == "ACTIVE" and created["runningTasksCount"] == 0
    out = agent.aws("describe-clusters", "--clusters", "cli-prod", "nope", "--include", "TAGS")
    assert out["clusters"][0]["tags"] == [{"key": "team", "value": "core"}]
    assert out["failures"] == [{"arn": "arn:aws:ecs:us-east-1:000000000000:cluster/nope", "reason": "MISSING"}]
    assert agent.aws("delete-cluster", "--cluster", "cli-prod")["cluster"]["status"] == "INACTIVE"
    proc = agent.aws("delete-cluster", "--cluster", "cli-prod", check=False)
    assert proc.returncode != 0 and "ClusterNotFoundException" in proc.stderr


def test_cluster_capacity_providers_and_default_strategy(agent):
    """CreateCluster's capacityProviders and defaultCapacityProviderStrategy are kept and shown;
    a service created without a launch type takes the default strategy (as in ECS); unknown
    providers, strategies naming providers outside the cluster, and `configuration` are refused."""
    created = agent.aws("create-cluster", "--cluster-name", "cp", "--capacity-providers", "FARGATE", "FARGATE_SPOT",
                        "--default-capacity-provider-strategy", "capacityProvider=FARGATE_SPOT,weight=3", "capacityProvider=FARGATE,weight=1,base=1")["cluster"]
    assert created["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    strategy = [{"capacityProvider": "FARGATE_SPOT", "weight": 3}, {"capacityProvider": "FARGATE", "weight": 1, "base": 1}]
    assert created["defaultCapacityProviderStrategy"] == strategy
    assert agent.aws("describe-clusters", "--clusters", "cp")["clusters"][0]["defaultCapacityProviderStrategy"] == strategy
    agent.aws("register-task-definition", "--cli-input-json", json.dumps(simple_taskdef("cp-app")))
    service = agent.aws("create-service", "--cluster", "cp", "--service-name", "s", "--task-definition", "cp-app", "--desired-count", "0")["service"]
    assert service["capacityProviderStrategy"] == strategy and "launchType" not in service
    for args, words in [(["--capacity-providers", "MY_ASG"], "MY_ASG"),
                        (["--capacity-providers", "FARGATE", "--default-capacity-provider-strategy", "capacityProvider=FARGATE_SPOT,weight=1"], "not associated"),
                        (["--configuration", "executeCommandConfiguration={logging=DEFAULT}"], "configuration")]:
        proc = agent.aws("create-cluster", "--cluster-name", "cp-bad", *args, check=False)
        assert proc.returncode != 0 and words in proc.stderr, proc.stderr
    agent.aws("delete-service", "--cluster", "cp", "--service", "s", "--force")
    agent.aws("delete-cluster", "--cluster", "cp")


def test_register_describe_list_deregister(agent, tmp_path):
    path = tmp_path / "td.json"
    path.write_text(json.dumps(simple_taskdef("cli-web", tags=[{"key": "k", "value": "v"}])))
    reg = agent.aws("register-task-definition", "--cli-input-json", f"file://{path}")
    td = reg["taskDefinition"]
    assert td["taskDefinitionArn"] == "arn:aws:ecs:us-east-1:000000000000:task-definition/cli-web:1"
    assert td["revision"] == 1 and td["status"] == "ACTIVE"
    c = td["containerDefinitions"][0]
    assert c["cpu"] == 0 and c["essential"] is True and c["environment"] == [] and c["portMappings"] == []
    assert reg["tags"] == [{"key": "k", "value": "v"}]
    agent.aws("register-task-definition", "--cli-input-json", f"file://{path}")
    desc = agent.aws("describe-task-definition", "--task-definition", "cli-web", "--include", "TAGS")
    assert desc["taskDefinition"]["revision"] == 2 and desc["tags"] == [{"key": "k", "value": "v"}]
    assert "tags" not in agent.aws("describe-task-definition", "--task-definition", "cli-web:1")
    arns = agent.aws("list-task-definitions", "--family-prefix", "cli-web")["taskDefinitionArns"]
    assert [a.rsplit("/", 1)[1] for a in arns] == ["cli-web:1", "cli-web:2"]
    # The CLI paginates with nextToken under the hood when asked for small pages.
    paged = agent.aws("list-task-definitions", "--family-prefix", "cli-web", "--page-size", "1")["taskDefinitionArns"]
    assert paged == arns
    assert "cli-web" in agent.aws("list-task-definition-families")["families"]
    dereg = agent.aws("deregister-task-definition", "--task-definition", "cli-web:2")["taskDefinition"]
    assert dereg["status"] == "INACTIVE" and "deregisteredAt" in dereg
    assert agent.aws("describe-task-definition", "--task-definition", "cli-web")["taskDefinition"]["revision"] == 1
    deleted = agent.aws("delete-task-definitions", "--task-definitions", "cli-web:2")
    assert deleted["taskDefinitions"][0]["status"] == "DELETE_IN_PROGRESS"
    # Revisions are never reused.
    assert agent.aws("register-task-definition", "--cli-input-json", f"file://{path}")["taskDefinition"]["revision"] == 3


def test_register_corpus_files_with_cli(agent):
    """Corpus files the CLI itself accepts register and come back normalised."""
    ok = 0
    for name in ["01-dg-webserver-fargate.json", "03-dg-alpine-ping-readonly.json", "48-samples-nginx-ec2-bridge.json"]:
        path = os.path.join(CORPUS, "taskdefs", name)
        proc = agent.aws("register-task-definition", "--cli-input-json", f"file://{path}", check=False)
        if proc.returncode == 0:
            ok += 1
            td = json.loads(proc.stdout)["taskDefinition"]
            assert td["revision"] >= 1 and td["taskDefinitionArn"].endswith(f"{td['family']}:{td['revision']}")
        else:
            assert "An error occurred (ClientException)" in proc.stderr or "Parameter validation failed" in proc.stderr, proc.stderr
    assert ok >= 2


def test_run_wait_stop_wait(agent):
    agent.aws("register-task-definition", "--family", "cli-run", "--container-definitions",
              json.dumps(simple_taskdef("x")["containerDefinitions"]))
    run = agent.aws("run-task", "--task-definition", "cli-run", "--count", "2", "--started-by", "cli-test")
    assert run["failures"] == [] and len(run["tasks"]) == 2
    t = run["tasks"][0]
    assert t["desiredStatus"] == "RUNNING" and t["lastStatus"] in ("PROVISIONING", "PENDING")
    assert t["group"] == "family:cli-run"
    arns = [x["taskArn"] for x in run["tasks"]]
    agent.aws("wait", "tasks-running", "--tasks", *arns)
    tasks = agent.aws("describe-tasks", "--tasks", *arns)["tasks"]
    assert all(x["lastStatus"] == "RUNNING" and "startedAt" in x for x in tasks)
    assert sorted(agent.aws("list-tasks", "--started-by", "cli-test")["taskArns"]) == sorted(arns)
    assert set(arns) <= set(agent.aws("list-tasks", "--family", "cli-run")["taskArns"])
    stopped = agent.aws("stop-task", "--task", arns[0], "--reason", "done here")["task"]
    assert stopped["desiredStatus"] == "STOPPED" and stopped["stopCode"] == "UserInitiated"
    assert stopped["stoppedReason"] == "done here"
    agent.aws("wait", "tasks-stopped", "--tasks", arns[0])
    final = agent.aws("describe-tasks", "--tasks", arns[0])["tasks"][0]
    assert final["lastStatus"] == "STOPPED" and final["containers"][0]["exitCode"] == 143
    assert arns[0] in agent.aws("list-tasks", "--desired-status", "STOPPED")["taskArns"]
    assert arns[0] not in agent.aws("list-tasks")["taskArns"]
    agent.aws("stop-task", "--task", arns[1])


def test_tasks_running_waiter_fails_for_a_task_that_stops(agent):
    agent.aws("register-task-definition", "--family", "cli-fail", "--container-definitions",
              json.dumps(simple_taskdef("x", command=["false"])["containerDefinitions"]))
    arn = agent.aws("run-task", "--task-definition", "cli-fail")["tasks"][0]["taskArn"]
    agent.aws("wait", "tasks-stopped", "--tasks", arn)
    t = agent.aws("describe-tasks", "--tasks", arn)["tasks"][0]
    assert t["stopCode"] == "EssentialContainerExited" and t["containers"][0]["exitCode"] == 1
    proc = agent.aws("wait", "tasks-running", "--tasks", arn, check=False)
    assert proc.returncode != 0 and "failure state" in proc.stderr


def test_tags_on_tasks_and_taskdefs(agent):
    agent.aws("register-task-definition", "--family", "cli-tags", "--container-definitions",
              json.dumps(simple_taskdef("x")["containerDefinitions"]))
    td_arn = agent.aws("describe-task-definition", "--task-definition", "cli-tags")["taskDefinition"]["taskDefinitionArn"]
    agent.aws("tag-resource", "--resource-arn", td_arn, "--tags", "key=a,value=1", "key=b,value=2")
    agent.aws("untag-resource", "--resource-arn", td_arn, "--tag-keys", "b")
    assert agent.aws("list-tags-for-resource", "--resource-arn", td_arn)["tags"] == [{"key": "a", "value": "1"}]
    arn = agent.aws("run-task", "--task-definition", "cli-tags", "--tags", "key=run,value=x")["tasks"][0]["taskArn"]
    agent.aws("tag-resource", "--resource-arn", arn, "--tags", "key=later,value=y")
    tags = agent.aws("describe-tasks", "--tasks", arn, "--include", "TAGS")["tasks"][0]["tags"]
    assert tags == [{"key": "run", "value": "x"}, {"key": "later", "value": "y"}]
    agent.aws("stop-task", "--task", arn)



def test_execute_command_needs_the_session_manager_plugin(agent):
    # The aws CLI checks for the plugin before it calls ExecuteCommand (boto3 sees the answer:
    # test_boto3.test_execute_command_points_to_berth_task_exec).
    proc = agent.aws("execute-command", "--task", "0" * 32, "--container", "app", "--interactive", "--command", "sh", check=False)
    assert proc.returncode != 0 and "SessionManagerPlugin is not found" in proc.stderr
