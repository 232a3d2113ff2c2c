"""admission-policies on the real kubeadm cluster: a ValidatingAdmissionPolicy and its
binding refusing real requests in the lab namespace only, and down removing the
cluster-wide objects the learner made."""

from __future__ import annotations

import pytest

from tests.k8s.node_state import fingerprint, kubectl, labtui

pytestmark = [pytest.mark.node_cluster, pytest.mark.timeout(1500)]

LAB = "admission-policies"
NAMESPACE = "policy-lab"


def policies() -> list[str]:
    return kubectl(
        "get", "validatingadmissionpolicies,validatingadmissionpolicybindings", "-o", "name"
    ).split()


def test_solve_verify_and_down_leaves_the_cluster_as_found() -> None:
    before = fingerprint()
    res = labtui("solve", LAB, "--verify")
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"{LAB}: verified" in res.stdout
    assert fingerprint() == before


def test_down_removes_the_learner_s_policy_and_binding() -> None:
    before = fingerprint()
    up = labtui("up", LAB)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        solved = labtui("solve", LAB, "--task", "write-the-policy")
        assert solved.returncode == 0, solved.stdout + solved.stderr
        made = policies()
        assert "validatingadmissionpolicy.admissionregistration.k8s.io/trusted-pods" in made
        assert "validatingadmissionpolicybinding.admissionregistration.k8s.io/trusted-pods" in made
        # In force in the lab namespace, and nowhere else.
        refused = kubectl(
            "run", "probe", "-n", NAMESPACE, "--image=nginx:1.27", "--dry-run=server", check=False
        )
        assert refused == ""
        admitted = kubectl(
            "run", "probe", "-n", "default", "--image=nginx:1.27", "--dry-run=server"
        )
        assert "created (server dry run)" in admitted
    finally:
        down = labtui("down", LAB)
    assert down.returncode == 0, down.stdout + down.stderr
    assert "trusted-pods" not in " ".join(policies())
    assert fingerprint() == before
