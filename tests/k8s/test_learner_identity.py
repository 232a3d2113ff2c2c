"""Two learners on one OS account and one data directory, each with credentials of
their own on a shared cluster (``--context``): the real cluster tells them apart.

The cluster is the kubeadm node of ``make cluster``. The class's rights are the ones
docs/cluster-labs.md tells an admin to grant (``admin`` for the group, and the lab
namespaces' create/get/patch/delete); alice and bob are client certificates signed
by the cluster's CA, as ``kubeadm kubeconfig user`` makes them.
"""

from __future__ import annotations

import base64
import datetime
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from labtui.engine import node_target
from tests.k8s.node_state import fingerprint, kubectl

pytestmark = [pytest.mark.node_cluster, pytest.mark.timeout(900)]

LAB = "rbac-least-privilege"
GROUP = "labtui-class-test"
PKI = Path("/etc/kubernetes/pki")

RBAC = f"""\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: {GROUP}-namespaces}}
rules:
- apiGroups: [""]
  resources: [namespaces]
  verbs: [get, create, patch, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: {GROUP}-namespaces}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {GROUP}-namespaces}}
subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: Group, name: {GROUP}}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: {GROUP}-admin}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}}
subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: Group, name: {GROUP}}}]
"""


def user_certificate(cn: str) -> tuple[str, str]:
    """A client certificate and key for ``cn`` in the class's group, signed by the cluster CA."""
    ca = x509.load_pem_x509_certificate((PKI / "ca.crt").read_bytes())
    ca_key = serialization.load_pem_private_key((PKI / "ca.key").read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, GROUP),
                    x509.NameAttribute(NameOID.COMMON_NAME, cn),
                ]
            )
        )
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return base64.b64encode(pem).decode(), base64.b64encode(key_pem).decode()


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A kubeconfig with the contexts alice and bob, and the class's rights granted."""
    if node_target.unavailable():
        pytest.skip(node_target.unavailable() or "")
    before = fingerprint()
    admin = yaml.safe_load(node_target.ADMIN_CONF.read_text())
    cluster = admin["clusters"][0]
    users = {name: user_certificate(name) for name in ("alice", "bob")}
    config = tmp_path_factory.mktemp("class") / "kubeconfig"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [cluster],
                "users": [
                    {"name": n, "user": {"client-certificate-data": c, "client-key-data": k}}
                    for n, (c, k) in users.items()
                ],
                "contexts": [
                    {"name": n, "context": {"cluster": cluster["name"], "user": n}} for n in users
                ],
                "current-context": "alice",
            }
        )
    )
    rbac = config.parent / "rbac.yaml"
    rbac.write_text(RBAC)
    kubectl("apply", "-f", str(rbac))
    try:
        yield config
    finally:
        for who in ("alice", "bob"):
            run(config, "--context", who, "down", LAB)
        kubectl("delete", "-f", str(rbac), "--ignore-not-found", "--wait")
        for who in ("alice", "bob"):
            kubectl("delete", "namespace", f"labtui-{who}-{LAB}", "--ignore-not-found", "--wait")
        assert fingerprint() == before


def run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """labtui as a learner of the class: one OS account, one data directory for both."""
    env = {
        **os.environ,
        "KUBECONFIG": str(config),
        "LABTUI_DATA_DIR": str(config.parent / "data"),
    }
    for name in ("LABTUI_CLUSTER", "LABTUI_CONTEXT"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "labtui", *args],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
        env=env,
    )


def namespace(name: str) -> dict[str, object] | None:
    out = kubectl("get", "namespace", name, "-o", "yaml", "--ignore-not-found")
    return yaml.safe_load(out) if out.strip() else None


def test_two_learners_on_one_account_get_their_own_namespaces_and_folders(
    classroom: Path,
) -> None:
    for who in ("alice", "bob"):
        up = run(classroom, "--context", who, "up", LAB)
        assert up.returncode == 0, up.stdout + up.stderr
        ns = namespace(f"labtui-{who}-{LAB}")
        assert ns is not None
        assert ns["metadata"]["annotations"]["labtui.identity"] == who  # type: ignore[index]
        lab_kubeconfig = classroom.parent / "data" / "learners" / who / "labs" / LAB / "kubeconfig"
        assert f"namespace: labtui-{who}-{LAB}" in lab_kubeconfig.read_text()

    # bob calling himself alice does not get into her namespace.
    posing = run(classroom, "--context", "bob", "--learner", "alice", "up", LAB)
    assert posing.returncode == 3, posing.stdout + posing.stderr
    assert "was made for alice, and you are bob" in posing.stdout + posing.stderr

    # The whole lab, as bob, with only the rights the docs list.
    verify = run(classroom, "--context", "bob", "solve", LAB, "--verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr

    down = run(classroom, "--context", "alice", "down", LAB)
    assert down.returncode == 0, down.stdout + down.stderr
    deadline = time.monotonic() + 120
    while namespace(f"labtui-alice-{LAB}") is not None and time.monotonic() < deadline:
        time.sleep(1)
    assert namespace(f"labtui-alice-{LAB}") is None
    assert namespace(f"labtui-bob-{LAB}") is not None
    # Each is an owner of their own on the Docker engine too.
    learners = classroom.parent / "data" / "learners"
    assert (learners / "alice" / "owner").read_text() != (learners / "bob" / "owner").read_text()
