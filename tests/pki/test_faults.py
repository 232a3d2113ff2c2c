"""Faults a lab plants: expired, signed by a look-alike CA, a SAN left out. Checked with real openssl."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from labtui.pki import inspect
from labtui.pki.generate import EXPIRED_AGE_DAYS, generate
from labtui.pki.layout import ClusterParams, Faults, PkiError


def verify(openssl: str, ca: Path, cert: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [openssl, "verify", "-CAfile", str(ca), str(cert)],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("faulty") / "etc" / "kubernetes"
    generate(
        root,
        ClusterParams(node_name="n1"),
        Faults(
            expired=("front-proxy-client",),
            wrong_ca=("etcd/peer",),
            missing_san=("apiserver:kubernetes.default",),
        ),
    )
    return root / "pki"


def test_expired_certificate_is_the_only_expired_one(faulty: Path, openssl: str) -> None:
    cert = load(faulty / "front-proxy-client.crt")
    ca = load(faulty / "front-proxy-ca.crt")
    assert inspect.is_expired(cert)
    assert cert.not_valid_before_utc == ca.not_valid_before_utc
    assert ca.not_valid_before_utc < dt.datetime.now(dt.UTC) - dt.timedelta(
        days=EXPIRED_AGE_DAYS - 1
    )
    res = verify(openssl, faulty / "front-proxy-ca.crt", faulty / "front-proxy-client.crt")
    assert res.returncode != 0 and "certificate has expired" in res.stdout + res.stderr
    still_good = verify(openssl, faulty / "ca.crt", faulty / "apiserver.crt")
    assert still_good.returncode == 0, still_good.stdout


def test_wrong_ca_has_the_right_issuer_name_but_fails_the_signature(
    faulty: Path, openssl: str
) -> None:
    peer = load(faulty / "etcd" / "peer.crt")
    etcd_ca = load(faulty / "etcd" / "ca.crt")
    assert peer.issuer == etcd_ca.subject
    why = inspect.signed_by(peer, etcd_ca)
    assert why is not None and "signature does not verify" in why
    res = verify(openssl, faulty / "etcd" / "ca.crt", faulty / "etcd" / "peer.crt")
    assert res.returncode != 0
    assert inspect.signed_by(load(faulty / "etcd" / "server.crt"), etcd_ca) is None


def test_missing_san_is_left_out_and_nothing_else(faulty: Path) -> None:
    dns, ips = inspect.sans(load(faulty / "apiserver.crt"))
    assert "kubernetes.default" not in dns
    assert {"kubernetes", "kubernetes.default.svc", "n1"} <= set(dns)
    assert ips == ["10.96.0.1", "172.18.0.2"]


@pytest.mark.parametrize(
    "faults,message",
    [
        (Faults(expired=("ca",)), "not a kubeadm leaf"),
        (Faults(wrong_ca=("nope",)), "use one of apiserver"),
        (Faults(missing_san=("apiserver",)), "CERT:SAN"),
        (Faults(missing_san=("apiserver:example.com",)), "has no SAN 'example.com'"),
    ],
)
def test_bad_faults_are_refused_before_any_key_is_made(
    tmp_path: Path, faults: Faults, message: str
) -> None:
    with pytest.raises(PkiError, match=message):
        generate(tmp_path, faults=faults)
    assert not any(tmp_path.iterdir())
