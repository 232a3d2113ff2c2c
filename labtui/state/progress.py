"""A learner's progress: one JSON file, written atomically, never silently dropped.

Writes go to a temporary file in the same folder, are flushed to disk and then
renamed over the old file, so a crash leaves either the old or the new version.
Read-modify-write cycles hold an exclusive lock so two labtui processes (the TUI
and a ``labtui check`` in the shell) do not lose each other's updates. A file
that does not parse is moved aside (``*.corrupt-<time>``) with a warning.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from labtui.state import paths
from labtui.state.files import write_atomic

PROGRESS_VERSION = 1
MAX_PROGRESS_BYTES = 16_000_000

T = TypeVar("T")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TaskProgress(_Model):
    passed: bool = False
    passed_at: str | None = None
    attempts: int = 0
    hints_used: int = 0
    solution_revealed: bool = False
    answer: str | None = None


class ScenarioProgress(_Model):
    current_task: str | None = None
    tasks: dict[str, TaskProgress] = {}
    started_at: str | None = None
    updated_at: str | None = None
    completed_at: str | None = None

    def task(self, task_id: str) -> TaskProgress:
        return self.tasks.setdefault(task_id, TaskProgress())

    def passed_count(self, task_ids: list[str]) -> int:
        return sum(1 for t in task_ids if self.tasks.get(t, TaskProgress()).passed)

    def hints_used(self) -> int:
        return sum(t.hints_used for t in self.tasks.values())

    def solutions_revealed(self) -> int:
        return sum(1 for t in self.tasks.values() if t.solution_revealed)


class Progress(_Model):
    format_version: int = PROGRESS_VERSION
    learner: str = ""
    scenarios: dict[str, ScenarioProgress] = Field(default_factory=dict)

    def scenario(self, scenario_id: str) -> ScenarioProgress:
        return self.scenarios.setdefault(scenario_id, ScenarioProgress())


class ProgressStore:
    def __init__(self, learner: str | None = None, path: Path | None = None) -> None:
        self.learner = paths.safe_name(learner) if learner else paths.default_learner()
        self.path = path or paths.data_dir() / "progress" / f"{self.learner}.json"
        self.warnings: list[str] = []

    # -- reading

    def load(self) -> Progress:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return Progress(learner=self.learner)
        except OSError as exc:
            self.warnings.append(
                f"cannot read progress file {self.path}: {exc.strerror}; starting empty"
            )
            return Progress(learner=self.learner)
        try:
            if len(raw) > MAX_PROGRESS_BYTES:
                raise ValueError(f"file is {len(raw)} bytes")
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("top level is not an object")
            version = data.get("format_version", PROGRESS_VERSION)
            if not isinstance(version, int) or isinstance(version, bool):
                raise ValueError(f"format_version is {version!r}, not a number")
            if version > PROGRESS_VERSION:
                raise ValueError(f"written by a newer labtui (format {version})")
            progress = Progress.model_validate(data)
        except (ValueError, TypeError, UnicodeDecodeError, ValidationError, RecursionError) as exc:
            aside = self._move_aside()
            reason = str(exc).splitlines()[0][:200]
            self.warnings.append(
                f"progress file {self.path} was unreadable ({reason}); kept as {aside}, starting afresh"
            )
            return Progress(learner=self.learner)
        progress.learner = progress.learner or self.learner
        return progress

    def _move_aside(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while aside.exists():
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
            n += 1
        with contextlib.suppress(OSError):
            os.replace(self.path, aside)
        return aside

    # -- writing

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a+b") as lock:
            deadline = time.monotonic() + 10
            while True:
                try:
                    fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(
                            f"progress file {self.path} is locked by another labtui"
                        ) from None
                    time.sleep(0.02)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def save(self, progress: Progress) -> None:
        with self._locked():
            self._write(progress)

    def _write(self, progress: Progress) -> None:
        write_atomic(self.path, progress.model_dump_json(indent=2))

    def update(self, scenario_id: str, change: Callable[[ScenarioProgress], T]) -> T:
        """Apply ``change`` to one scenario's progress under the lock and save."""
        with self._locked():
            progress = self.load()
            sp = progress.scenario(scenario_id)
            sp.started_at = sp.started_at or now()
            result = change(sp)
            sp.updated_at = now()
            self._write(progress)
            return result

    def get(self, scenario_id: str) -> ScenarioProgress:
        return self.load().scenarios.get(scenario_id) or ScenarioProgress()

    def reset(self, scenario_id: str) -> None:
        with self._locked():
            progress = self.load()
            progress.scenarios.pop(scenario_id, None)
            self._write(progress)
