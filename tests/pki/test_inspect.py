"""Fields of certificates and kubeconfigs, as computed answers read them."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from labtui.pki import inspect
from labtui.pki.files import LabFiles, LocalFiles
from labtui.pki.generate import GeneratedPki
from tests.pki.conftest import ADDRESS, NODE, lab_of


def field(pki: GeneratedPki, path: str, name: str) -> str:
    return inspect.field_value(LabFiles(lab_of(pki)), path, name)


def is_new(pki: GeneratedPki) -> bool:
    return "pki-1.31" in str(pki.root)


def test_fields(pki: GeneratedPki) -> None:
    api = "etc/kubernetes/pki/apiserver.crt"
    assert field(pki, api, "subject") == "CN = kube-apiserver"
    assert field(pki, api, "issuer.CN") == "kubernetes"
    assert field(pki, api, "san.ip") == f"10.96.0.1, {ADDRESS}"
    assert field(pki, api, "san.ip.0") == "10.96.0.1"
    assert field(pki, api, "san.dns.0") == NODE
    assert field(pki, api, "ext_key_usage") == "serverAuth"
    assert field(pki, api, "key_usage") == "digitalSignature, keyEncipherment"
    assert field(pki, api, "is_ca") == "false"
    assert 363 <= int(field(pki, api, "days_left")) <= 365
    assert field(pki, api, "signer") == "ca.crt"
    assert field(pki, "etc/kubernetes/pki/etcd/server.crt", "signer") == "etcd/ca.crt"
    assert field(pki, "etc/kubernetes/pki/front-proxy-client.crt", "signer") == "front-proxy-ca.crt"
    assert field(pki, "etc/kubernetes/pki", "count") == "10"
    assert field(pki, "etc/kubernetes/pki", "expired") == ""
    assert field(pki, "etc/kubernetes/scheduler.conf", "ca.file") == "ca.crt"
    assert field(pki, "etc/kubernetes/kubelet.conf", "subject.O") == "system:nodes"
    group = "kubeadm:cluster-admins" if is_new(pki) else "system:masters"
    assert field(pki, "etc/kubernetes/admin.conf", "subject.O") == group
    assert field(pki, "etc/kubernetes/pki/etcd/healthcheck-client.crt", "subject.O") == (
        "" if is_new(pki) else "system:masters"
    )


@pytest.mark.parametrize(
    "path,name,message",
    [
        ("etc/kubernetes/pki/nope.crt", "subject", "does not exist in the lab directory"),
        ("etc/kubernetes/pki/apiserver.crt", "san.ip.7", "no ip SAN number 7"),
        ("etc/kubernetes/pki/apiserver.crt", "colour", "unknown certificate field 'colour'"),
        ("etc/kubernetes/pki/apiserver.crt", "subject.XX", "unknown name attribute"),
        ("etc/kubernetes/pki/sa.pub", "subject", "holds no PEM certificate"),
        ("etc/kubernetes/manifests/kube-apiserver.yaml", "subject", "not a kubeconfig"),
        ("etc/nothing", "count", "not a directory with certificates"),
    ],
)
def test_errors_say_which_file_and_why(
    pki: GeneratedPki, path: str, name: str, message: str
) -> None:
    with pytest.raises(inspect.CertError, match=message):
        field(pki, path, name)


def test_kubeconfig_with_file_references_resolves_them_next_to_it(
    pki: GeneratedPki, tmp_path: Path
) -> None:
    lab = tmp_path
    (lab / "certs").mkdir()
    doc = yaml.safe_load((pki.root / "admin.conf").read_text())
    user = doc["users"][0]["user"]
    (lab / "certs" / "a.crt").write_bytes(base64.b64decode(user.pop("client-certificate-data")))
    (lab / "certs" / "a.key").write_bytes(base64.b64decode(user.pop("client-key-data")))
    user["client-certificate"], user["client-key"] = "a.crt", "a.key"
    (lab / "certs" / "a.conf").write_text(yaml.safe_dump(doc))
    loaded = inspect.load(LabFiles(lab), "certs/a.conf")
    assert inspect.name_values(loaded.cert.subject, "CN") == ["kubernetes-admin"]
    assert loaded.key is not None and inspect.key_matches(loaded.cert, loaded.key, "a.key") is None


def test_a_csr_is_named_as_such(tmp_path: Path, openssl: str) -> None:
    import subprocess

    subprocess.run(
        [
            openssl,
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(tmp_path / "k"),
            "-subj",
            "/CN=x",
            "-out",
            str(tmp_path / "x.csr"),
        ],
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    with pytest.raises(inspect.CertError, match="certificate request"):
        inspect.load(LabFiles(tmp_path), "x.csr")


def test_local_files_stay_inside_their_root(tmp_path: Path) -> None:
    files = LocalFiles(tmp_path)
    (tmp_path / "a").write_text("x")
    assert files.read_file("/a") == b"x"
    with pytest.raises(FileNotFoundError):
        files.read_file("/../etc/passwd")
    assert files.list_files("/") == ["/a"]


def test_kubelet_conf_pointing_at_the_rotated_pem_like_a_real_node(
    pki: GeneratedPki, tmp_path: Path
) -> None:
    """After kubeadm init, kubelet.conf names /var/lib/kubelet/pki/kubelet-client-current.pem (cert + key)."""
    lab = tmp_path
    doc = yaml.safe_load((pki.root / "kubelet.conf").read_text())
    user = doc["users"][0]["user"]
    pem = base64.b64decode(user.pop("client-certificate-data")) + base64.b64decode(
        user.pop("client-key-data")
    )
    target = lab / "var" / "lib" / "kubelet" / "pki" / "kubelet-client-current.pem"
    target.parent.mkdir(parents=True)
    target.write_bytes(pem)
    user["client-certificate"] = user["client-key"] = (
        "/var/lib/kubelet/pki/kubelet-client-current.pem"
    )
    (lab / "etc" / "kubernetes").mkdir(parents=True)
    (lab / "etc" / "kubernetes" / "kubelet.conf").write_text(yaml.safe_dump(doc))
    files = LabFiles(lab)
    assert (
        inspect.field_value(files, "etc/kubernetes/kubelet.conf", "subject.CN")
        == f"system:node:{NODE}"
    )
    loaded = inspect.load(files, "etc/kubernetes/kubelet.conf")
    assert loaded.key is not None and inspect.key_matches(loaded.cert, loaded.key, "pem") is None
