"""What the lab tests share: a built-in scenario, its templates without an
environment, every shell script it runs, and a Python helper a pack ships."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from labtui.scenario.catalog import Catalog
from labtui.scenario.model import Scenario, Step
from labtui.scenario.templates import TemplateContext


def built_in(lab_id: str) -> Scenario:
    entry = Catalog().find(lab_id)
    assert entry.scenario is not None, entry.problems
    return entry.scenario


def offline_templates(namespace: str, lab_dir: Path) -> TemplateContext:
    """The templates a cluster lab's files use, as on the lab image, without a cluster."""
    return TemplateContext(
        {"namespace": namespace, "lab_dir": str(lab_dir), "base_image": "labtui/base:local"}
    )


def load_pack_module(name: str, path: Path) -> ModuleType:
    """Import a helper a scenario folder ships (detect.py, check_image.py) as ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    writes, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # keep the pack clean
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes
    return module


def shell_scripts(sc: Scenario) -> list[tuple[str, str]]:
    """Every ``sh -c`` script of the lab's checks, solutions and computed answers."""
    found: list[tuple[str, str]] = []

    def add(where: str, argv: list[str] | None) -> None:
        if argv and argv[:2] == ["sh", "-c"]:
            found.append((where, argv[2]))

    for task in sc.tasks:
        for i, check in enumerate(task.checks):
            add(f"{task.id} check {i}", getattr(check, "command", None))
        if task.solution is None:
            continue
        for i, step in enumerate(task.solution.run):
            add(f"{task.id} step {i}", step.command if isinstance(step, Step) else step)
        answer = task.solution.answer
        if answer is not None and not isinstance(answer, str):
            add(f"{task.id} answer", answer.command)
    return found
