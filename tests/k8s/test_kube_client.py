"""The Kubernetes client layer against a real HTTP API (kmock), the sync client in a thread."""

from __future__ import annotations

import re
import socket
import sys
import time
from typing import Any

import pytest
import yaml

from labtui.drivers.kube import (
    KubeClient,
    KubeError,
    is_ready,
    load_documents,
    plural_of,
    resource_path,
    service_account_subject,
    user_groups,
)
from labtui.errors import EnvironmentUnavailable, LabError
from tests.k8s.conftest import Cluster, kubeconfig

SA = "system:serviceaccount:lab:pod-reader"


@pytest.mark.asyncio
async def test_each_client_is_isolated_and_reaches_its_own_server(cluster: Cluster) -> None:
    other = KubeClient(kubeconfig("http://127.0.0.1:9"))
    mine = KubeClient.from_file(cluster.kubeconfig_path)
    assert await cluster.run(mine.version)
    assert mine.server == cluster.url
    assert other.server == "http://127.0.0.1:9"
    from kubernetes import client

    # new_client_from_config_dict never touches the process-wide default configuration.
    assert client.Configuration.get_default_copy().host != cluster.url


@pytest.mark.asyncio
async def test_requests_carry_the_kubeconfig_token(cluster: Cluster) -> None:
    kube = KubeClient.from_file(cluster.kubeconfig_path)
    await cluster.run(kube.list_objects, "v1", "pods", "lab")
    seen = [r for r in cluster.api if r.method == "GET" and "/pods" in str(r.url)]
    assert seen and seen[-1].headers["Authorization"] == "Bearer lab-token"


@pytest.mark.asyncio
async def test_server_side_apply_creates_then_updates(cluster: Cluster) -> None:
    kube = KubeClient.from_file(cluster.kubeconfig_path)
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    }
    await cluster.run(kube.apply, pod, "lab")
    pod["metadata"]["labels"] = {"app": "web", "tier": "front"}
    await cluster.run(kube.apply, pod, "lab")
    got = await cluster.run(kube.get, "v1", "pods", "web", "lab")
    assert got is not None
    assert got["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert got["metadata"]["namespace"] == "lab"
    patches = [r for r in cluster.api if r.method == "PATCH"]
    assert patches[-1].headers["Content-Type"] == "application/apply-patch+yaml"
    assert patches[-1].params == {"fieldManager": "labtui", "force": "true"}


@pytest.mark.asyncio
async def test_apply_text_of_several_documents(cluster: Cluster) -> None:
    kube = KubeClient.from_file(cluster.kubeconfig_path)
    text = """
apiVersion: v1
kind: ServiceAccount
metadata: {name: pod-reader}
---
apiVersion: v1
kind: Secret
metadata: {name: db}
stringData: {password: x}
"""
    applied = await cluster.run(kube.apply_text, text, "lab")
    assert [o["kind"] for o in applied] == ["ServiceAccount", "Secret"]
    secrets = await cluster.run(kube.list_objects, "v1", "secrets", "lab")
    assert [s["metadata"]["name"] for s in secrets] == ["db"]


@pytest.mark.asyncio
async def test_get_missing_is_none_and_list_filters_by_namespace(cluster: Cluster) -> None:
    kube = KubeClient.from_file(cluster.kubeconfig_path)
    assert await cluster.run(kube.get, "v1", "pods", "nope", "lab") is None
    for ns in ("lab", "other"):
        await cluster.run(
            kube.apply, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p-{ns}"}}, ns
        )
    assert len(await cluster.run(kube.list_objects, "v1", "pods", "lab")) == 1
    assert len(await cluster.run(kube.list_objects, "v1", "pods")) == 2


@pytest.mark.asyncio
async def test_delete(cluster: Cluster) -> None:
    kube = KubeClient.from_file(cluster.kubeconfig_path)
    await cluster.run(
        kube.apply, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}, "lab"
    )
    assert await cluster.run(kube.delete, "v1", "secrets", "s", "lab") is True
    assert await cluster.run(kube.delete, "v1", "secrets", "s", "lab") is False
    assert await cluster.run(kube.get, "v1", "secrets", "s", "lab") is None


@pytest.mark.asyncio
async def test_errors_carry_the_status(cluster: Cluster) -> None:
    kube = KubeClient.from_file(cluster.kubeconfig_path)
    with pytest.raises(KubeError) as err:
        await cluster.run(kube.request, "GET", "/apis/example.com/v1/widgets")
    assert err.value.status == 404
    with pytest.raises(LabError, match=r"does not serve widgets in example\.com/v1"):
        await cluster.run(kube.list_objects, "example.com/v1", "widgets", "lab")


@pytest.mark.asyncio
async def test_access_review_for_a_service_account(cluster: Cluster) -> None:
    cluster.api.grants.add((SA, "get", "pods", "lab"))
    kube = KubeClient.from_file(cluster.kubeconfig_path)
    user, groups = service_account_subject("pod-reader", "lab")
    yes = await cluster.run(
        lambda: kube.access_review("get", "pods", user, groups, namespace="lab")
    )
    no = await cluster.run(
        lambda: kube.access_review("get", "secrets", user, groups, namespace="lab")
    )
    assert yes.allowed and not no.allowed
    reviews = [r for r in cluster.api if r.method == "POST"]
    assert str(reviews[0].url.path).endswith("/namespaces/lab/localsubjectaccessreviews")
    assert reviews[0].data["spec"]["groups"] == [
        "system:serviceaccounts",
        "system:serviceaccounts:lab",
        "system:authenticated",
    ]


