"""up / down / clean against the real engine: exactly what labtui owns, nothing else."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from labtui.drivers.docker import LABEL, DockerDriver
from labtui.engine.session import Session
from labtui.errors import EnvironmentUnavailable, LabError
from labtui.scenario.catalog import Catalog
from tests.conftest import BASE_IMAGE
from tests.test_cli import labtui

pytestmark = pytest.mark.docker

PACK_SCENARIO = """\
format_version: 1
id: life
title: Lifecycle
topic: containers
requires: [docker]
environment:
  containers:
    - name: life-a
      command: [sleep, 1d]
    - name: life-b
      image: "{image_b}"
      command: [sleep, 1d]
tasks:
  - id: t
    title: T
    checks:
      - kind: exec
        container: life-a
        command: [cat, /etc/hostname]
    solution:
      run: [[docker, run, -d, --name, life-learner, "{base_image}", sleep, 1d]]
cleanup:
  containers: [life-learner]
"""


def session(tmp_path: Path, image_b: str = "{base_image}") -> Session:
    folder = tmp_path / "pack" / "life"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scenario.yaml").write_text(PACK_SCENARIO.replace("{image_b}", image_b))
    entry = Catalog([tmp_path / "pack"], include_builtin=False).find("life")
    assert entry.scenario is not None, entry.problems
    return Session(entry.scenario, entry.folder)


def names(client: object) -> set[str]:
    return {c.name for c in client.containers.list(all=True)}  # type: ignore[attr-defined]


@pytest.fixture
def cleanup(docker_client: object) -> object:
    made: list[str] = []
    yield made
    for name in [*made, "life-a", "life-b", "life-learner"]:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def test_up_is_labelled_and_down_removes_it(
    tmp_path: Path, docker_client: object, cleanup: list[str]
) -> None:
    s = session(tmp_path)
    s.up()
    a = docker_client.containers.get("life-a")  # type: ignore[attr-defined]
    assert a.labels[LABEL] == "life"
    s.up()  # idempotent: the running containers are kept
    assert docker_client.containers.get("life-a").id == a.id  # type: ignore[attr-defined]
    s.apply_solution("t")
    report = s.down()
    assert sorted(report.removed) == ["life-a", "life-b", "life-learner"]
    assert not {"life-a", "life-b", "life-learner"} & names(docker_client)


def test_failed_up_leaves_nothing(
    tmp_path: Path, docker_client: object, cleanup: list[str]
) -> None:
    s = session(tmp_path, image_b="labtui/no-such-image:never")
    with pytest.raises(EnvironmentUnavailable, match="cannot be pulled"):
        s.up()
    assert not {"life-a", "life-b"} & names(docker_client)
    assert not s.is_up and not s.lab_dir.exists()


def test_users_container_with_a_lab_name_is_never_touched(
    tmp_path: Path, docker_client: object, cleanup: list[str]
) -> None:
    subprocess.run(
        ["docker", "run", "-d", "--name", "life-learner", BASE_IMAGE, "sleep", "1d"],
        check=True,
        capture_output=True,
    )
    s = session(tmp_path)
    with pytest.raises(EnvironmentUnavailable, match="already exists and was not made by this lab"):
        s.up()
    assert "life-learner" in names(docker_client)
    assert not {"life-a", "life-b"} & names(docker_client)


def test_container_removed_by_hand_is_a_failed_check(tmp_path: Path, cleanup: list[str]) -> None:
    s = session(tmp_path)
    s.up()
    subprocess.run(["docker", "rm", "-f", "life-a"], check=True, capture_output=True)
    result = s.check("t")
    assert not result.passed and not result.unavailable
    assert result.results[0].message == "container life-a does not exist"
    s.down()


def test_clean_removes_labelled_containers_and_nothing_else(
    tmp_path: Path, docker_client: object, cleanup: list[str]
) -> None:
    mine = f"users-own-{uuid.uuid4().hex[:8]}"
    cleanup.append(mine)
    subprocess.run(
        ["docker", "run", "-d", "--name", mine, BASE_IMAGE, "sleep", "1d"],
        check=True,
        capture_output=True,
    )
    s = session(tmp_path)
    s.up()
    proc = labtui("--scenarios", str(tmp_path / "pack"), "clean")
    assert proc.returncode == 0, proc.stderr
    assert "removed container life-a" in proc.stdout
    left = names(docker_client)
    assert mine in left
    assert not {"life-a", "life-b"} & left
    assert not DockerDriver().labelled("life")


def test_engine_errors_are_lab_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/gone.sock")
    with pytest.raises(LabError):
        DockerDriver(timeout=2).inspect("x")
