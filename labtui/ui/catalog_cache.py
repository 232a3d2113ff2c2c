"""A small index of the catalog, so the first frame needs neither YAML nor pydantic.

The app paints the catalog from this index when every scenario file is where
the index saw it, with the same size and modification time; the full load runs
right after the first frame anyway (a lab needs it), corrects anything the
index missed and rewrites it. So a stale index can at worst show a row for a
moment, never open a wrong lab. The files are found by the catalog's own
discovery (:mod:`labtui.scenario.discovery`, which reads no YAML).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from labtui.scenario import discovery
from labtui.state import paths
from labtui.state.files import write_atomic

CACHE_VERSION = 1


def roots(scenario_dirs: Sequence[str | Path]) -> list[Path]:
    """The folders the catalog reads, in its order (built-in first): the catalog's own discovery."""
    return [root for root, _ in discovery.roots(discovery.pack_dirs(scenario_dirs))]


def _files(folders: Sequence[Path]) -> dict[str, list[int]]:
    """Each scenario file the catalog would read, with its modification time and size."""
    found: dict[str, list[int]] = {}
    for root in folders:
        for file in discovery.scenario_files(root):
            with contextlib.suppress(OSError):
                st = file.stat()
                found[str(file.resolve())] = [st.st_mtime_ns, st.st_size]
    return found


def cache_path() -> Path:
    return paths.data_dir() / "cache" / "catalog.json"


def read(scenario_dirs: Sequence[str | Path]) -> list[dict[str, Any]] | None:
    """The indexed rows when every file is unchanged, else None."""
    folders = roots(scenario_dirs)
    try:
        data = json.loads(cache_path().read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return None
    if data.get("roots") != [str(r) for r in folders] or data.get("files") != _files(folders):
        return None
    rows = data.get("rows")
    return rows if isinstance(rows, list) else None


def write(scenario_dirs: Sequence[str | Path], rows: list[dict[str, Any]]) -> None:
    folders = roots(scenario_dirs)
    payload = {
        "version": CACHE_VERSION,
        "roots": [str(r) for r in folders],
        "files": _files(folders),
        "rows": rows,
    }
    with contextlib.suppress(OSError):
        write_atomic(cache_path(), json.dumps(payload))


def task_progress(learner: str | None) -> dict[str, dict[str, Any]]:
    """Per scenario: the raw task progress from the progress file (read without the model)."""
    name = paths.safe_name(learner) if learner else paths.default_learner()
    try:
        data = json.loads((paths.data_dir() / "progress" / f"{name}.json").read_text())
        scenarios = data.get("scenarios", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return (
        {k: v for k, v in scenarios.items() if isinstance(v, dict)}
        if isinstance(scenarios, dict)
        else {}
    )