@pytest.mark.asyncio
async def test_cluster_wide_review_uses_subjectaccessreview(cluster: Cluster) -> None:
    kube = KubeClient.from_file(cluster.kubeconfig_path)
    res = await cluster.run(
        lambda: kube.access_review("list", "nodes", "alice", ["system:authenticated"])
    )
    assert not res.allowed
    posts = [r for r in cluster.api if r.method == "POST"]
    assert str(posts[-1].url.path) == "/apis/authorization.k8s.io/v1/subjectaccessreviews"


@pytest.mark.asyncio
async def test_wait_ready_polls_until_the_deployment_is_available(cluster: Cluster) -> None:
    kube = KubeClient.from_file(cluster.kubeconfig_path)
    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "generation": 1},
        "spec": {"replicas": 1},
    }
    await cluster.run(kube.apply, dep, "lab")
    with pytest.raises(LabError, match="is not ready after"):
        await cluster.run(
            lambda: kube.wait_ready("apps/v1", "deployments", "web", "lab", timeout=0.3)
        )
    dep["status"] = {
        "observedGeneration": 1,
        "replicas": 1,
        "updatedReplicas": 1,
        "availableReplicas": 1,
    }
    await cluster.run(kube.apply, dep, "lab")
    got = await cluster.run(
        lambda: kube.wait_ready("apps/v1", "deployments", "web", "lab", timeout=5)
    )
    assert got["status"]["availableReplicas"] == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.asyncio
async def test_a_server_that_does_not_answer_is_environment_unavailable(cluster: Cluster) -> None:
    kube = KubeClient(kubeconfig(f"http://127.0.0.1:{_free_port()}"), timeout=2)
    kube.api.configuration.retries = 0
    start = time.monotonic()
    with pytest.raises(EnvironmentUnavailable, match="does not answer"):
        await cluster.run(kube.version)
    assert time.monotonic() - start < 10


def test_bad_kubeconfigs_say_what_is_wrong(tmp_path: object) -> None:
    with pytest.raises(LabError, match="no contexts"):
        KubeClient.from_text("apiVersion: v1\nkind: Config\n")
    with pytest.raises(LabError, match="context 'prod' does not exist"):
        KubeClient.from_text(yaml.safe_dump(kubeconfig("http://x")), context="prod")


def test_paths_plurals_and_subjects() -> None:
    assert resource_path("v1", "pods", "lab", "web") == "/api/v1/namespaces/lab/pods/web"
    assert (
        resource_path("apps/v1", "deployments", "lab") == "/apis/apps/v1/namespaces/lab/deployments"
    )
    assert resource_path("v1", "nodes", "lab", "n1") == "/api/v1/nodes/n1"
    assert [
        plural_of(k) for k in ("Pod", "NetworkPolicy", "Ingress", "Endpoints", "StorageClass")
    ] == ["pods", "networkpolicies", "ingresses", "endpoints", "storageclasses"]
    assert (
        service_account_subject("kube-system:default", "lab")[0]
        == "system:serviceaccount:kube-system:default"
    )
    assert user_groups("system:anonymous", []) == ["system:unauthenticated"]
    assert user_groups("alice", ["dev"]) == ["dev", "system:authenticated"]


def test_readiness_rules() -> None:
    pod = {"kind": "Pod", "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    assert is_ready(pod)
    assert not is_ready({"kind": "Pod", "status": {}})
    assert is_ready({"kind": "Namespace", "status": {"phase": "Active"}})


def test_load_documents_rejects_what_is_not_an_object() -> None:
    assert (
        len(load_documents("kind: List\napiVersion: v1\nitems: [{kind: Pod, apiVersion: v1}]")) == 1
    )
    with pytest.raises(LabError, match=re.escape("x.yaml:4 (document 2): not a Kubernetes object")):
        load_documents("kind: Pod\napiVersion: v1\n---\nfoo: bar\n", "x.yaml")


def test_the_objects_a_lab_applies_are_read_by_the_one_manifest_reader() -> None:
    """Located errors, duplicate fields and List typos: as the NetworkPolicy engine reads them."""
    from labtui.netpol.parse import load_text

    typed = "apiVersion: v1\nkind: PodList\nitems:\n  - {apiVersion: v1, metadata: {name: web}}\n"
    assert load_documents(typed)[0]["kind"] == "Pod"
    cases = {
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n": (
            "lab.yaml:5 (document 1): field 'name' appears twice in one mapping"
        ),
        "apiVersion: v1\nkind: List\nitem: []\n": "lab.yaml:3 (document 1): item: unknown field",
        "apiVersion: v1\nkind: List\nitems:\n  - {kind: Pod}\n": (
            "lab.yaml:4 (document 1, item 1): not a Kubernetes object"
        ),
        "kind: Pod\n  bad: [\n": "lab.yaml:2 (document 1): not valid YAML",
    }
    for text, message in cases.items():
        with pytest.raises(LabError, match=re.escape(message)):
            load_documents(text, "lab.yaml")
        if "appears twice" in message or "unknown field" in message:
            with pytest.raises(LabError, match=re.escape(message)):
                load_text(text, "lab.yaml")


def test_the_client_layer_does_not_import_kubernetes_until_used() -> None:
    import subprocess

    code = (
        "import sys, labtui.drivers.kube, labtui.checks, labtui.engine.session, labtui.cli;"
        "print('kubernetes' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
