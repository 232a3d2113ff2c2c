"""The lab directory: the scenario's files, copied or rendered, where the learner works.

On a fresh ``up`` every file is written; on a second ``up`` files that exist are
left as the learner changed them. Nothing is written outside the directory.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from labtui.errors import InvalidInput
from labtui.scenario.model import Scenario

Render = Callable[[str], str]


def lab_path(lab_dir: Path, rel: str) -> Path:
    """``rel`` inside the lab directory; InvalidInput when it would lead outside."""
    dest = (lab_dir / rel).resolve()
    if not dest.is_relative_to(lab_dir.resolve()):
        raise InvalidInput(f"file {rel!r} would be written outside the lab directory")
    return dest


def write_files(
    lab_dir: Path, files: Mapping[str, str], render: Render, keep: bool = False
) -> None:
    """Write each rendered file; with ``keep`` a file that exists stays as it is."""
    for rel, content in files.items():
        dest = lab_path(lab_dir, rel)
        if dest.exists() and keep:
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(render(content))


def prepare(scenario: Scenario, folder: Path, lab_dir: Path, render: Render, fresh: bool) -> None:
    """Copy ``environment.include``, write ``environment.files``, generate the lab's PKI."""
    lab_dir.mkdir(parents=True, exist_ok=True)
    env = scenario.environment
    for ref in env.include:
        src = (folder / ref).resolve()
        if not src.is_relative_to(folder.resolve()):
            raise InvalidInput(f"{ref!r} points outside the scenario folder")
        dest = lab_dir / ref
        if dest.exists() and not fresh:
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dest, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dest)
    write_files(lab_dir, env.files, render, keep=not fresh)
    if env.pki is not None:
        from labtui.pki.lab import prepare as prepare_pki

        prepare_pki(lab_dir, env.pki, fresh, render)
