"""serviceaccount-tokens on the real kubeadm cluster: real tokens stolen from a pod,
requests made with them inside the pod (busybox wget over TLS) and from this machine,
the API server's 403 and 401, a projected token for another audience."""

from __future__ import annotations

import pytest

from tests.k8s.node_state import fingerprint, kubectl, labtui

pytestmark = [pytest.mark.node_cluster, pytest.mark.timeout(1500)]

LAB = "serviceaccount-tokens"
NAMESPACE = "sa-tokens"


def namespaces() -> list[str]:
    return kubectl("get", "namespaces", "-o", "name").split()


def test_solve_verify_and_down_leaves_the_cluster_as_found() -> None:
    before = fingerprint()
    res = labtui("solve", LAB, "--verify")
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"{LAB}: verified" in res.stdout
    assert f"namespace/{NAMESPACE}" not in namespaces()
    assert fingerprint() == before
