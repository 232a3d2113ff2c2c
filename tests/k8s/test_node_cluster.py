"""Every cluster lab proves itself on a real kubeadm cluster: ``labtui --cluster node solve ID --verify``.

The cluster is the one ``make cluster`` builds on this machine from Kubernetes' Go
modules (docs/real-cluster.md): kube-apiserver, etcd, the kubelet and containerd,
real RBAC and admission, real audit events, encryption checked in etcd. These
tests skip where there is none, and fail instead under LABTUI_REQUIRE_CLUSTER=1
(CI). They run one after another: labs that change the API server's settings
restart it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest

from labtui.engine import node_target
from tests.k8s.node_state import fingerprint, kubectl, labtui

pytestmark = [pytest.mark.node_cluster, pytest.mark.timeout(1500)]

LABS = [
    "rbac-least-privilege",
    "secrets-in-kubernetes",
    "apiserver-access",
    "admission-control",
    "audit-logging",
    "etcd-encryption-at-rest",
    # Its node-crictl task; the kind task is skipped without kind.
    "runtimes-docker-containerd",
    # The network labs are proven on the cluster below: every flow probed through
    # kube-router agrees with the engine before and after the solutions, and the
    # engine's own solve --verify (tests/netpol) judges them task by task.
]


@pytest.mark.parametrize("sid", LABS)
def test_solve_verify_on_the_kubeadm_node(sid: str) -> None:
    res = labtui("solve", sid, "--verify")
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"{sid}: verified" in res.stdout


def test_node_is_ready_and_doctor_reports_the_node_target() -> None:
    ready = kubectl(
        "get", "nodes", "-o", "jsonpath={.items[*].status.conditions[?(@.type=='Ready')].status}"
    )
    assert ready.split() == ["True"]
    res = labtui("doctor", "--json")
    items = {i["name"]: i for i in json.loads(res.stdout)["items"]}
    assert items["target"]["detail"].startswith("node ")
    assert items["cluster labs"]["status"] == "ok", items["cluster labs"]
    assert "Ready" in items["cluster labs"]["detail"]


def test_down_leaves_the_cluster_as_it_found_it() -> None:
    """A lab that edits the API server's manifest, and a learner who labels the node and
    makes a ClusterRole: down puts the manifest back byte for byte and removes the rest."""
    before = fingerprint()
    manifests = sorted(p.name for p in node_target.MANIFEST.parent.iterdir())
    original = node_target.MANIFEST.read_bytes()
    up = labtui("up", "audit-logging")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert node_target.MANIFEST.read_bytes() != original
        assert b"--audit-policy-file=" in node_target.MANIFEST.read_bytes()
        # The backup is never where the kubelet would run it as a second API server.
        assert sorted(p.name for p in node_target.MANIFEST.parent.iterdir()) == manifests
        assert node_target.BACKUP_MANIFEST.read_bytes() == original
        node = kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}")
        kubectl("label", "node", node, "learner-was-here=yes")
        kubectl("create", "clusterrole", "learner-made", "--verb=get", "--resource=pods")
        kubectl("create", "namespace", "learner-ns")
        # A second lab that needs the API server's settings is refused, saying whose they are.
        second = labtui("up", "etcd-encryption-at-rest")
        assert second.returncode != 0
        assert "audit-logging" in second.stdout + second.stderr
    finally:
        down = labtui("down", "audit-logging")
        labtui("down", "etcd-encryption-at-rest")
    assert down.returncode == 0, down.stdout + down.stderr
    assert node_target.MANIFEST.read_bytes() == original
    assert fingerprint() == before


def test_kubeadm_certificates_reads_this_node_s_real_pki() -> None:
    """LABTUI_PKI_NODE=local: the certificate tasks read /etc/kubernetes/pki of this node;
    the two about the planted expired certificate are skipped, never passed."""
    res = subprocess.run(
        [sys.executable, "-m", "labtui", "solve", "kubeadm-certificates", "--verify"],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "LABTUI_PKI_NODE": "local"},
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "kubeadm-certificates: verified (2 task(s) skipped: not passed)" in res.stdout
    rows = {line.split()[0]: line for line in res.stdout.splitlines() if line.strip()}
    assert "skipped: needs the lab's generated certificates" in rows["find-expired"]
    assert "✓" in rows["apiserver-signer"]


NETWORK_LABS = [
    "netpol-default-deny",
    "netpol-egress-ipblock",
    "netpol-frontend-backend",
    "netpol-namespace-isolation",
]
VERDICTS = re.compile(r"(\S+ -> \S+ \S+): expected \w+, engine (\w+), cluster (\w+)")


def check_report(sid: str) -> dict[str, Any]:
    res = labtui("check", sid, "--json", timeout=1500)
    assert res.returncode in (0, 1), res.stdout + res.stderr
    report: dict[str, Any] = json.loads(res.stdout)
    return report


def probed_flows(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(flow, engine verdict, cluster verdict) of every flow the cluster was probed for."""
    return [
        match.groups()
        for task in report["tasks"]
        for result in task["checks"]
        if result["kind"] == "reachability"
        for match in VERDICTS.finditer(result.get("actual") or "")
    ]


@pytest.mark.parametrize("sid", NETWORK_LABS)
def test_network_lab_on_the_cluster_agrees_with_the_engine(sid: str) -> None:
    """The lab's policies applied to the cluster, every TCP flow probed with a fresh
    connection through the enforcer (kube-router): the cluster's verdict equals the
    engine's for every flow, before the solutions (checks fail) and after them."""
    up = labtui("up", sid)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        before = check_report(sid)
        for task in before["tasks"]:
            assert not task["passed"], f"{task['id']} passes before its solution"
        # Every solution applied: an earlier task's check may fail again (a later
        # task opens what it closed); solve --verify judges task by task.
        labtui("solve", sid, timeout=1500)
        after = check_report(sid)
        flows = probed_flows(before) + probed_flows(after)
        assert flows, "no flow was probed on the cluster"
        disagree = [f for f in flows if f[1] != f[2]]
        assert not disagree, f"the cluster and the engine disagree: {disagree}"
        # Both verdicts were seen for real: a prober that always failed would not pass.
        assert {"allowed", "denied"} <= {f[2] for f in flows}
    finally:
        down = labtui("down", sid)
    assert down.returncode == 0, down.stdout + down.stderr
    for label in ("labtui.scenario", "labtui.probe"):
        leftovers = kubectl("get", "networkpolicies,pods,configmaps", "-A", "-l", label)
        assert leftovers.strip() == "", leftovers
