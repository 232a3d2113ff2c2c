"""up / down / clean against the real engine: exactly what labtui owns, nothing else.

Every test makes its own lab (a unique id and unique container names) in its own
data directory, so it owns what it creates and its `clean` touches nothing of
anyone else's on the same engine.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from labtui.drivers.docker import LABEL, OWNER_LABEL, DockerDriver
from labtui.engine.session import Session
from labtui.errors import EnvironmentUnavailable, LabError
from labtui.scenario.catalog import Catalog
from labtui.state.owner import owner_id
from tests.conftest import BASE_IMAGE
from tests.test_cli import labtui

pytestmark = pytest.mark.docker

PACK_SCENARIO = """\
format_version: 1
id: LIFE
title: Lifecycle
topic: containers
requires: [docker]
environment:
  containers:
    - name: LIFE-a
      command: [sleep, 1d]
    - name: LIFE-b
      image: "{image_b}"
      command: [sleep, 1d]
tasks:
  - id: t
    title: T
    checks:
      - kind: exec
        container: LIFE-a
        command: [cat, /etc/hostname]
    solution:
      run: [[docker, run, -d, --name, LIFE-learner, "{base_image}", sleep, 1d]]
cleanup:
  containers: [LIFE-learner]
"""


@pytest.fixture
def life() -> Iterator[str]:
    """A lab id of this test's own; its containers are LIFE-a, LIFE-b and LIFE-learner."""
    lab_id = f"life-{uuid.uuid4().hex[:8]}"
    yield lab_id
    for suffix in ("a", "b", "learner"):
        subprocess.run(["docker", "rm", "-f", f"{lab_id}-{suffix}"], capture_output=True)


def session(tmp_path: Path, lab_id: str, image_b: str = "{base_image}") -> Session:
    folder = tmp_path / "pack" / lab_id
    folder.mkdir(parents=True, exist_ok=True)
    text = PACK_SCENARIO.replace("{image_b}", image_b).replace("LIFE", lab_id)
    (folder / "scenario.yaml").write_text(text)
    entry = Catalog([tmp_path / "pack"], include_builtin=False).find(lab_id)
    assert entry.scenario is not None, entry.problems
    return Session(entry.scenario, entry.folder)


def names(client: object) -> set[str]:
    return {c.name for c in client.containers.list(all=True)}  # type: ignore[attr-defined]


def test_up_is_labelled_and_down_removes_it(
    tmp_path: Path, docker_client: object, life: str
) -> None:
    s = session(tmp_path, life)
    s.up()
    a = docker_client.containers.get(f"{life}-a")  # type: ignore[attr-defined]
    assert a.labels[LABEL] == life
    assert a.labels[OWNER_LABEL] == owner_id()
    s.up()  # idempotent: the running containers are kept
    assert docker_client.containers.get(f"{life}-a").id == a.id  # type: ignore[attr-defined]
    s.apply_solution("t")
    report = s.down()
    made = {f"{life}-a", f"{life}-b", f"{life}-learner"}
    assert set(report.removed) == made
    assert not made & names(docker_client)
    assert not DockerDriver().claims(life)


def test_failed_up_leaves_nothing(tmp_path: Path, docker_client: object, life: str) -> None:
    s = session(tmp_path, life, image_b="labtui/no-such-image:never")
    with pytest.raises(EnvironmentUnavailable, match="cannot be pulled"):
        s.up()
    assert not {f"{life}-a", f"{life}-b"} & names(docker_client)
    assert not s.is_up and not s.lab_dir.exists()
    assert not DockerDriver().claims(life)


def test_users_container_with_a_lab_name_is_never_touched(
    tmp_path: Path, docker_client: object, life: str
) -> None:
    subprocess.run(
        ["docker", "run", "-d", "--name", f"{life}-learner", BASE_IMAGE, "sleep", "1d"],
        check=True,
        capture_output=True,
    )
    s = session(tmp_path, life)
    with pytest.raises(EnvironmentUnavailable, match="already exists and was not made by this lab"):
        s.up()
    assert f"{life}-learner" in names(docker_client)
    assert not {f"{life}-a", f"{life}-b"} & names(docker_client)


def test_container_removed_by_hand_is_a_failed_check(tmp_path: Path, life: str) -> None:
    s = session(tmp_path, life)
    s.up()
    subprocess.run(["docker", "rm", "-f", f"{life}-a"], check=True, capture_output=True)
    result = s.check("t")
    assert not result.passed and not result.unavailable
    assert result.results[0].message == f"container {life}-a does not exist"
    s.down()


def test_clean_removes_the_callers_lab_and_nothing_else(
    tmp_path: Path, docker_client: object, life: str
) -> None:
    mine = f"users-own-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["docker", "run", "-d", "--name", mine, BASE_IMAGE, "sleep", "1d"],
        check=True,
        capture_output=True,
    )
    try:
        s = session(tmp_path, life)
        s.up()
        proc = labtui("--scenarios", str(tmp_path / "pack"), "clean")
        assert proc.returncode == 0, proc.stderr
        assert f"removed container {life}-a" in proc.stdout
        left = names(docker_client)
        assert mine in left
        assert not {f"{life}-a", f"{life}-b"} & left
        assert not DockerDriver().labelled(life)
        assert not DockerDriver().claims(life)
    finally:
        subprocess.run(["docker", "rm", "-f", mine], capture_output=True)


def test_engine_errors_are_lab_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/gone.sock")
    with pytest.raises(LabError):
        DockerDriver(timeout=2).inspect("x")
