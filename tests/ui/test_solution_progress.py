"""Applying a reference solution shows each of its steps in the status line while it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from labtui.state import paths
from labtui.state.progress import ProgressStore
from labtui.ui.messages import WorkProgress
from labtui.ui.screens.modals import ConfirmScreen

from .conftest import make_app, settle, trust_all
from .test_integration import take_down_pack, write_pack
from .test_pilot import SIZE, open_lab, text

pytestmark = pytest.mark.asyncio

# The first step waits for the test to say go, so the status line can be read while it runs.
STEPS_LAB = """\
format_version: 1
id: ui-steps
title: A solution in two steps
topic: host
difficulty: beginner
minutes: 1
requires: [local]
tasks:
  - id: make-note
    title: Write note.txt
    checks:
      - kind: file
        path: note.txt
        contains: hello
    solution:
      run:
        - command: [sh, -c, "while [ ! -e go ]; do sleep 0.05; done"]
          timeout: 20
        - [sh, -c, "echo hello > note.txt"]
"""


async def test_each_solution_step_shows_in_the_status_line(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, "ui-steps", STEPS_LAB)
    trust_all(pack)
    go = paths.lab_dir("ui-steps") / "go"
    seen: list[Any] = []
    app = make_app(pack=pack)
    try:
        async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
            lab = await open_lab(pilot, "ui-steps")
            busy = lab.query_one("#busy", Static)
            lab.action_apply_solution()
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            for _ in range(200):
                await pilot.pause(0.05)
                if "step 1/2" in text(busy):
                    break
            shown = text(busy)
            assert shown == (
                "make-note: step 1/2: sh -c 'while [ ! -e go ]; do sleep 0.05; done' (up to 20 s)…"
            )
            assert "apply" in lab.running
            go.touch()
            await settle(pilot)
            assert text(busy) == ""
            steps = [m.text for m in seen if isinstance(m, WorkProgress) and m.job == "apply"]
            assert steps[-2:] == ["make-note: step 2/2: sh -c 'echo hello > note.txt'", "checking"]
            task = ProgressStore().get("ui-steps").tasks["make-note"]
            assert task.passed and task.solution_revealed
    finally:
        go.parent.mkdir(parents=True, exist_ok=True)
        go.touch()
    take_down_pack(pack, "ui-steps")
