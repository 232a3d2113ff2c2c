"""The container-security labs on the real engine: each proves itself, and leaves nothing behind.

The labs' container names are fixed (learners type them), so these tests use
them as they are. Each test owns its labs through its own data directory: its
`down` touches nothing of another learner's lab on the same engine, and an `up`
while another learner's lab holds the names stops with that reason.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest

from labtui.drivers.docker import LABEL, OWNER_LABEL, DockerDriver
from labtui.engine.session import Session, read_record
from labtui.engine.verify import verify
from labtui.scenario.catalog import Catalog
from labtui.state.owner import owner_id
from tests.conftest import BASE_IMAGE, skip_if_names_held
from tests.labs import unproven

pytestmark = pytest.mark.docker

# lab id -> prefix of every container name the lab or its learner creates
LABS = {
    "container-namespaces": "ns-",
    "container-hardening": "hard-",
    "runtimes-docker-containerd": "rt-",
    "malicious-process-hunt": "hunt-",
    "secrets-not-hardcoded": "sec-",
    "seccomp-profiles": "sc-",
}
# pid-namespace-sharing keeps its historic names c1/c2; tests/docker/test_pid_lab.py covers it.


def lab(scenario_id: str) -> Session:
    entry = Catalog().find(scenario_id)
    assert entry.scenario is not None, entry.problems
    return Session(entry.scenario, entry.folder)


def leftovers(scenario_id: str) -> list[str]:
    """Everything of this test's lab still on the engine or on disk (not other learners')."""
    session = lab(scenario_id)
    driver = DockerDriver()
    me = owner_id()
    found = [f"container {c.name}" for c in driver.labelled(scenario_id, me)]
    for name in session.scenario.container_names:
        attrs = driver.inspect(name)
        labels = (attrs or {}).get("Config", {}).get("Labels") or {}
        if attrs is not None and labels.get(OWNER_LABEL, me) == me:
            found.append(f"container {name}")
    found += [f"image {i}" for i in driver.labelled_images(scenario_id, me)]
    others = {
        tag
        for image in driver.lab_images(scenario_id)
        if image.owner != me
        for tag in image.name.split(", ")
    }
    found += [
        f"image {i.name}"
        for i in session.scenario.environment.images
        if i.name not in others and driver.image_exists(i.name)
    ]
    found += [f"claim {c.volume}" for c in driver.claims(scenario_id, me)]
    if session.lab_dir.exists():
        found.append(f"lab dir {session.lab_dir}")
    if read_record(scenario_id) is not None:
        found.append("session record")
    return found


@pytest.fixture
def downed() -> Iterator[list[Session]]:
    """Sessions a test brings up are brought down again, whatever happens."""
    sessions: list[Session] = []
    yield sessions
    for s in sessions:
        s.down()


def docker(*argv: str) -> str:
    res = subprocess.run(["docker", *argv], capture_output=True, text=True, timeout=60, check=True)
    return res.stdout.strip()


@pytest.mark.parametrize("scenario_id", sorted(LABS))
def test_lab_verifies_and_down_leaves_nothing(scenario_id: str) -> None:
    skip_if_names_held(scenario_id)
    session = lab(scenario_id)
    for name in session.scenario.container_names:
        assert name.startswith(LABS[scenario_id]), f"{name} lacks the lab prefix"
    report = verify(session.scenario, session.folder)
    problems = unproven(report)
    assert report.ok, problems or report.error
    for t in report.skipped:
        # a task skipped for a missing tool says which, and never counts as passed
        assert t.skipped and t.skipped.startswith("needs "), t.skipped
        assert not t.ok
    assert leftovers(scenario_id) == []


@pytest.mark.parametrize("scenario_id", sorted(LABS))
def test_up_then_down_leaves_nothing(scenario_id: str) -> None:
    skip_if_names_held(scenario_id)
    session = lab(scenario_id)
    session.up()
    try:
        for c in session.scenario.environment.containers:
            attrs = session.docker.inspect(c.name)
            assert attrs is not None and attrs["State"]["Running"], (
                f"{c.name} is not running after up"
            )
            assert attrs["Config"]["Labels"].get(LABEL) == scenario_id
            assert attrs["Config"]["Labels"].get(OWNER_LABEL) == session.owner
        for image in session.scenario.environment.images:
            assert session.docker.image_exists(image.name)
    finally:
        session.down()
    assert leftovers(scenario_id) == []


def test_down_removes_what_the_learner_made(downed: list[Session]) -> None:
    """Containers the learner starts (unlabelled, named in cleanup) go too; the lab dir with them."""
    skip_if_names_held("container-namespaces")
    session = lab("container-namespaces")
    downed.append(session)
    session.up()
    session.apply_solution("bind-mount")
    assert session.docker.inspect("ns-v2") is not None
    assert (session.lab_dir / "shared" / "note.txt").exists()
    report = session.down()
    assert {"ns-v1", "ns-v2"} <= set(report.removed)
    assert leftovers("container-namespaces") == []


def test_host_pid_answer_follows_the_container(downed: list[Session]) -> None:
    skip_if_names_held("container-namespaces")
    session = lab("container-namespaces")
    downed.append(session)
    session.up()
    first = docker("inspect", "-f", "{{.State.Pid}}", "ns-a")
    assert session.check("pid-on-host", answer=first, record=False).passed

    docker("rm", "-f", "ns-a")
    session.up()  # recreates the missing ns-a: a new process with a new host PID
    second = docker("inspect", "-f", "{{.State.Pid}}", "ns-a")
    assert second != first
    assert not session.check("pid-on-host", answer=first, record=False).passed
    assert session.check("pid-on-host", answer=second, record=False).passed


def test_hunt_answers_follow_the_live_process(downed: list[Session]) -> None:
    skip_if_names_held("malicious-process-hunt")
    session = lab("malicious-process-hunt")
    downed.append(session)
    session.up()
    session.apply_solution("find-pid")
    old_pid = session.progress.tasks["find-pid"].answer
    assert old_pid and session.check("find-pid").passed

    # The intruder restarts under another PID and from another path: both answers move with it.
    docker("exec", "hunt-box", "killall", "kworkerd")
    docker(
        "exec",
        "hunt-box",
        "sh",
        "-c",
        "mkdir -p /tmp/.X11-unix && cp /bin/busybox /tmp/.X11-unix/.kthreadd",
    )
    docker(
        "exec",
        "-d",
        "hunt-box",
        "sh",
        "-c",
        "exec -a nc /tmp/.X11-unix/.kthreadd -ll -p 4444 -e /bin/sh",
    )
    new = session.check("find-pid", answer=old_pid, record=False)
    assert not new.passed
    pid = ""
    for _ in range(50):
        pid = docker(
            "exec",
            "hunt-box",
            "sh",
            "-c",
            "for p in /proc/[0-9]*; do "
            '[ "$(readlink $p/exe)" = /tmp/.X11-unix/.kthreadd ] && echo ${p#/proc/}; done; true',
        )
        if pid:
            break
        time.sleep(0.1)
    assert pid and pid != old_pid
    assert session.check("find-pid", answer=pid, record=False).passed
    assert session.check("find-binary", answer="/tmp/.X11-unix/.kthreadd", record=False).passed
    assert not session.check("find-binary", answer="/var/tmp/.cache/kworkerd", record=False).passed


def test_hunt_kill_check_fails_when_a_legitimate_process_dies(downed: list[Session]) -> None:
    skip_if_names_held("malicious-process-hunt")
    session = lab("malicious-process-hunt")
    downed.append(session)
    session.up()
    session.apply_solution("kill-it")
    assert session.check("kill-it", record=False).passed
    docker("exec", "hunt-box", "killall", "crond")
    result = session.check("kill-it", record=False)
    assert not result.passed
    assert "crond" in result.results[0].message


def test_secret_answer_follows_the_environment(downed: list[Session]) -> None:
    skip_if_names_held("secrets-not-hardcoded")
    session = lab("secrets-not-hardcoded")
    downed.append(session)
    session.up()
    assert session.check("password-in-inspect", answer="pr0d-Wh1sper-7731", record=False).passed
    docker("rm", "-f", "sec-app")
    docker(
        "run",
        "-d",
        "--name",
        "sec-app",
        "--network",
        "none",
        "-e",
        "DB_PASSWORD=another-one",
        "labtui-sec/app:v1",
    )
    assert not session.check("password-in-inspect", answer="pr0d-Wh1sper-7731", record=False).passed
    assert session.check("password-in-inspect", answer="another-one", record=False).passed


def test_hardening_rejects_a_half_hardened_container(downed: list[Session]) -> None:
    """Read-only and non-root but capabilities kept: the capability checks fail and say why."""
    skip_if_names_held("container-hardening")
    session = lab("container-hardening")
    downed.append(session)
    session.up()
    docker("rm", "-f", "hard-app")
    docker(
        "run",
        "-d",
        "--name",
        "hard-app",
        "--network",
        "none",
        "--user",
        "1000:1000",
        "--read-only",
        "--tmpfs",
        "/tmp",
        BASE_IMAGE,
        "sh",
        "-c",
        "while true; do date > /tmp/heartbeat; sleep 5; done",
    )
    result = session.check("harden", record=False)
    failed = {r.label for r in result.results if not r.passed}
    passed = {r.label for r in result.results if r.passed}
    assert any("drops every capability" in f for f in failed)
    assert any("bounding set" in f for f in failed)
    assert any("read-only" in p for p in passed)
    assert any("non-root" in p for p in passed)
