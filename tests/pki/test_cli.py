"""``labtui pki generate`` from the command line."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.test_cli import labtui


def test_generate_writes_a_pki_openssl_accepts(tmp_path: Path, openssl: str) -> None:
    out = tmp_path / "k8s"
    proc = labtui(
        "pki",
        "generate",
        str(out),
        "--node-name",
        "n1",
        "--advertise-address",
        "10.0.0.5",
        "--kubernetes-version",
        "v1.28.4",
    )
    assert proc.returncode == 0, proc.stderr
    assert str(out / "pki" / "apiserver.crt") in proc.stdout
    assert "28 files" not in proc.stderr and "files," in proc.stderr
    assert not (out / "super-admin.conf").exists()
    res = subprocess.run(
        [
            openssl,
            "x509",
            "-in",
            str(out / "pki" / "apiserver.crt"),
            "-noout",
            "-ext",
            "subjectAltName",
        ],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    assert "DNS:n1" in res.stdout and "IP Address:10.0.0.5" in res.stdout


def test_generate_refuses_to_overwrite_and_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    assert labtui("pki", "generate", str(out)).returncode == 0
    again = labtui("pki", "generate", str(out))
    assert (
        again.returncode == 1
        and "already holds a PKI" in again.stderr
        and "--force" in again.stderr
    )
    assert labtui("pki", "generate", str(out), "--force", "--expired", "apiserver").returncode == 0
    bad = labtui("pki", "generate", str(tmp_path / "x"), "--expired", "apiserverr")
    assert bad.returncode == 1 and "'apiserverr' is not a kubeadm leaf" in bad.stderr
    assert not (tmp_path / "x").exists()
    version = labtui("pki", "generate", str(tmp_path / "y"), "--kubernetes-version", "2.1")
    assert version.returncode == 2 and "not a 1.x version" in version.stderr
    address = labtui("pki", "generate", str(tmp_path / "z"), "--advertise-address", "host")
    assert address.returncode == 2 and "not an IP address" in address.stderr


def test_kubeconfig_verb_embeds_ca_cert_and_key(tmp_path: Path, openssl: str) -> None:
    from labtui.pki import inspect
    from labtui.pki.files import LabFiles

    k8s = tmp_path / "etc" / "kubernetes"
    assert labtui("pki", "generate", str(k8s)).returncode == 0

    def run(*argv: str) -> None:
        subprocess.run(
            [openssl, *argv],
            cwd=tmp_path,
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )

    run("genrsa", "-out", "jane.key", "2048")
    run("req", "-new", "-key", "jane.key", "-subj", "/CN=jane/O=developers", "-out", "jane.csr")
    run(
        "x509",
        "-req",
        "-in",
        "jane.csr",
        "-CA",
        "etc/kubernetes/pki/ca.crt",
        "-CAkey",
        "etc/kubernetes/pki/ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-out",
        "jane.crt",
    )
    proc = labtui(
        "pki",
        "kubeconfig",
        "--ca",
        str(k8s / "pki" / "ca.crt"),
        "--cert",
        str(tmp_path / "jane.crt"),
        "--key",
        str(tmp_path / "jane.key"),
        "--server",
        "https://10.0.0.1:6443",
        "-o",
        str(tmp_path / "jane.conf"),
    )
    assert proc.returncode == 0, proc.stderr
    files = LabFiles(tmp_path)
    loaded = inspect.load(files, "jane.conf")
    assert inspect.openssl_name(loaded.cert.subject) == "CN = jane, O = developers"
    assert (
        loaded.key is not None and inspect.key_matches(loaded.cert, loaded.key, "jane.conf") is None
    )
    assert inspect.field_value(files, "jane.conf", "ca.file") == "ca.crt"
    assert "https://10.0.0.1:6443" in (tmp_path / "jane.conf").read_text()
    bad = labtui(
        "pki",
        "kubeconfig",
        "--ca",
        str(tmp_path / "jane.key"),
        "--cert",
        str(tmp_path / "jane.crt"),
        "--key",
        str(tmp_path / "jane.key"),
        "--server",
        "https://x",
    )
    assert bad.returncode == 2 and "is not a PEM certificate" in bad.stderr
