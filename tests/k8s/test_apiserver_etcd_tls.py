"""apiserver-etcd-tls on the kubeadm node: answers computed from the live manifests, etcd
refusing a client without a certificate, and the learner's TLS flags proved with real
handshakes; ``down`` puts the API server's manifest back byte for byte, also when the
learner's edit keeps the API server from starting.

Skipped without the cluster of ``make cluster``; fails instead under
LABTUI_REQUIRE_CLUSTER=1. The helpers are those of tests/k8s/test_audit_policy_writing.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labtui.engine import node_target
from tests.k8s.test_audit_policy_writing import (
    left_as_found,
    solve_verify_on_the_node,
)

pytestmark = [pytest.mark.node_cluster, pytest.mark.timeout(1500)]

SID = "apiserver-etcd-tls"
BACKUP = Path("/etc/kubernetes/kube-apiserver.yaml.bak")


def test_solve_verify_and_down_leave_the_node_as_found() -> None:
    before, foreign = solve_verify_on_the_node(SID)
    assert not (node_target.FILES_DIR / SID).exists()
    assert not BACKUP.exists()
    assert left_as_found(SID, before, foreign) == []
