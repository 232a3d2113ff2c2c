"""The ``k8s`` check kind against a real HTTP API (kmock): objects, field paths, counts, access."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from labtui.checks import REGISTRY, CheckContext
from labtui.checks.base import ClusterTarget
from labtui.checks.k8s import PathError, follow, parse_path
from labtui.drivers.docker import DockerDriver
from labtui.drivers.kube import KubeClient
from labtui.engine.runner import run_one
from labtui.scenario.model import Check, K8sCheck, Scenario
from labtui.scenario.templates import TemplateContext
from tests.k8s.conftest import Cluster

CHECK: TypeAdapter[Any] = TypeAdapter(Check)

SCENARIO = Scenario.model_validate(
    {
        "format_version": 1,
        "id": "demo",
        "title": "Demo",
        "topic": "cluster",
        "requires": ["kind"],
        "tasks": [
            {"id": "t", "title": "T", "checks": [{"kind": "k8s", "resource": "pods", "name": "x"}]}
        ],
    }
)


def context(cluster: Cluster, tmp_path: Path) -> CheckContext:
    return CheckContext(
        scenario=SCENARIO,
        task=SCENARIO.tasks[0],
        templates=TemplateContext({"namespace": "lab", "app": "web"}),
        docker=DockerDriver(),
        lab_dir=tmp_path,
        cluster=ClusterTarget(cluster.kubeconfig_path, "lab"),
    )


def check(**fields: Any) -> K8sCheck:
    parsed = CHECK.validate_python({"kind": "k8s", **fields})
    assert isinstance(parsed, K8sCheck)
    return parsed


async def seed(cluster: Cluster) -> None:
    kube = KubeClient.from_file(cluster.kubeconfig_path)
    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app.kubernetes.io/name": "web"}},
        "spec": {
            "replicas": 2,
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "busybox:1.36.1",
                            "env": [{"name": "DB_PASSWORD", "value": "hunter2"}],
                        },
                    ]
                }
            },
        },
    }
    await cluster.run(kube.apply, dep, "lab")
    for i in range(3):
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"web-{i}", "labels": {"app": "web"}},
        }
        await cluster.run(kube.apply, pod, "lab")
    await cluster.run(kube.apply, {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}})


async def verdict(cluster: Cluster, tmp_path: Path, **fields: Any) -> tuple[bool, str]:
    ctx = context(cluster, tmp_path)
    result = await cluster.run(run_one, check(**fields), ctx)
    return result.passed, result.message


CASES: list[tuple[dict[str, Any], bool]] = [
    ({"api_version": "apps/v1", "resource": "deployments", "name": "web"}, True),
    ({"api_version": "apps/v1", "resource": "deployments", "name": "gone"}, False),
    ({"api_version": "apps/v1", "resource": "deployments", "name": "gone", "absent": True}, True),
    ({"api_version": "apps/v1", "resource": "deployments", "name": "web", "absent": True}, False),
    (
        {
            "api_version": "apps/v1",
            "resource": "deployments",
            "name": "web",
            "field": "spec.replicas",
            "equals": 2,
        },
        True,
    ),
    (
        {
            "api_version": "apps/v1",
            "resource": "deployments",
            "name": "web",
            "field": "spec.replicas",
            "equals": 3,
        },
        False,
    ),
    (
        {
            "api_version": "apps/v1",
            "resource": "deployments",
            "name": "web",
            "field": 'metadata.labels["app.kubernetes.io/name"]',
            "equals": "{app}",
        },
        True,
    ),
    (
        {
            "api_version": "apps/v1",
            "resource": "deployments",
            "name": "web",
            "field": "spec.template.spec.containers[0].image",
            "matches": r"^busybox:1\.36",
        },
        True,
    ),
    (
        {
            "api_version": "apps/v1",
            "resource": "deployments",
            "name": "web",
            "field": "spec.template.spec.containers[0].env[0].name",
            "contains": "PASSWORD",
        },
        True,
    ),
    (
        {
            "api_version": "apps/v1",
            "resource": "deployments",
            "name": "web",
            "field": "spec.template.spec.containers[0].env",
            "exists": False,
        },
        False,
    ),
    (
        {
            "api_version": "apps/v1",
            "resource": "deployments",
            "name": "web",
            "field": "spec.template.spec.volumes",
            "exists": False,
        },
        True,
    ),
    (
        {
            "api_version": "apps/v1",
            "resource": "deployments",
            "name": "web",
            "field": "spec.replicas",
            "not_equals": 2,
        },
        False,
    ),
    ({"resource": "pods", "count": 3}, True),
    ({"resource": "pods", "count": 2}, False),
    ({"resource": "pods", "namespace": "other", "absent": True}, True),
    ({"resource": "pods"}, True),
    ({"resource": "nodes", "name": "n1"}, True),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("fields", "passes"), CASES)
async def test_object_checks(
    cluster: Cluster, tmp_path: Path, fields: dict[str, Any], passes: bool
) -> None:
    await seed(cluster)
    passed, message = await verdict(cluster, tmp_path, **fields)
    assert passed is passes, message


@pytest.mark.asyncio
async def test_failures_say_what_was_found(cluster: Cluster, tmp_path: Path) -> None:
    await seed(cluster)
    ctx = context(cluster, tmp_path)
    res = await cluster.run(
        run_one,
        check(
            api_version="apps/v1",
            resource="deployments",
            name="web",
            field="spec.replicas",
            equals=5,
        ),
        ctx,
    )
    assert (res.passed, res.expected, res.actual) == (False, "5", "2")
    assert "deployments/web in namespace lab: spec.replicas is 2" in res.message
    res = await cluster.run(run_one, check(resource="pods", count=1), ctx)
    assert res.actual is not None and res.actual.startswith("3: web-0")


@pytest.mark.asyncio
async def test_access_rules_must_all_hold(cluster: Cluster, tmp_path: Path) -> None:
    sa = "system:serviceaccount:lab:pod-reader"
    cluster.api.grants |= {(sa, "get", "pods", "lab"), (sa, "list", "pods", "lab")}
    least = [
        {"verb": "get", "resource": "pods"},
        {"verb": "list", "resource": "pods"},
        {"verb": "get", "resource": "secrets", "allowed": False},
        {"verb": "create", "resource": "pods/exec", "allowed": False},
    ]
    passed, message = await verdict(cluster, tmp_path, service_account="pod-reader", access=least)
    assert passed, message
    assert "get pods in lab: yes" in message
    cluster.api.grants.add((sa, "get", "secrets", "lab"))
    passed, message = await verdict(cluster, tmp_path, service_account="pod-reader", access=least)
    assert not passed
    assert message == "service account pod-reader may get secrets in lab (granted by the test)"


@pytest.mark.asyncio
async def test_access_for_a_user_cluster_wide(cluster: Cluster, tmp_path: Path) -> None:
    passed, message = await verdict(
        cluster,
        tmp_path,
        user="system:anonymous",
        access=[{"verb": "list", "resource": "namespaces", "namespace": "", "allowed": False}],
    )
    assert passed, message
    posts = [r for r in cluster.api if r.method == "POST"]
    assert posts[-1].data["spec"]["groups"] == ["system:unauthenticated"]


def test_no_kubeconfig_means_unavailable(tmp_path: Path) -> None:
    ctx = CheckContext(
        SCENARIO, SCENARIO.tasks[0], TemplateContext({"namespace": "lab"}), DockerDriver(), tmp_path
    )
    res = run_one(check(resource="pods"), ctx)
    assert res.unavailable and "no cluster connection" in res.message
    ctx.cluster = ClusterTarget(tmp_path / "missing", "lab")
    res = run_one(check(resource="pods"), ctx)
    assert res.unavailable and "cluster is not up" in res.message


def test_registered() -> None:
    assert "k8s" in REGISTRY


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        (
            {"resource": "pods", "access": [{"verb": "get", "resource": "pods"}], "user": "a"},
            "not both",
        ),
        ({"access": [{"verb": "get", "resource": "pods"}]}, "exactly one subject"),
        ({}, "give resource"),
        ({"resource": "pods", "field": "x", "name": "p"}, "field needs one of"),
        ({"resource": "pods", "equals": 1}, "need a field"),
        ({"resource": "pods", "field": "x", "equals": 1}, "field needs a name"),
        ({"resource": "pods", "name": "p", "count": 1}, "count is for lists"),
        ({"resource": "pods", "user": "a"}, "belong to access checks"),
        ({"resource": "pods", "matches": "("}, "regular expression"),
    ],
)
def test_invalid_checks_say_why(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem.replace("(", r"\(")):
        check(**fields)


def test_field_paths() -> None:
    assert parse_path('spec.containers[0].env[-1]["a.b/c"].x.0') == [
        "spec",
        "containers",
        0,
        "env",
        -1,
        "a.b/c",
        "x",
        0,
    ]
    data = {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}
    assert follow(data, 'metadata.labels["pod-security.kubernetes.io/enforce"]') == (
        True,
        "restricted",
    )
    assert follow(data, "metadata.annotations") == (False, None)
    with pytest.raises(PathError):
        parse_path('metadata.labels["open')


@pytest.mark.asyncio
async def test_the_lab_namespace_comes_from_the_cluster_target(
    cluster: Cluster, tmp_path: Path
) -> None:
    """Objects are looked up in the target's namespace, whatever the templates hold."""
    await seed(cluster)
    ctx = context(cluster, tmp_path)
    ctx.templates = TemplateContext({"app": "web"})
    web = check(api_version="apps/v1", resource="deployments", name="web")
    result = await cluster.run(run_one, web, ctx)
    assert result.passed, result.message
    assert "in namespace lab" in result.message
