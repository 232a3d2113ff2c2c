"""Where scenarios come from: the built-in set and instructor packs.

A pack is a folder of scenario folders (``PACK/<id>/scenario.yaml``) or one
scenario folder. Packs come from ``--scenarios DIR`` and ``LABTUI_SCENARIOS_PATH``
(``os.pathsep``-separated). A broken scenario is listed with its problems and
never hides the others.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from labtui.scenario.loader import LoadResult, Problem, load_file
from labtui.scenario.model import Scenario

SCENARIO_FILE = "scenario.yaml"
ENV_PATH = "LABTUI_SCENARIOS_PATH"


def builtin_dir() -> Path:
    """Scenarios inside the wheel, or the repository's ``scenarios/`` in a checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_scenarios"
    if packaged.is_dir():
        return packaged
    return here.parent / "scenarios"


@dataclass
class Entry:
    """One scenario folder and what loading it gave."""

    folder: Path
    result: LoadResult
    builtin: bool

    @property
    def id(self) -> str:
        if self.result.scenario:
            return self.result.scenario.id
        return self.result.raw_id or self.folder.name

    @property
    def title(self) -> str:
        if self.result.scenario:
            return self.result.scenario.title
        return self.result.raw_title or self.folder.name

    @property
    def scenario(self) -> Scenario | None:
        return self.result.scenario

    @property
    def problems(self) -> list[Problem]:
        return self.result.problems

    @property
    def broken(self) -> bool:
        return not self.result.ok

    @property
    def source(self) -> str:
        return "built-in" if self.builtin else str(self.folder.parent)


class UnknownScenario(LookupError):
    def __init__(self, scenario_id: str, known: Sequence[str]) -> None:
        self.scenario_id = scenario_id
        hint = f"; known: {', '.join(known)}" if known else ""
        super().__init__(f"no scenario with id {scenario_id!r}{hint}")


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


def pack_dirs(extra: Iterable[str | Path] = (), env: Mapping[str, str] | None = None) -> list[Path]:
    source: Mapping[str, str] = os.environ if env is None else env
    dirs = [Path(p) for p in extra]
    dirs += [Path(p) for p in source.get(ENV_PATH, "").split(os.pathsep) if p.strip()]
    return dirs


class Catalog:
    def __init__(self, packs: Sequence[Path] = (), include_builtin: bool = True) -> None:
        self.packs = [p.expanduser() for p in packs]
        self.include_builtin = include_builtin
        self._entries: list[Entry] | None = None

    @classmethod
    def discover(cls, extra: Iterable[str | Path] = (), include_builtin: bool = True) -> Catalog:
        return cls(pack_dirs(extra), include_builtin=include_builtin)

    def _roots(self) -> list[tuple[Path, bool]]:
        roots: list[tuple[Path, bool]] = []
        if self.include_builtin:
            roots.append((builtin_dir(), True))
        roots += [(p, False) for p in self.packs]
        return roots

    def entries(self) -> list[Entry]:
        if self._entries is None:
            self._entries = []
            for root, builtin in self._roots():
                for file in scenario_files(root):
                    self._entries.append(Entry(file.parent, load_file(file), builtin))
        return self._entries

    def find(self, scenario_id: str) -> Entry:
        """The entry with this id; a folder named like the id is tried first (fast path)."""
        if self._entries is None:
            for root, builtin in reversed(self._roots()):
                file = root / scenario_id / SCENARIO_FILE
                if file.is_file():
                    entry = Entry(file.parent, load_file(file), builtin)
                    if entry.id == scenario_id:
                        return entry
        matches = [e for e in self.entries() if e.id == scenario_id]
        if not matches:
            raise UnknownScenario(scenario_id, [e.id for e in self.entries()])
        return matches[-1]

    def duplicates(self) -> dict[str, list[Entry]]:
        by_id: dict[str, list[Entry]] = {}
        for e in self.entries():
            by_id.setdefault(e.id, []).append(e)
        return {k: v for k, v in by_id.items() if len(v) > 1}
