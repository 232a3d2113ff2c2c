"""Packs from outside the built-in set run commands on the learner's machine: ask first.

A scenario from an instructor pack is trusted once its owner has seen the
commands it will run and said yes. Trust is stored per scenario file with the
file's SHA-256, so an edited scenario is asked about again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import tempfile
from pathlib import Path
from typing import Any

from labtui.scenario.catalog import SCENARIO_FILE, Entry
from labtui.scenario.model import AnswerCheck, CommandCheck, ExecCheck, Scenario, ValueSource
from labtui.state import paths


def trust_file() -> Path:
    return paths.data_dir() / "trusted.json"


def _digest(entry: Entry) -> str:
    return hashlib.sha256((entry.folder / SCENARIO_FILE).read_bytes()).hexdigest()


def _load() -> dict[str, str]:
    try:
        data = json.loads(trust_file().read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def is_trusted(entry: Entry) -> bool:
    if entry.builtin:
        return True
    try:
        return _load().get(str(entry.folder.resolve())) == _digest(entry)
    except OSError:
        return False


def trust(entry: Entry) -> None:
    data = _load()
    data[str(entry.folder.resolve())] = _digest(entry)
    path = trust_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".trusted.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _argv(argv: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)


def _source(source: Any) -> list[str]:
    if isinstance(source, ValueSource) and source.command is not None:
        where = f"in container {source.container}: " if source.container else ""
        return [where + _argv(source.command)]
    return []


def commands_preview(scenario: Scenario) -> list[str]:
    """Every command the scenario can run, as the learner would read it.

    Static names (the lab image, the scenario id, the lab directory) are filled
    in; names that need a running environment stay as written.
    """
    from labtui.drivers.docker import base_image
    from labtui.scenario.templates import TemplateContext

    ctx = TemplateContext(
        {
            "base_image": base_image(),
            "scenario_id": scenario.id,
            "lab_dir": str(paths.lab_dir(scenario.id)),
        }
    )
    return [ctx.render(line, strict=False) for line in _commands(scenario)]


def _commands(scenario: Scenario) -> list[str]:
    out: list[str] = []
    for c in scenario.environment.containers:
        cmd = f" {_argv(c.command)}" if c.command else ""
        flags = " --privileged" if c.privileged else ""
        out.append(f"docker run -d --name {c.name}{flags} {c.image}{cmd}")
    for task in scenario.tasks:
        for check in task.checks:
            if isinstance(check, CommandCheck):
                out.append(f"check: {_argv(check.command)}")
            elif isinstance(check, ExecCheck):
                out.append(f"check in container {check.container}: {_argv(check.command)}")
            elif isinstance(check, AnswerCheck):
                out += [f"check: {line}" for line in _source(check.expected)]
        if task.solution is not None:
            out += [f"solution: {_argv(argv)}" for argv in task.solution.run]
            out += [f"solution: {line}" for line in _source(task.solution.answer)]
    return out
