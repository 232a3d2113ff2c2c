"""The scenarios: the built-in set and instructor packs, loaded.

Where their files are is :mod:`labtui.scenario.discovery`; this reads them. A
broken scenario is listed with its problems and never hides the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from labtui.scenario.discovery import (
    SCENARIO_FILE,
    builtin_dir,
    pack_dirs,
    roots,
    scenario_files,
)
from labtui.scenario.loader import LoadResult, Problem, load_file
from labtui.scenario.model import Scenario

__all__ = [
    "SCENARIO_FILE",
    "Catalog",
    "Entry",
    "UnknownScenario",
    "builtin_dir",
    "pack_dirs",
    "scenario_files",
]


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


class Catalog:
    def __init__(self, packs: Sequence[Path] = (), include_builtin: bool = True) -> None:
        self.packs = [p.expanduser() for p in packs]
        self.include_builtin = include_builtin
        self._entries: list[Entry] | None = None

    @classmethod
    def discover(cls, extra: Iterable[str | Path] = (), include_builtin: bool = True) -> Catalog:
        return cls(pack_dirs(extra), include_builtin=include_builtin)

    def _roots(self) -> list[tuple[Path, bool]]:
        return roots(self.packs, self.include_builtin)

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
