"""Two learners on one Docker engine: each takes down and cleans only their own labs.

Fault: a second data directory (another learner) using the same engine as the first.
Asserts: B's `clean` and `down` leave A's lab running, containers A made by hand
included; B's `up` of a lab whose names A's lab holds stops with what to do
(exit 3) and changes nothing; `doctor` shows each learner their own leftovers;
`clean --all` removes every learner's labs; labs of an older labtui (no owner
label) are left to `clean --all` or to the record of the lab that made them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import BASE_IMAGE
from tests.reliability.conftest import PrivateEngine, write_pack
from tests.reliability.test_crash import run

pytestmark = pytest.mark.docker


def learner(engine: PrivateEngine, tmp_path: Path, name: str) -> dict[str, str]:
    return {**engine.env, "LABTUI_DATA_DIR": str(tmp_path / name)}


def state(engine: PrivateEngine, *names: str) -> dict[str, str]:
    """name -> "<id> <running>" for each container that exists."""
    out = {}
    for name in names:
        res = engine.docker("inspect", "-f", "{{.Id}} {{.State.Running}}", name, check=False)
        if res.returncode == 0:
            out[name] = res.stdout.strip()
    return out


def by_hand(engine: PrivateEngine, name: str) -> None:
    """What a learner types: a container with a lab's name and no label."""
    engine.docker("run", "-d", "--name", name, "--network", "none", BASE_IMAGE, "sleep", "1d")


def test_one_learner_never_touches_anothers_lab(tmp_path: Path, running_engine: PrivateEngine) -> None:
    pack = str(write_pack(tmp_path / "pack", "shared", containers=2))
    ann = learner(running_engine, tmp_path, "ann")
    bob = learner(running_engine, tmp_path, "bob")
    assert run("--scenarios", pack, "--trust", "up", "shared", env=ann).returncode == 0
    by_hand(running_engine, "shared-learner")
    names = ("shared-0", "shared-1", "shared-learner")
    before = state(running_engine, *names)
    assert len(before) == 3 and all(s.endswith("true") for s in before.values())

    clean = run("--scenarios", pack, "clean", env=bob)
    assert clean.returncode == 0, clean.stderr
    assert "nothing to clean" in clean.stdout
    assert "left 2 containers and images of other learners' labs" in clean.stdout
    assert state(running_engine, *names) == before

    doctor = json.loads(run("--scenarios", pack, "doctor", "--json", env=bob).stdout)
    assert doctor["leftovers"] == []
    others = [i for i in doctor["items"] if i["name"] == "others"]
    assert others and others[0]["detail"].startswith("2 containers and images of other learners' labs")
    mine = json.loads(run("--scenarios", pack, "doctor", "--json", env=ann).stdout)
    assert {(x["kind"], x["name"]) for x in mine["leftovers"]} == {
        ("session", "shared"), ("container", "shared-0"), ("container", "shared-1")
    }
    assert not [i for i in mine["items"] if i["name"] == "others"]

    up = run("--scenarios", pack, "--trust", "up", "shared", env=bob)
    assert up.returncode == 3, up.stderr
    assert (
        "another learner's lab on this Docker engine holds the container names this lab needs "
        "(shared-0, shared-1, shared-learner)" in up.stderr
    )
    assert "DOCKER_HOST" in up.stderr and "labtui clean --all" in up.stderr
    assert "Traceback" not in up.stderr
    assert not (tmp_path / "bob" / "sessions" / "shared.json").exists()
    down = run("--scenarios", pack, "down", "shared", env=bob)
    assert down.returncode == 0, down.stderr
    assert "removed" not in down.stdout
    assert state(running_engine, *names) == before
    assert run("--scenarios", pack, "check", "shared", env=ann).returncode == 0

    everything = run("--scenarios", pack, "clean", "--all", env=bob)
    assert everything.returncode == 0, everything.stderr
    for name in names:
        assert f"removed container {name}" in everything.stdout
    assert state(running_engine, *names) == {}
    assert running_engine.claims() == []
    assert run("--scenarios", pack, "down", "shared", env=ann).returncode == 0
    assert not (tmp_path / "ann" / "sessions" / "shared.json").exists()


