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


def test_down_after_a_learner_s_work_leaves_the_cluster_as_found() -> None:
    """Every solution applied by hand, plus a token the learner asked for: down removes
    the namespace with everything in it and nothing else."""
    before = fingerprint()
    up = labtui("up", LAB)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        solved = labtui("solve", LAB)
        assert solved.returncode == 0, solved.stdout + solved.stderr
        token = kubectl("create", "token", "default", "-n", NAMESPACE, "--audience", "vault")
        assert token.count(".") == 2
        pod = kubectl("get", "pod", "web", "-n", NAMESPACE, "-o", "jsonpath={.spec}")
        assert '"automountServiceAccountToken":false' in pod
    finally:
        down = labtui("down", LAB)
    assert down.returncode == 0, down.stdout + down.stderr
    assert f"namespace/{NAMESPACE}" not in namespaces()
    assert fingerprint() == before
