"""The PID-namespace lab end to end on the real Docker engine.

c1 and c2 are the lab's own names (the learner types them). The test makes them
only after its `up` holds them, and its `down` removes only what its own data
directory's lab made.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import BASE_IMAGE, skip_if_names_held
from tests.test_cli import labtui

pytestmark = pytest.mark.docker


@pytest.fixture(autouse=True)
def no_leftovers() -> object:
    skip_if_names_held("pid-namespace-sharing")
    yield
    labtui("down", "pid-namespace-sharing")


def test_solve_verify() -> None:
    proc = labtui("solve", "pid-namespace-sharing", "--verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "pid-namespace-sharing: verified" in proc.stdout
    for task in ("start-c1", "join-pid-namespace", "pid-inside", "pid-on-host"):
        assert task in proc.stdout
    names = subprocess.run(
        ["docker", "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True
    )
    assert not {"c1", "c2"} & set(names.stdout.split())


def test_learner_walkthrough_with_cli() -> None:
    assert labtui("up", "pid-namespace-sharing").returncode == 0
    first = labtui("check", "pid-namespace-sharing", "--task", "start-c1", "--json")
    assert first.returncode == 1
    report = json.loads(first.stdout)
    failed = report["tasks"][0]["checks"][0]
    assert failed["passed"] is False and failed["actual"] == "no such container"

    image = BASE_IMAGE
    subprocess.run(
        ["docker", "run", "-d", "--name", "c1", image, "sleep", "1d"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["docker", "run", "-d", "--name", "c2", "--pid=container:c1", image, "sleep", "9d"],
        check=True,
        capture_output=True,
    )
    assert labtui("check", "pid-namespace-sharing", "--task", "join-pid-namespace").returncode == 0

    wrong = labtui(
        "check", "pid-namespace-sharing", "--task", "pid-inside", "--answer", "7; reboot"
    )
    assert wrong.returncode == 1 and "is not the answer" in wrong.stdout
    assert (
        labtui("check", "pid-namespace-sharing", "--task", "pid-inside", "--answer", "1").returncode
        == 0
    )

    host_pid = subprocess.run(
        ["docker", "inspect", "-f", "{{.State.Pid}}", "c1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ok = labtui("check", "pid-namespace-sharing", "--task", "pid-on-host", "--answer", host_pid)
    assert ok.returncode == 0, ok.stdout
    hostname = subprocess.run(
        ["docker", "exec", "c2", "cat", "/proc/1/root/etc/hostname"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    for task, answer in (("peek-across", hostname), ("why-sharing-weakens", "b")):
        done = labtui("check", "pid-namespace-sharing", "--task", task, "--answer", answer)
        assert done.returncode == 0, done.stdout
    every = labtui("check", "pid-namespace-sharing")
    assert every.returncode == 0, every.stdout

    down = labtui("down", "pid-namespace-sharing")
    assert "removed container c1" in down.stdout and "removed container c2" in down.stdout
