"""Kind mode: the same checks read a node's files with ``docker exec``, here from a real container."""

from __future__ import annotations

import io
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labtui.drivers.docker import DockerDriver
from labtui.drivers.node import DockerExecFiles
from labtui.errors import EnvironmentUnavailable
from labtui.pki import inspect
from labtui.pki.files import LabFiles
from labtui.pki.generate import generate
from labtui.pki.layout import ClusterParams, Faults
from tests.conftest import BASE_IMAGE, SCENARIOS

pytestmark = pytest.mark.docker


def tar_of(root: Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(root / "etc", arcname="etc")
    return buf.getvalue()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import docker

    root = tmp_path_factory.mktemp("node-root")
    generate(
        root / "etc" / "kubernetes",
        ClusterParams(node_name="labtui-pki-node"),
        Faults(expired=("front-proxy-client",)),
    )
    client = docker.from_env(timeout=30)
    name = f"labtui-pki-test-{uuid.uuid4().hex[:8]}"
    container: Any = client.containers.run(
        BASE_IMAGE,
        ["sleep", "600"],
        name=name,
        detach=True,
        network_mode="none",
        labels={"labtui.test": "pki"},
    )
    try:
        assert container.put_archive("/", tar_of(root))
        yield name
    finally:
        container.remove(force=True)
        client.close()


def test_read_and_list_through_docker_exec(node: str, tmp_path: Path) -> None:
    files = DockerExecFiles(DockerDriver(), node)
    assert files.where == f"node {node}"
    assert files.read_file("/etc/kubernetes/pki/ca.crt").startswith(b"-----BEGIN CERTIFICATE-----")
    listed = files.list_files("/etc/kubernetes/pki")
    assert (
        "/etc/kubernetes/pki/etcd/server.crt" in listed and "/etc/kubernetes/pki/sa.pub" in listed
    )
    with pytest.raises(FileNotFoundError):
        files.read_file("/etc/kubernetes/pki/nope.crt")
    lab = LabFiles(tmp_path, files)
    assert inspect.field_value(lab, "etc/kubernetes/pki/etcd/server.crt", "signer") == "etcd/ca.crt"
    assert inspect.field_value(lab, "etc/kubernetes/pki", "expired") == "front-proxy-client.crt"
    assert (
        inspect.field_value(lab, "etc/kubernetes/kubelet.conf", "subject.CN")
        == "system:node:labtui-pki-node"
    )
    (tmp_path / "mine.crt").write_bytes(files.read_file("/etc/kubernetes/pki/ca.crt"))
    assert inspect.field_value(lab, "mine.crt", "file") == "ca.crt"
    with pytest.raises(inspect.CertError, match=f"nope.crt does not exist in node {node}"):
        inspect.field_value(lab, "etc/kubernetes/pki/nope.crt", "subject")


def test_a_lab_checks_the_node_when_labtui_pki_node_is_set(
    node: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from labtui.engine.session import Session
    from labtui.scenario.loader import load_file
    from labtui.state.progress import ProgressStore

    monkeypatch.setenv("LABTUI_PKI_NODE", node)
    folder = SCENARIOS / "kubeadm-certificates"
    scenario = load_file(folder / "scenario.yaml").scenario
    assert scenario is not None
    s = Session(scenario, folder, store=ProgressStore("t", path=tmp_path / "p.json"))
    s.up()
    try:
        assert not (s.lab_dir / "etc").exists()
        assert s.check("etcd-server-signer", "etcd/ca.crt").passed
        wrong = s.check("apiserver-signer", "etcd/ca.crt").results[0]
        assert wrong.message == "that is the CA of etcd/server.crt, not of apiserver.crt"
        # The tasks about the generated PKI's planted expired certificate are skipped on a
        # node, never passed: a real node has nothing expired on purpose.
        for task in ("find-expired", "renew-expired"):
            assert "generated certificates" in " ".join(s.task_missing(task))
            result = s.check(task, "front-proxy-client.crt" if task == "find-expired" else None)
            assert not result.passed and result.results[0].unavailable
    finally:
        s.down()


def test_a_stopped_node_says_what_to_do(tmp_path: Path) -> None:
    files = DockerExecFiles(DockerDriver(), f"labtui-pki-absent-{uuid.uuid4().hex[:8]}")
    with pytest.raises(EnvironmentUnavailable, match="is not running"):
        files.read_file("/etc/kubernetes/pki/ca.crt")


def test_environment_pki_node_reads_the_named_node(node: str, tmp_path: Path) -> None:
    from labtui.engine.session import Session
    from labtui.scenario.model import Scenario
    from labtui.state.progress import ProgressStore

    scenario = Scenario.model_validate(
        {
            "format_version": 1,
            "id": "pki-node-test",
            "title": "t",
            "topic": "cluster",
            "environment": {"pki": {"node": node}},
            "tasks": [
                {
                    "id": "group",
                    "title": "t",
                    "checks": [
                        {
                            "kind": "answer",
                            "expected": {
                                "certificate": "etc/kubernetes/kubelet.conf",
                                "field": "subject.O",
                            },
                        }
                    ],
                }
            ],
        }
    )
    s = Session(scenario, tmp_path, store=ProgressStore("t", path=tmp_path / "p.json"))
    s.up()
    try:
        assert s.check("group", "system:nodes").passed
    finally:
        s.down()
