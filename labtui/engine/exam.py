"""Exam mode: a timed set of weighted tasks, no hints, no solutions, scored once at the end.

An exam is one of:

- an exam file (YAML): ``format_version``, ``id``, ``title``, ``minutes``,
  ``pass_percent`` and ``items`` (``scenario``, optional ``task``, ``weight``);
  scenario ids are looked up in the catalog and in the exam file's folder;
- a scenario pack folder: every task of every scenario in it, weight 1, the
  scenarios' minutes added up;
- one scenario id from the catalog.

Each scenario's environment is started afresh, answers are taken until the
time runs out, and then every task is checked once against the environment as
the learner left it. Answers given after the deadline do not count. Progress
lives in a store of the exam's own, so practice progress is not touched. The
result is saved under ``<data dir>/exams/<learner>/``.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from labtui.drivers.docker import DockerDriver
from labtui.engine.report import ExamSummary, Report, ScenarioReport, TaskReport
from labtui.engine.session import Session, TaskResult
from labtui.errors import InvalidInput, LabError
from labtui.scenario.catalog import Catalog, Entry, UnknownScenario
from labtui.scenario.loader import format_loc, parse_text
from labtui.scenario.model import ID_PATTERN, Scenario, Task
from labtui.state import paths
from labtui.state.files import write_atomic
from labtui.state.progress import ProgressStore

Clock = Callable[[], float]
Progress = Callable[[str], None]
EXAM_SUFFIXES = (".yaml", ".yml")


class ExamOver(LabError):
    """The time is up: no more answers are taken."""


# --------------------------------------------------------------------------- definition


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
    import re

    return re.match(ID_PATTERN, text) is not None


# --------------------------------------------------------------------------- result


@dataclass
class ItemResult:
    number: int
    scenario: str
    task: str
    title: str
    weight: float
    passed: bool
    points: float
    answered: bool
    message: str
    scenario_title: str = ""


@dataclass
class ExamResult:
    exam_id: str
    title: str
    learner: str
    started_at: str
    finished_at: str
    time_limit_seconds: float
    seconds: float
    expired: bool
    pass_percent: float
    items: list[ItemResult] = field(default_factory=list)
    late_answers: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(i.points for i in self.items)

    @property
    def max_score(self) -> float:
        return sum(i.weight for i in self.items)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    @property
    def passed(self) -> bool:
        return self.percent >= self.pass_percent

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            score=self.score, max_score=self.max_score, percent=self.percent, passed=self.passed
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExamResult:
        items = [ItemResult(**i) for i in data.get("items", [])]
        fields = {
            k: data[k]
            for k in (
                "exam_id",
                "title",
                "learner",
                "started_at",
                "finished_at",
                "time_limit_seconds",
                "seconds",
                "expired",
                "pass_percent",
            )
        }
        return cls(**fields, items=items, late_answers=list(data.get("late_answers", [])))

    def report(self) -> Report:
        summary = ExamSummary(
            id=self.exam_id,
            title=self.title,
            score=self.score,
            max_score=self.max_score,
            percent=self.percent,
            pass_percent=self.pass_percent,
            passed=self.passed,
            expired=self.expired,
            started_at=self.started_at,
            finished_at=self.finished_at,
            time_limit_seconds=self.time_limit_seconds,
            seconds=self.seconds,
        )
        report = Report(learner=self.learner, generated_at=self.finished_at, exam=summary)
        by_scenario: dict[str, ScenarioReport] = {}
        for item in self.items:
            sr = by_scenario.get(item.scenario)
            if sr is None:
                sr = by_scenario[item.scenario] = ScenarioReport(
                    item.scenario,
                    item.scenario_title or item.scenario,
                    [],
                    self.started_at,
                    self.finished_at,
                )
                report.scenarios.append(sr)
            sr.tasks.append(
                TaskReport(
                    id=item.task,
                    title=item.title,
                    passed=item.passed,
                    attempts=1 if item.answered else 0,
                    message=item.message,
                    weight=item.weight,
                    points=item.points,
                )
            )
        return report


def exams_dir(learner: str) -> Path:
    return paths.data_dir() / "exams" / paths.safe_name(learner)


def save_result(result: ExamResult) -> Path:
    folder = exams_dir(result.learner)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = result.finished_at.replace(":", "").replace("-", "")[:15]
    target = folder / f"{stamp}-{result.exam_id}.json"
    n = 1
    while target.exists():
        target = folder / f"{stamp}-{result.exam_id}-{n}.json"
        n += 1
    write_atomic(target, json.dumps(result.to_dict(), indent=2))
    return target


def saved_results(learner: str) -> list[Path]:
    folder = exams_dir(learner)
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def load_result(path: Path) -> ExamResult:
    try:
        return ExamResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"cannot read exam result {path}: {exc}") from None


# --------------------------------------------------------------------------- running


def _wall() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Exam:
    """One sitting of an exam. ``clock`` gives seconds (monotonic); tests pass a fake one."""

    def __init__(
        self,
        plan: ExamPlan,
        learner: str,
        minutes: float | None = None,
        clock: Clock = time.monotonic,
        docker: DockerDriver | None = None,
    ) -> None:
        self.plan = plan
        self.definition = plan.definition
        self.learner = paths.safe_name(learner)
        self.items = plan.items()
        self.limit = 60.0 * (minutes if minutes is not None else self.definition.minutes)
        if self.limit <= 0:
            raise InvalidInput("an exam needs a positive number of minutes")
        self.clock = clock
        self._tmp = tempfile.TemporaryDirectory(prefix="labtui-exam-")
        self.store = ProgressStore(self.learner, path=Path(self._tmp.name) / "progress.json")
        self.docker = docker
        self.sessions = {
            sid: Session(e.scenario, e.folder, store=self.store, docker=docker)
            for sid, e in plan.entries.items()
            if e.scenario is not None
        }
        self.answers: dict[str, str] = {}
        self.late: list[str] = []
        self.started: float | None = None
        self.started_at = ""
        self.result: ExamResult | None = None
        self.saved_to: Path | None = None

    # -- time

    @property
    def remaining(self) -> float:
        if self.started is None:
            return self.limit
        return max(0.0, self.limit - (self.clock() - self.started))

    @property
    def expired(self) -> bool:
        return self.started is not None and self.remaining <= 0

    # -- flow

    def session(self, item: ExamItem) -> Session:
        return self.sessions[item.scenario.id]

    def start(self, progress: Progress = lambda _: None) -> None:
        """Every scenario's environment afresh, then the clock starts."""
        for sid, session in self.sessions.items():
            progress(f"{sid}: starting the environment afresh")
            session.down()
            session.up(progress)
        self.started = self.clock()
        self.started_at = _wall()

    def answer(self, item: ExamItem, text: str) -> None:
        """Keep the answer (data only); raises ExamOver once the time is up."""
        if self.started is None:
            raise LabError("the exam has not started")
        if self.expired:
            self.late.append(item.key)
            raise ExamOver("the time is up: answers are no longer taken")
        if not item.task.needs_answer:
            raise InvalidInput(f"task {item.key} is done in the lab, not answered")
        self.answers[item.key] = text

    def answered(self, item: ExamItem) -> bool:
        return item.key in self.answers

    def finish(self, progress: Progress = lambda _: None) -> ExamResult:
        """Check every task once and score it; the result is saved and returned."""
        if self.result is not None:
            return self.result
        if self.started is None:
            raise LabError("the exam has not started")
        used = self.clock() - self.started
        expired = used >= self.limit
        outcomes: dict[str, TaskResult] = {}
        for sid, session in self.sessions.items():
            mine = [i for i in self.items if i.scenario.id == sid]
            progress(f"{sid}: checking {len(mine)} task(s)")
            answers = {i.task.id: self.answers[i.key] for i in mine if i.key in self.answers}
            for tr in session.check_many([i.task.id for i in mine], answers):
                outcomes[f"{sid}/{tr.task_id}"] = tr
        result = ExamResult(
            exam_id=self.definition.id,
            title=self.definition.title,
            learner=self.learner,
            started_at=self.started_at,
            finished_at=_wall(),
            time_limit_seconds=self.limit,
            seconds=min(used, self.limit),
            expired=expired,
            pass_percent=self.definition.pass_percent,
            late_answers=list(self.late),
        )
        for item in self.items:
            found = outcomes.get(item.key)
            passed = found is not None and found.passed
            failed = [r for r in (found.results if found else []) if not r.passed]
            message = "passed" if passed else (failed[0].message if failed else "not checked")
            if item.task.needs_answer and not self.answered(item) and not passed:
                message = "not answered"
            result.items.append(
                ItemResult(
                    number=item.number,
                    scenario=item.scenario.id,
                    task=item.task.id,
                    title=item.task.title,
                    weight=item.weight,
                    passed=passed,
                    points=item.weight if passed else 0.0,
                    answered=self.answered(item),
                    message=message.splitlines()[0] if message else "",
                    scenario_title=item.scenario.title,
                )
            )
        self.result = result
        self.saved_to = save_result(result)
        return result

    def close(self, progress: Progress = lambda _: None) -> None:
        """Remove every environment the exam started."""
        for sid, session in self.sessions.items():
            progress(f"{sid}: removing the environment")
            with contextlib.suppress(LabError):
                session.down()
        self._tmp.cleanup()
