"""Every generated certificate against kubeadm's layout, for both group layouts, checked with openssl."""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from labtui.pki import inspect
from labtui.pki.files import LabFiles
from labtui.pki.generate import GeneratedPki
from tests.pki.conftest import ADDRESS, NODE, lab_of


@dataclass(frozen=True)
class Row:
    file: str
    cn: str
    o: tuple[str, ...]
    issuer: str
    eku: tuple[str, ...]
    dns: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    ca: bool = False


def kubeadm_table(version: str) -> list[Row]:
    """kubeadm's certlist.go / pki_helpers.go, written out by hand (DNS SANs sorted, as kubeadm does)."""
    new = version >= "1.29"
    masters = () if new else ("system:masters",)
    etcd_dns = tuple(sorted([NODE, "localhost"]))
    etcd_ips = (ADDRESS, "127.0.0.1", "::1")
    return [
        Row("ca.crt", "kubernetes", (), "kubernetes", (), ("kubernetes",), ca=True),
        Row(
            "apiserver.crt",
            "kube-apiserver",
            (),
            "kubernetes",
            ("serverAuth",),
            tuple(
                sorted(
                    [
                        NODE,
                        "kubernetes",
                        "kubernetes.default",
                        "kubernetes.default.svc",
                        "kubernetes.default.svc.cluster.local",
                    ]
                )
            ),
            ("10.96.0.1", ADDRESS),
        ),
        Row(
            "apiserver-kubelet-client.crt",
            "kube-apiserver-kubelet-client",
            ("kubeadm:cluster-admins",) if new else ("system:masters",),
            "kubernetes",
            ("clientAuth",),
        ),
        Row(
            "front-proxy-ca.crt",
            "front-proxy-ca",
            (),
            "front-proxy-ca",
            (),
            ("front-proxy-ca",),
            ca=True,
        ),
        Row("front-proxy-client.crt", "front-proxy-client", (), "front-proxy-ca", ("clientAuth",)),
        Row("etcd/ca.crt", "etcd-ca", (), "etcd-ca", (), ("etcd-ca",), ca=True),
        Row(
            "etcd/server.crt", NODE, (), "etcd-ca", ("serverAuth", "clientAuth"), etcd_dns, etcd_ips
        ),
        Row("etcd/peer.crt", NODE, (), "etcd-ca", ("serverAuth", "clientAuth"), etcd_dns, etcd_ips),
        Row(
            "etcd/healthcheck-client.crt",
            "kube-etcd-healthcheck-client",
            masters,
            "etcd-ca",
            ("clientAuth",),
        ),
        Row(
            "apiserver-etcd-client.crt",
            "kube-apiserver-etcd-client",
            masters,
            "etcd-ca",
            ("clientAuth",),
        ),
    ]


def kubeconfig_table(version: str) -> list[tuple[str, str, tuple[str, ...]]]:
    new = version >= "1.29"
    rows: list[tuple[str, str, tuple[str, ...]]] = [
        (
            "admin.conf",
            "kubernetes-admin",
            ("kubeadm:cluster-admins",) if new else ("system:masters",),
        )
    ]
    if new:
        rows.append(("super-admin.conf", "kubernetes-super-admin", ("system:masters",)))
    rows += [
        ("kubelet.conf", f"system:node:{NODE}", ("system:nodes",)),
        ("controller-manager.conf", "system:kube-controller-manager", ()),
        ("scheduler.conf", "system:kube-scheduler", ()),
    ]
    return rows


def version_of(pki: GeneratedPki) -> str:
    return "1.28" if "pki-1.28" in str(pki.root) else "1.31"


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_files_are_laid_out_like_etc_kubernetes(pki: GeneratedPki) -> None:
    got = sorted(p.relative_to(pki.root).as_posix() for p in pki.root.rglob("*") if p.is_file())
    certs = [r.file for r in kubeadm_table(version_of(pki))]
    want = (
        [f"pki/{c}" for c in certs]
        + [f"pki/{c[:-4]}.key" for c in certs]
        + ["pki/sa.key", "pki/sa.pub"]
    )
    want += [k for k, _, _ in kubeconfig_table(version_of(pki))] + ["manifests/kube-apiserver.yaml"]
    assert got == sorted(want)
    assert (pki.root / "pki" / "ca.key").stat().st_mode & 0o077 == 0
    assert b"BEGIN RSA PRIVATE KEY" in (pki.root / "pki" / "apiserver.key").read_bytes()
    assert b"BEGIN PUBLIC KEY" in (pki.root / "pki" / "sa.pub").read_bytes()


