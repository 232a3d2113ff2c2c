"""The two certificate labs end to end, with no Docker engine at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from labtui.engine.session import Session
from labtui.scenario.loader import load_file
from labtui.state.progress import ProgressStore
from tests.conftest import SCENARIOS
from tests.test_cli import labtui

NO_DOCKER = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}


@pytest.mark.parametrize("scenario_id", ["kubeadm-certificates", "kubeconfig-identities"])
def test_solve_verify_without_docker(scenario_id: str) -> None:
    proc = labtui("solve", scenario_id, "--verify", env=NO_DOCKER)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{scenario_id}: verified" in proc.stdout


def session(scenario_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Session:
    monkeypatch.setenv("DOCKER_HOST", NO_DOCKER["DOCKER_HOST"])
    folder = SCENARIOS / scenario_id
    loaded = load_file(folder / "scenario.yaml")
    assert loaded.scenario is not None, loaded.problems
    s = Session(loaded.scenario, folder, store=ProgressStore("t", path=tmp_path / "progress.json"))
    s.up()
    return s


def message(s: Session, task: str, answer: str) -> str:
    result = s.check(task, answer)
    assert not result.passed
    return result.results[0].message


def test_wrong_answers_get_specific_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = session("kubeadm-certificates", tmp_path, monkeypatch)
    try:
        assert (
            message(s, "apiserver-signer", "etcd/ca.crt")
            == "that is the CA of etcd/server.crt, not of apiserver.crt"
        )
        assert (
            message(s, "etcd-server-signer", "ca.crt")
            == "that is the CA of apiserver.crt, not of etcd/server.crt"
        )
        assert "up to Kubernetes 1.28" in message(s, "kubelet-client-group", "system:masters")
        assert "advertise address" in message(s, "apiserver-service-ip", "172.18.0.2")
        assert "presents that one to kubelets" in message(
            s, "etcd-client-certificate", "apiserver-kubelet-client.crt"
        )
        assert (
            message(s, "apiserver-dns-sans", "kubernetes, example.com, localhost")
            == "'example.com' is not one of them"
        )
        assert message(s, "apiserver-dns-sans", "kubernetes kubernetes") == "1 right, 3 needed"
        assert message(s, "count-certificates", "11") == "'11' is not the answer"
        assert s.check("count-certificates", "10").passed
        assert s.check(
            "apiserver-dns-sans", "kubernetes.default.svc, lab-control-plane kubernetes"
        ).passed
        assert s.check("find-expired", "front-proxy-client.crt").passed
        assert s.check("kubelet-client-group", "kubeadm:cluster-admins").passed
    finally:
        s.down()


def test_renewing_with_the_wrong_ca_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openssl: str
) -> None:
    s = session("kubeadm-certificates", tmp_path, monkeypatch)
    pki = "etc/kubernetes/pki"
    try:
        import subprocess

        def run(*argv: str) -> None:
            subprocess.run(
                [openssl, *argv],
                cwd=s.lab_dir,
                check=True,
                capture_output=True,
                stdin=subprocess.DEVNULL,
            )

        run(
            "req",
            "-new",
            "-key",
            f"{pki}/front-proxy-client.key",
            "-subj",
            "/CN=front-proxy-client",
            "-out",
            "fp.csr",
        )
        (s.lab_dir / "fp.ext").write_text("extendedKeyUsage=clientAuth\n")
        run(
            "x509",
            "-req",
            "-in",
            "fp.csr",
            "-CA",
            f"{pki}/ca.crt",
            "-CAkey",
            f"{pki}/ca.key",
            "-CAcreateserial",
            "-days",
            "365",
            "-extfile",
            "fp.ext",
            "-out",
            f"{pki}/front-proxy-client.crt",
        )
        result = s.check("renew-expired")
        assert not result.passed
        first = result.results[0]
        assert "not signed by etc/kubernetes/pki/front-proxy-ca.crt" in first.message
        assert "CN = kubernetes" in first.message
    finally:
        s.down()


def test_kubeconfig_lab_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = session("kubeconfig-identities", tmp_path, monkeypatch)
    try:
        assert "prefix" in message(s, "kubelet-user", "lab-control-plane")
        assert "super-admin.conf's group" in message(s, "admin-group", "system:masters")
        assert s.check("kubelet-user", "system:node:lab-control-plane").passed
        missing = s.check("jane-kubeconfig").results[0]
        assert missing.message == "jane.conf does not exist in the lab directory"
    finally:
        s.down()


def test_up_keeps_an_existing_pki(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = session("kubeconfig-identities", tmp_path, monkeypatch)
    try:
        ca = (s.lab_dir / "etc/kubernetes/pki/ca.crt").read_bytes()
        s.up()
        assert (s.lab_dir / "etc/kubernetes/pki/ca.crt").read_bytes() == ca
    finally:
        s.down()
    assert not s.lab_dir.exists()