def test_names_a_learner_makes_by_hand_are_held_from_up_on(
    tmp_path: Path, running_engine: PrivateEngine
) -> None:
    """A lab like the PID lab declares no container: its names are held all the same."""
    pack = str(write_pack(tmp_path / "pack", "byhand", containers=0))
    ann = learner(running_engine, tmp_path, "ann")
    bob = learner(running_engine, tmp_path, "bob")
    assert run("--scenarios", pack, "--trust", "up", "byhand", env=ann).returncode == 0
    assert len(running_engine.claims()) == 1

    up = run("--scenarios", pack, "--trust", "up", "byhand", env=bob)
    assert up.returncode == 3
    assert "another learner's lab" in up.stderr and "(byhand-learner)" in up.stderr

    by_hand(running_engine, "byhand-learner")
    made = state(running_engine, "byhand-learner")
    assert run("--scenarios", pack, "clean", env=bob).returncode == 0
    down = run("--scenarios", pack, "down", "byhand", env=bob)
    assert "left container byhand-learner: another learner's lab holds it" in down.stdout
    assert state(running_engine, "byhand-learner") == made

    down = run("--scenarios", pack, "down", "byhand", env=ann)
    assert "removed container byhand-learner" in down.stdout
    assert state(running_engine, "byhand-learner") == {}
    assert running_engine.claims() == []


def test_a_stale_record_never_takes_another_learners_containers(
    tmp_path: Path, running_engine: PrivateEngine
) -> None:
    """Bob's record outlived his lab; Ann's lab came later: Bob's down leaves all of Ann's alone."""
    pack = str(write_pack(tmp_path / "pack", "stale", containers=1))
    ann = learner(running_engine, tmp_path, "ann")
    bob = learner(running_engine, tmp_path, "bob")
    assert run("--scenarios", pack, "--trust", "up", "stale", env=bob).returncode == 0
    # Bob's containers and claim go by hand (`docker rm`, `docker volume rm`); his record stays.
    running_engine.docker("rm", "-f", "stale-0")
    for claim in running_engine.claims():
        running_engine.docker("volume", "rm", claim)

    assert run("--scenarios", pack, "--trust", "up", "stale", env=ann).returncode == 0
    by_hand(running_engine, "stale-learner")
    before = state(running_engine, "stale-0", "stale-learner")
    down = run("--scenarios", pack, "down", "stale", env=bob)
    assert down.returncode == 0, down.stderr
    assert "left container stale-learner: another learner's lab holds it" in down.stdout
    assert state(running_engine, "stale-0", "stale-learner") == before

    down = run("--scenarios", pack, "down", "stale", env=ann)
    assert "removed container stale-0" in down.stdout
    assert "removed container stale-learner" in down.stdout
    assert running_engine.claims() == []


def test_labs_of_an_older_labtui(tmp_path: Path, running_engine: PrivateEngine) -> None:
    """No owner label: left by `clean`, removed by `clean --all`, or by the old record's own `down`."""
    pack = str(write_pack(tmp_path / "pack", "legacy", containers=1))
    ann = learner(running_engine, tmp_path, "ann")
    old = ("run", "-d", "--network", "none", "--label", "labtui.scenario=legacy")
    running_engine.docker(*old, "--name", "legacy-0", BASE_IMAGE, "sleep", "1d")

    up = run("--scenarios", pack, "--trust", "up", "legacy", env=ann)
    assert up.returncode == 3
    assert "container legacy-0 belongs to a lab made by an older labtui" in up.stderr
    clean = run("--scenarios", pack, "clean", env=ann)
    assert "left 1 containers and images of other learners' labs (or of an older labtui)" in clean.stdout
    assert state(running_engine, "legacy-0")

    # Ann's own record from before owners existed: that lab's objects are hers.
    sessions = tmp_path / "ann" / "sessions"
    sessions.mkdir(parents=True)
    record = {"scenario": "legacy", "started_at": "2020-01-01T00:00:00+00:00", "pid": 1}
    (sessions / "legacy.json").write_text(json.dumps(record))
    kept = state(running_engine, "legacy-0")
    assert run("--scenarios", pack, "--trust", "up", "legacy", env=ann).returncode == 0
    assert state(running_engine, "legacy-0") == kept
    down = run("--scenarios", pack, "down", "legacy", env=ann)
    assert "removed container legacy-0" in down.stdout
    assert running_engine.labelled() == [] and running_engine.claims() == []

    running_engine.docker(*old, "--name", "legacy-9", BASE_IMAGE, "sleep", "1d")
    assert "removed container legacy-9" in run("--scenarios", pack, "clean", "--all", env=ann).stdout
    assert running_engine.labelled() == []