def test_every_certificate_matches_kubeadm(pki: GeneratedPki) -> None:
    now = dt.datetime.now(dt.UTC)
    cas = {}
    for row in kubeadm_table(version_of(pki)):
        cert = load(pki.root / "pki" / row.file)
        assert inspect.name_values(cert.subject, "CN") == [row.cn], row.file
        assert tuple(inspect.name_values(cert.subject, "O")) == row.o, row.file
        assert inspect.name_values(cert.issuer, "CN") == [row.issuer], row.file
        dns, ips = inspect.sans(cert)
        assert (tuple(dns), tuple(ips)) == (row.dns, row.ips), row.file
        assert tuple(inspect.ext_key_usages(cert)) == row.eku, row.file
        assert inspect.is_ca(cert) is row.ca, row.file
        usages = ["digitalSignature", "keyEncipherment"] + (["keyCertSign"] if row.ca else [])
        assert inspect.key_usages(cert) == usages, row.file
        assert cert.public_key().key_size == 2048  # type: ignore[union-attr]
        life = cert.not_valid_after_utc - cert.not_valid_before_utc
        if row.ca:
            cas[row.cn] = cert
            assert life == dt.timedelta(days=3650, minutes=5), row.file
            assert (
                dt.timedelta(minutes=4) < now - cert.not_valid_before_utc < dt.timedelta(minutes=6)
            )
        else:
            assert cert.not_valid_before_utc == cas[row.issuer].not_valid_before_utc, row.file
            assert abs(cert.not_valid_after_utc - (now + dt.timedelta(days=365))) < dt.timedelta(
                minutes=2
            )
            assert inspect.signed_by(cert, cas[row.issuer]) is None


def test_kubeconfigs_embed_the_ca_and_the_right_identity(pki: GeneratedPki) -> None:
    files = LabFiles(lab_of(pki))
    ca = load(pki.root / "pki" / "ca.crt")
    for name, user, groups in kubeconfig_table(version_of(pki)):
        doc = yaml.safe_load((pki.root / name).read_text())
        assert doc["current-context"] == f"{user}@kubernetes"
        assert doc["clusters"][0]["cluster"]["server"] == f"https://{ADDRESS}:6443"
        loaded = inspect.load(files, f"etc/kubernetes/{name}")
        assert inspect.name_values(loaded.cert.subject, "CN") == [user]
        assert tuple(inspect.name_values(loaded.cert.subject, "O")) == groups
        assert inspect.ext_key_usages(loaded.cert) == ["clientAuth"]
        assert inspect.signed_by(loaded.cert, ca) is None
        assert loaded.key is not None and inspect.key_matches(loaded.cert, loaded.key, name) is None
        assert inspect.load(files, f"etc/kubernetes/{name}", "ca").cert == ca


def test_whole_chain_verifies_with_openssl(pki: GeneratedPki, openssl: str) -> None:
    pkidir = pki.root / "pki"
    groups = {"ca.crt": [], "front-proxy-ca.crt": [], "etcd/ca.crt": []}  # type: dict[str, list[str]]
    for row in kubeadm_table(version_of(pki)):
        ca_file = {
            "kubernetes": "ca.crt",
            "front-proxy-ca": "front-proxy-ca.crt",
            "etcd-ca": "etcd/ca.crt",
        }[row.issuer]
        groups[ca_file].append(str(pkidir / row.file))
    for ca_file, leaves in groups.items():
        res = subprocess.run(
            [openssl, "verify", "-CAfile", str(pkidir / ca_file), *leaves],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        assert res.returncode == 0, res.stdout + res.stderr
        assert res.stdout.count(": OK") == len(leaves)
    # The kubeconfigs' client certificates, decoded the way the lab teaches.
    for name, _, _ in kubeconfig_table(version_of(pki)):
        doc = yaml.safe_load((pki.root / name).read_text())
        import base64

        client = pki.root.parent / f"{name}.crt"
        client.write_bytes(base64.b64decode(doc["users"][0]["user"]["client-certificate-data"]))
        res = subprocess.run(
            [openssl, "verify", "-CAfile", str(pkidir / "ca.crt"), str(client)],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        assert res.returncode == 0, res.stdout + res.stderr


def test_openssl_reads_what_the_lab_asks_about(pki: GeneratedPki, openssl: str) -> None:
    res = subprocess.run(
        [openssl, "x509", "-in", str(pki.root / "pki" / "apiserver.crt"), "-noout", "-text"],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    assert "Issuer: CN = kubernetes" in res.stdout
    assert "Subject: CN = kube-apiserver" in res.stdout
    assert f"DNS:{NODE}" in res.stdout and "IP Address:10.96.0.1" in res.stdout
    assert "TLS Web Server Authentication" in res.stdout
    assert "Digital Signature, Key Encipherment" in res.stdout
    subject = subprocess.run(
        [
            openssl,
            "x509",
            "-in",
            str(pki.root / "pki" / "apiserver-kubelet-client.crt"),
            "-noout",
            "-subject",
        ],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    ).stdout
    group = "kubeadm:cluster-admins" if version_of(pki) == "1.31" else "system:masters"
    assert subject.strip() == f"subject=O = {group}, CN = kube-apiserver-kubelet-client"


def test_manifest_names_the_files_by_their_job(pki: GeneratedPki) -> None:
    doc = yaml.safe_load((pki.root / "manifests" / "kube-apiserver.yaml").read_text())
    flags = doc["spec"]["containers"][0]["command"]
    assert "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt" in flags
    assert "--service-cluster-ip-range=10.96.0.0/12" in flags
    assert f"--advertise-address={ADDRESS}" in flags


@pytest.mark.parametrize("text,want", [("1.31", (1, 31)), ("v1.28.3", (1, 28))])
def test_versions_parse(text: str, want: tuple[int, int]) -> None:
    from labtui.pki.layout import parse_version

    assert parse_version(text) == want


@pytest.mark.parametrize("text", ["1", "2.0", "one.two", ""])
def test_bad_versions_say_what_is_expected(text: str) -> None:
    from labtui.pki.layout import parse_version

    with pytest.raises(ValueError, match=r"1\.31|1\.x"):
        parse_version(text)
