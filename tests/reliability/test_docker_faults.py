"""Docker faults: the engine stops during a check, an up and a down.

Fault: SIGTERM to a private dockerd (what `systemctl stop docker` does) at that moment.
Asserts: exit code 3 with a one-line explanation and what to do, no traceback,
nothing lost, and the same command succeeds once the engine is back.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.reliability.conftest import PrivateEngine, write_pack
from tests.reliability.test_crash import run, spawn, wait_for

pytestmark = pytest.mark.docker


def one_error(stderr: str) -> str:
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    assert "what to do:" in stderr
    return errors[0]


def test_engine_stops_during_check(tmp_path: Path, running_engine: PrivateEngine) -> None:
    pack = write_pack(tmp_path / "pack", "faultcheck", containers=1)
    env = running_engine.env
    assert run("--scenarios", str(pack), "--trust", "solve", "faultcheck", env=env).returncode == 0
    running_engine.stop()
    proc = run("--scenarios", str(pack), "check", "faultcheck", "--json", env=env)
    assert proc.returncode == 3
    assert "not reachable" in one_error(proc.stderr)
    report = json.loads(proc.stdout)
    assert all(c["unavailable"] for c in report["tasks"][0]["checks"])

    running_engine.start()
    # The engine came back with the containers stopped: up restarts what the lab declares.
    assert run("--scenarios", str(pack), "up", "faultcheck", env=env).returncode == 0
    running_engine.docker("start", "faultcheck-learner")
    assert run("--scenarios", str(pack), "check", "faultcheck", env=env).returncode == 0
    assert run("--scenarios", str(pack), "down", "faultcheck", env=env).returncode == 0
    assert running_engine.labelled() == []


def test_engine_stops_during_up(tmp_path: Path, running_engine: PrivateEngine) -> None:
    pack = write_pack(tmp_path / "pack", "faultup", containers=8)
    env = running_engine.env
    proc = spawn("--scenarios", str(pack), "--trust", "up", "faultup", env=env)
    assert wait_for(lambda: len(running_engine.labelled()) >= 2)
    running_engine.stop()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    one_error(err)

    running_engine.start()
    again = run("--scenarios", str(pack), "up", "faultup", env=env)
    assert again.returncode == 0, again.stderr
    assert len(running_engine.labelled()) == 8
    assert run("--scenarios", str(pack), "down", "faultup", env=env).returncode == 0
    assert running_engine.labelled() == []


def test_engine_stops_before_down_then_down_retries(tmp_path: Path, running_engine: PrivateEngine,
                                                     data_dir: Path) -> None:
    pack = write_pack(tmp_path / "pack", "faultdown", containers=2)
    env = running_engine.env
    assert run("--scenarios", str(pack), "--trust", "up", "faultdown", env=env).returncode == 0
    running_engine.stop()
    proc = run("--scenarios", str(pack), "down", "faultdown", env=env)
    assert proc.returncode == 3
    one_error(proc.stderr)
    assert (data_dir / "sessions" / "faultdown.json").exists(), "the record of what to remove was lost"

    running_engine.start()
    start = time.monotonic()
    assert run("--scenarios", str(pack), "down", "faultdown", env=env).returncode == 0
    assert time.monotonic() - start < 60
    assert running_engine.labelled() == []
    assert not (data_dir / "sessions" / "faultdown.json").exists()
