"""Session records: a file per lab that is up, in the data directory.

A record is written before anything is created, so ``doctor`` and ``clean`` find
leftovers after a crash; it goes last on ``down``. Its ``started_at`` tells which
containers of a lab's names were made after the lab started (the lab's), and its
``owner`` which owner id the lab was made with.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from labtui.state import paths
from labtui.state.files import write_atomic


@dataclass
class SessionRecord:
    scenario: str
    started_at: str
    pid: int
    # The owner id the lab was made with; None in records from before labs had owners.
    owner: str | None = None

    @property
    def started(self) -> datetime:
        return datetime.fromisoformat(self.started_at)


def record_path(scenario_id: str) -> Path:
    return paths.sessions_dir() / f"{scenario_id}.json"


def read_record(scenario_id: str) -> SessionRecord | None:
    try:
        data = json.loads(record_path(scenario_id).read_text())
        owner = data.get("owner")
        return SessionRecord(
            str(data["scenario"]),
            str(data["started_at"]),
            int(data.get("pid", 0)),
            owner if isinstance(owner, str) and owner else None,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_record(scenario_id: str, owner: str) -> SessionRecord:
    """Mark ``scenario_id`` as up, started now by this process for ``owner``."""
    record = SessionRecord(scenario_id, datetime.now(UTC).isoformat(), os.getpid(), owner)
    write_atomic(record_path(scenario_id), json.dumps(record.__dict__))
    return record


def active_records() -> list[SessionRecord]:
    folder = paths.sessions_dir()
    if not folder.is_dir():
        return []
    records = [read_record(p.stem) for p in sorted(folder.glob("*.json"))]
    return [r for r in records if r is not None]
