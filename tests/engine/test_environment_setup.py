"""``environment.setup``: commands that lay out the lab directory on a fresh up, and only then."""

from __future__ import annotations

from pathlib import Path

import pytest

from labtui.engine.records import read_record
from labtui.engine.session import Session
from labtui.engine.trust import review
from labtui.errors import LabError
from labtui.scenario.loader import load_file
from labtui.state.progress import ProgressStore

LAB = """\
format_version: 1
id: setup-lab
title: Setup steps
topic: host
requires: [local]
environment:
  files:
    seed.txt: "seed"
  setup:
    - [cp, seed.txt, copy.txt]
    - [sh, -c, 'echo "$LAB_SCENARIO {scenario_id}" > made.txt; echo once >> runs.txt']
tasks:
  - id: t
    title: T
    checks:
      - kind: file
        path: made.txt
"""

FAILING = """\
  setup:
    - [touch, before.txt]
    - [sh, -c, "echo 'no kubectl here' >&2; exit 3"]
    - [touch, after.txt]
"""


def session_for(tmp_path: Path, text: str) -> Session:
    folder = tmp_path / "pack" / "setup-lab"
    folder.mkdir(parents=True)
    (folder / "scenario.yaml").write_text(text)
    loaded = load_file(folder / "scenario.yaml")
    assert loaded.ok and loaded.scenario is not None, loaded.problems
    return Session(loaded.scenario, folder, store=ProgressStore("t", path=tmp_path / "p.json"))


def test_setup_runs_in_the_lab_directory_after_the_files_once(tmp_path: Path) -> None:
    lab = session_for(tmp_path, LAB)
    lab.up()
    assert (lab.lab_dir / "copy.txt").read_text() == "seed"
    assert (lab.lab_dir / "made.txt").read_text() == "setup-lab setup-lab\n"
    # A second up keeps the lab as the learner left it: setup does not run again.
    (lab.lab_dir / "copy.txt").unlink()
    lab.up()
    assert not (lab.lab_dir / "copy.txt").exists()
    assert (lab.lab_dir / "runs.txt").read_text() == "once\n"
    lab.down()
    assert not lab.lab_dir.exists()
    # A fresh start runs it again.
    lab.up()
    assert (lab.lab_dir / "copy.txt").exists()
    lab.down()


def test_a_failing_step_stops_up_and_leaves_nothing(tmp_path: Path) -> None:
    text = LAB.replace(LAB[LAB.index("  setup:") : LAB.index("tasks:")], FAILING)
    lab = session_for(tmp_path, text)
    with pytest.raises(LabError) as caught:
        lab.up()
    assert caught.value.message == "setup step `sh` exited 3"
    assert caught.value.hint == "no kubectl here"
    assert not lab.lab_dir.exists()
    assert read_record("setup-lab") is None


def test_a_missing_program_says_so(tmp_path: Path) -> None:
    text = LAB.replace("[cp, seed.txt, copy.txt]", "[no-such-program-here, x]")
    lab = session_for(tmp_path, text)
    with pytest.raises(LabError) as caught:
        lab.up()
    assert caught.value.message == "setup step `no-such-program-here` could not start"
    assert "no-such-program-here" in caught.value.hint


def test_the_trust_review_lists_setup_commands(tmp_path: Path) -> None:
    lab = session_for(tmp_path, LAB)
    lines = [f.line for f in review(lab.scenario)]
    assert "setup: cp seed.txt copy.txt" in lines
    assert any(line.startswith("setup: sh -c ") for line in lines)
