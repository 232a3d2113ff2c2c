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
from tests.k8s.node_state import fingerprint, labtui
from tests.k8s.test_audit_policy_writing import (
    MARKER,
    api_ready,
    down,
    left_as_found,
    others,
    solve_verify_on_the_node,
    wait_until_the_api_server_is_down,
    wait_until_the_cluster_is_quiet,
    write_manifest,
)

pytestmark = [pytest.mark.node_cluster, pytest.mark.timeout(1500)]

SID = "apiserver-etcd-tls"
BACKUP = Path("/etc/kubernetes/kube-apiserver.yaml.bak")


def test_solve_verify_and_down_leave_the_node_as_found() -> None:
    before, foreign = solve_verify_on_the_node(SID)
    assert not (node_target.FILES_DIR / SID).exists()
    assert not BACKUP.exists()
    assert left_as_found(SID, before, foreign) == []


def test_down_puts_back_a_manifest_that_keeps_the_api_server_down() -> None:
    """Half done: the learner's backup, and a cipher suite name the API server does not
    know, so it exits at every start. down still puts the manifest back."""
    wait_until_the_cluster_is_quiet(SID)
    before, foreign = fingerprint(), others(SID)
    original = node_target.MANIFEST.read_bytes()
    up = labtui("up", SID)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        BACKUP.write_bytes(original)
        assert MARKER in original
        write_manifest(
            original.replace(
                MARKER,
                MARKER + b"    - --tls-min-version=VersionTLS12\n"
                b"    - --tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,ECDHE-RSA-AES256\n",
            )
        )
        wait_until_the_api_server_is_down()
    finally:
        res = down(SID)
    assert res.returncode == 0, res.stdout + res.stderr
    assert node_target.MANIFEST.read_bytes() == original
    assert api_ready()
    assert not (node_target.FILES_DIR / SID).exists()
    assert not BACKUP.exists()
    assert left_as_found(SID, before, foreign) == []
