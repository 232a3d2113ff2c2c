"""Node files are read with `docker exec <node> cat`: a kind node is a Docker container."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from labtui.drivers.docker import DockerDriver
from labtui.drivers.kube import read_node_file
from labtui.errors import LabError
from tests.conftest import BASE_IMAGE


@pytest.fixture
def node(docker_client: object) -> Iterator[str]:
    name = f"labtui-k8s-test-node-{uuid.uuid4().hex[:8]}"
    container = docker_client.containers.run(  # type: ignore[attr-defined]
        BASE_IMAGE, ["sleep", "60"], name=name, detach=True, network_mode="none"
    )
    try:
        yield name
    finally:
        container.remove(force=True)


@pytest.mark.docker
def test_read_a_file_inside_a_node(node: str) -> None:
    docker = DockerDriver()
    assert "root:" in read_node_file(docker, node, "/etc/passwd")
    with pytest.raises(
        LabError, match=f"cannot read /etc/kubernetes/manifests/kube-apiserver.yaml in node {node}"
    ):
        read_node_file(docker, node, "/etc/kubernetes/manifests/kube-apiserver.yaml")
