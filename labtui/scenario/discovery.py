"""Where scenario files are: the built-in set and instructor packs, found without reading them.

A pack is a folder of scenario folders (``PACK/<id>/scenario.yaml``) or one
scenario folder. Packs come from ``--scenarios DIR`` and ``LABTUI_SCENARIOS_PATH``
(``os.pathsep``-separated).

Kept free of YAML and pydantic: the catalog reads what this finds, and the
app's catalog index checks the very same files before its first frame.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from labtui.names import SCENARIOS_PATH_ENV

SCENARIO_FILE = "scenario.yaml"


def builtin_dir() -> Path:
    """Scenarios inside the wheel, or the repository's ``scenarios/`` in a checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_scenarios"
    if packaged.is_dir():
        return packaged
    return here.parent / "scenarios"


def pack_dirs(extra: Iterable[str | Path] = (), env: Mapping[str, str] | None = None) -> list[Path]:
    """The packs named on the command line, then those of ``LABTUI_SCENARIOS_PATH``."""
    source: Mapping[str, str] = os.environ if env is None else env
    dirs = [Path(p) for p in extra]
    dirs += [Path(p) for p in source.get(SCENARIOS_PATH_ENV, "").split(os.pathsep) if p.strip()]
    return dirs


def roots(packs: Sequence[Path], include_builtin: bool = True) -> list[tuple[Path, bool]]:
    """The folders scenarios are read from, in order (built-in first), each marked built-in or not."""
    found: list[tuple[Path, bool]] = [(builtin_dir(), True)] if include_builtin else []
    return found + [(p.expanduser(), False) for p in packs]


def scenario_files(root: Path) -> list[Path]:
    """Scenario files in a pack folder (one level deep) or in a scenario folder."""
    if root.is_file():
        return [root]
    direct = root / SCENARIO_FILE
    if direct.is_file():
        return [direct]
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob(f"*/{SCENARIO_FILE}") if p.is_file())
