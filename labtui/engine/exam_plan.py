"""What an exam asks: its definition, and the plan of items it makes.

An exam is one of:

- an exam file (YAML): ``format_version``, ``id``, ``title``, ``minutes``,
  ``pass_percent`` and ``items`` (``scenario``, optional ``task``, ``weight``);
  scenario ids are looked up in the catalog and in the exam file's folder;
- a scenario pack folder: every task of every scenario in it, weight 1, the
  scenarios' minutes added up;
- one scenario id from the catalog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from labtui.errors import InvalidInput
from labtui.scenario.catalog import Catalog, Entry, UnknownScenario
from labtui.scenario.loader import format_loc, parse_text
from labtui.scenario.model import ID_PATTERN, Scenario, Task
from labtui.state import paths

EXAM_SUFFIXES = (".yaml", ".yml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExamItemSpec(_Strict):
    scenario: Annotated[str, Field(pattern=ID_PATTERN)]
    task: Annotated[str, Field(pattern=ID_PATTERN)] | None = Field(
        default=None, description="One task of the scenario; default: every task."
    )
    weight: float = Field(default=1.0, gt=0, le=1000)


class ExamDefinition(_Strict):
    format_version: Literal[1]
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    title: str = Field(min_length=1)
    minutes: int = Field(gt=0, le=600)
    pass_percent: float = Field(default=66.0, ge=0, le=100)
    items: list[ExamItemSpec] = Field(min_length=1)


@dataclass(frozen=True)
class ExamItem:
    number: int
    scenario: Scenario
    task: Task
    weight: float

    @property
    def key(self) -> str:
        return f"{self.scenario.id}/{self.task.id}"


@dataclass
class ExamPlan:
    """What an exam asks: its definition and, for each scenario, where it comes from."""

    definition: ExamDefinition
    entries: dict[str, Entry]

    def items(self) -> list[ExamItem]:
        out: list[ExamItem] = []
        for spec in self.definition.items:
            sc = self.entries[spec.scenario].scenario
            assert sc is not None
            tasks = [sc.task(spec.task)] if spec.task else list(sc.tasks)
            for t in tasks:
                out.append(ExamItem(len(out) + 1, sc, t, spec.weight))
        return out


def load_definition(path: Path) -> ExamDefinition:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read exam file {path}: {exc}") from None
    data, positions, problems = parse_text(text, str(path))
    if problems or data is None:
        raise InvalidInput("\n".join(str(p) for p in problems) or f"{path}: empty exam file")
    try:
        return ExamDefinition.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line, col = positions.find(loc, key=err.get("type") == "extra_forbidden")
            lines.append(f"{path}:{line}:{col}: {format_loc(loc)}: {err['msg']}")
        raise InvalidInput(
            "\n".join(lines), "see docs/authoring.md (exams) for the exam file format"
        ) from None


def _entry(catalog: Catalog, scenario_id: str, where: str) -> Entry:
    try:
        entry = catalog.find(scenario_id)
    except UnknownScenario as exc:
        raise InvalidInput(f"{where}: {exc}", "`labtui list` shows every scenario") from None
    if entry.scenario is None:
        details = "; ".join(str(p) for p in entry.problems)
        raise InvalidInput(f"{where}: scenario {scenario_id} is broken: {details}")
    return entry


def plan_exam(pack: str, scenario_dirs: tuple[str, ...] | list[str] = ()) -> ExamPlan:
    """PACK is an exam file, a scenario pack folder, or a scenario id."""
    path = Path(pack).expanduser()
    if path.is_file():
        if path.suffix not in EXAM_SUFFIXES:
            raise InvalidInput(f"{path} is not an exam file", "exam files end in .yaml or .yml")
        definition = load_definition(path)
        catalog = Catalog.discover([*scenario_dirs, path.parent])
        entries: dict[str, Entry] = {}
        for i, spec in enumerate(definition.items):
            where = f"{path}: items[{i}]"
            entry = _entry(catalog, spec.scenario, where)
            if spec.task is not None:
                assert entry.scenario is not None
                known = [t.id for t in entry.scenario.tasks]
                if spec.task not in known:
                    raise InvalidInput(
                        f"{where}: scenario {spec.scenario} has no task {spec.task!r}",
                        f"tasks: {', '.join(known)}",
                    )
            entries[spec.scenario] = entry
        return ExamPlan(definition, entries)
    if path.is_dir():
        catalog = Catalog([path], include_builtin=False)
        good = [e for e in catalog.entries() if e.scenario is not None]
        broken = [e for e in catalog.entries() if e.scenario is None]
        if broken:
            details = "\n".join(str(p) for e in broken for p in e.problems)
            raise InvalidInput(f"the pack {path} has broken scenarios:\n{details}")
        if not good:
            raise InvalidInput(f"no scenario.yaml found in {path}")
        name = paths.safe_name(path.resolve().name).lower()
        exam_id = name if _is_id(name) else "pack"
        definition = ExamDefinition(
            format_version=1,
            id=exam_id,
            title=path.resolve().name,
            minutes=min(600, sum(e.scenario.minutes for e in good if e.scenario)),
            items=[ExamItemSpec(scenario=e.id) for e in good],
        )
        return ExamPlan(definition, {e.id: e for e in good})
    catalog = Catalog.discover(scenario_dirs)
    if not _is_id(pack):
        raise InvalidInput(
            f"{pack!r} is not an exam file, a pack folder or a scenario id",
            "give an exam .yaml, a folder of scenarios, or an id from `labtui list`",
        )
    return plan_for_entry(_entry(catalog, pack, "exam"))


def plan_for_entry(entry: Entry) -> ExamPlan:
    """An exam of one scenario: every task, weight 1, the scenario's minutes."""
    sc = entry.scenario
    if sc is None:
        raise InvalidInput(f"scenario {entry.id} is broken and cannot be an exam")
    definition = ExamDefinition(
        format_version=1,
        id=sc.id,
        title=sc.title,
        minutes=sc.minutes,
        items=[ExamItemSpec(scenario=sc.id)],
    )
    return ExamPlan(definition, {sc.id: entry})


def _is_id(text: str) -> bool:
    return re.match(ID_PATTERN, text) is not None
