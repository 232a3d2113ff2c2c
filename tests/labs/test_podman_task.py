"""The podman task of runtimes-docker-containerd, on a real rootful podman beside Docker.

CI installs podman (``.ci/run``) and sets LABTUI_REQUIRE_PODMAN=1, so there these
tests fail instead of skipping when podman is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from labtui.engine.session import Session
from labtui.scenario.catalog import Catalog
from tests.conftest import BASE_IMAGE

pytestmark = pytest.mark.docker

LAB = "runtimes-docker-containerd"
TASK = "podman-runtime"


@pytest.fixture(autouse=True)
def needs_podman() -> None:
    if shutil.which("podman") is None:
        if os.environ.get("LABTUI_REQUIRE_PODMAN") == "1":
            pytest.fail("LABTUI_REQUIRE_PODMAN=1 but podman is not on PATH", pytrace=False)
        pytest.skip("podman is not installed (apt-get install podman)")


def podman(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", *argv], capture_output=True, text=True, timeout=120, check=check
    )


def has_image(name: str) -> bool:
    return podman("image", "exists", name, check=False).returncode == 0


def has_container(name: str) -> bool:
    return podman("container", "exists", name, check=False).returncode == 0


@pytest.fixture
def session() -> Iterator[Session]:
    entry = Catalog().find(LAB)
    assert entry.scenario is not None
    assert not has_container("rt-podman"), "a container rt-podman exists before the test"
    s = Session(entry.scenario, entry.folder)
    yield s
    s.down()
    podman("rm", "--force", "--time", "0", "rt-podman", check=False)


def answer(session: Session, text: str) -> tuple[bool, str]:
    result = session.check(TASK, answer=text)
    messages = " ".join(r.message for r in result.results)
    return result.passed, messages


def test_podman_task_runs_here_and_down_removes_what_the_learner_made(session: Session) -> None:
    had_image = has_image(BASE_IMAGE)
    if had_image:
        podman("rmi", BASE_IMAGE)
    session.up()
    assert not answer(session, "conmon")[0], "the task passes before rt-podman exists"
    session.apply_solution(TASK)
    assert has_container("rt-podman")
    state = podman("container", "inspect", "-f", "{{.State.Running}} {{.HostConfig.NetworkMode}}", "rt-podman")
    assert state.stdout.strip() == "true none"
    passed, messages = answer(session, "podman")
    assert not passed
    assert "exited" in messages, messages
    assert answer(session, "conmon")[0]
    report = session.down()
    assert "podman container rt-podman" in report.removed
    assert not has_container("rt-podman")
    assert not has_image(BASE_IMAGE), "the copy made during the lab is left in podman's store"


def test_down_keeps_the_podman_image_that_was_there_before(session: Session) -> None:
    podman("pull", f"docker-daemon:{BASE_IMAGE}")
    try:
        session.up()
        session.apply_solution(TASK)
        session.down()
        assert not has_container("rt-podman")
        assert has_image(BASE_IMAGE), "down removed an image the learner had before the lab"
    finally:
        podman("rmi", BASE_IMAGE, check=False)
