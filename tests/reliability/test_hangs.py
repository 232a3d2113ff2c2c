"""Hangs: a check that never returns, and a container that refuses to stop.

Fault: an exec that sleeps forever; a container whose PID 1 ignores SIGTERM.
Asserts: the check is cut at its timeout and reported as such; `down` completes
(SIGKILL after the grace period) and removes the container.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from tests.reliability.conftest import PrivateEngine
from tests.reliability.test_crash import run

pytestmark = pytest.mark.docker


def pack(root: Path) -> Path:
    scenario = {
        "format_version": 1,
        "id": "hang",
        "title": "Hang",
        "topic": "containers",
        "requires": ["docker"],
        "environment": {
            "containers": [
                {"name": "hang-stubborn", "command": ["sh", "-c", "trap '' TERM INT; while :; do sleep 1; done"]}
            ]
        },
        "tasks": [
            {
                "id": "forever",
                "title": "Never returns",
                "checks": [
                    {"kind": "exec", "container": "hang-stubborn", "command": ["sleep", "1000"], "timeout": 1.5},
                    {"kind": "command", "command": ["sleep", "1000"], "timeout": 1.5},
                    {"kind": "exec", "container": "hang-stubborn", "command": ["true"]},
                ],
            }
        ],
    }
    (root / "hang").mkdir(parents=True)
    (root / "hang" / "scenario.yaml").write_text(yaml.safe_dump(scenario))
    return root


def test_hung_checks_are_cut_and_down_always_completes(tmp_path: Path, running_engine: PrivateEngine) -> None:
    p = str(pack(tmp_path / "pack"))
    env = running_engine.env
    assert run("--scenarios", p, "--trust", "up", "hang", env=env).returncode == 0

    start = time.monotonic()
    proc = run("--scenarios", p, "check", "hang", "--json", env=env)
    took = time.monotonic() - start
    assert proc.returncode == 1
    assert took < 8, f"check took {took:.1f}s"
    import json

    checks = json.loads(proc.stdout)["tasks"][0]["checks"]
    assert [c["timed_out"] for c in checks] == [True, True, False]
    assert checks[0]["message"] == "did not finish within its timeout of 1.5s"
    assert checks[2]["passed"]

    start = time.monotonic()
    down = run("--scenarios", p, "down", "hang", env=env)
    assert down.returncode == 0, down.stderr
    assert time.monotonic() - start < 30
    assert running_engine.labelled() == []
