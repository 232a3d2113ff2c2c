"""Reports for classrooms: per scenario and task, passed or not, attempts, hints, solutions, time.

One ``Report`` is built either from a learner's progress or from a saved exam
result, and written as JSON, JUnit XML (one testcase per task, so a classroom
CI or LMS can collect it) or Markdown.

A task's time is the seconds from the previous task passing (or the lab
starting) to this task passing; tasks not passed have no time.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from labtui.scenario.catalog import Entry
from labtui.state.progress import Progress, ScenarioProgress, TaskProgress

Format = Literal["json", "junit", "markdown"]
FORMATS: tuple[str, ...] = ("json", "junit", "markdown")


@dataclass
class TaskReport:
    id: str
    title: str
    passed: bool
    attempts: int = 0
    hints_used: int = 0
    solution_revealed: bool = False
    seconds: float | None = None
    message: str = ""
    weight: float | None = None
    points: float | None = None


@dataclass
class ScenarioReport:
    id: str
    title: str
    tasks: list[TaskReport] = field(default_factory=list)
    started_at: str | None = None
    completed_at: str | None = None

    @property
    def passed(self) -> int:
        return sum(t.passed for t in self.tasks)

    @property
    def seconds(self) -> float:
        return sum(t.seconds or 0.0 for t in self.tasks)


@dataclass
class ExamSummary:
    id: str
    title: str
    score: float
    max_score: float
    percent: float
    pass_percent: float
    passed: bool
    expired: bool
    started_at: str
    finished_at: str
    time_limit_seconds: float
    seconds: float


@dataclass
class Report:
    learner: str
    generated_at: str
    scenarios: list[ScenarioReport] = field(default_factory=list)
    exam: ExamSummary | None = None

    @property
    def tasks(self) -> int:
        return sum(len(s.tasks) for s in self.scenarios)

    @property
    def passed(self) -> int:
        return sum(s.passed for s in self.scenarios)

    def to_dict(self) -> dict[str, Any]:
        return {
            "learner": self.learner,
            "generated_at": self.generated_at,
            "tasks": self.tasks,
            "passed": self.passed,
            "exam": asdict(self.exam) if self.exam else None,
            "scenarios": [
                {
                    "id": s.id,
                    "title": s.title,
                    "started_at": s.started_at,
                    "completed_at": s.completed_at,
                    "passed": s.passed,
                    "tasks": [asdict(t) for t in s.tasks],
                }
                for s in self.scenarios
            ],
        }


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _timed(started_at: str | None, tasks: dict[str, TaskProgress]) -> dict[str, float]:
    """Seconds each passed task took since the previous one passed (or the lab started)."""
    previous = _parse_time(started_at)
    out: dict[str, float] = {}
    passed = [(t, _parse_time(p.passed_at)) for t, p in tasks.items() if p.passed]
    for task_id, at in sorted(
        (x for x in passed if x[1] is not None), key=lambda x: x[1] or datetime.min
    ):
        assert at is not None
        if previous is not None:
            out[task_id] = max(0.0, (at - previous).total_seconds())
        previous = at
    return out


def scenario_report(
    scenario_id: str, title: str, task_titles: list[tuple[str, str]], sp: ScenarioProgress
) -> ScenarioReport:
    times = _timed(sp.started_at, sp.tasks)
    report = ScenarioReport(scenario_id, title, [], sp.started_at, sp.completed_at)
    known = {t for t, _ in task_titles}
    rows = task_titles + [(t, t) for t in sp.tasks if t not in known]
    for task_id, task_title in rows:
        tp = sp.tasks.get(task_id) or TaskProgress()
        message = "passed" if tp.passed else ("not passed yet" if tp.attempts else "not attempted")
        report.tasks.append(
            TaskReport(
                id=task_id,
                title=task_title,
                passed=tp.passed,
                attempts=tp.attempts,
                hints_used=tp.hints_used,
                solution_revealed=tp.solution_revealed,
                seconds=times.get(task_id),
                message=message,
            )
        )
    return report


def from_progress(
    progress: Progress, entries: Iterable[Entry], learner: str, everything: bool = False
) -> Report:
    """Scenarios the learner started (``everything``: every valid scenario of the catalog)."""
    report = Report(learner=learner, generated_at=_now())
    seen: set[str] = set()
    for e in entries:
        sc = e.scenario
        if sc is None or sc.id in seen:
            continue
        sp = progress.scenarios.get(sc.id)
        if sp is None and not everything:
            continue
        seen.add(sc.id)
        titles = [(t.id, t.title) for t in sc.tasks]
        report.scenarios.append(scenario_report(sc.id, sc.title, titles, sp or ScenarioProgress()))
    for sid, sp in sorted(progress.scenarios.items()):
        if sid not in seen:
            report.scenarios.append(scenario_report(sid, sid, [], sp))
    return report


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- formats


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2)


def _seconds(value: float | None) -> str:
    return f"{value or 0.0:.3f}"


def to_junit(report: Report) -> str:
    """JUnit XML: a testsuite per scenario, a testcase per task; not passed is a failure."""
    root = ET.Element(
        "testsuites",
        name=f"labtui {report.exam.title}" if report.exam else "labtui",
        tests=str(report.tasks),
        failures=str(report.tasks - report.passed),
        errors="0",
        time=_seconds(sum(s.seconds for s in report.scenarios)),
    )
    for s in report.scenarios:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=s.id,
            tests=str(len(s.tasks)),
            failures=str(len(s.tasks) - s.passed),
            errors="0",
            skipped="0",
            time=_seconds(s.seconds),
            timestamp=(s.started_at or report.generated_at)[:19],
        )
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="learner", value=report.learner)
        ET.SubElement(props, "property", name="title", value=s.title)
        if report.exam:
            ET.SubElement(props, "property", name="exam", value=report.exam.id)
        for t in s.tasks:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"labtui.{s.id}",
                name=t.id,
                time=_seconds(t.seconds),
            )
            if not t.passed:
                failure = ET.SubElement(
                    case, "failure", message=t.message or "not passed", type="NotPassed"
                )
                failure.text = t.title
            out = ET.SubElement(case, "system-out")
            facts = [
                f"title: {t.title}",
                f"attempts: {t.attempts}",
                f"hints used: {t.hints_used}",
                f"solution revealed: {'yes' if t.solution_revealed else 'no'}",
            ]
            if t.weight is not None:
                facts.append(f"weight: {t.weight:g}, points: {t.points or 0:g}")
            out.text = "\n".join(facts)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    lines = [f"# labtui report: {report.learner}", ""]
    if report.exam:
        e = report.exam
        verdict = "passed" if e.passed else "not passed"
        lines += [
            f"**Exam {e.title}**: {e.score:g} / {e.max_score:g} points ({e.percent:.0f}%, "
            f"{verdict}; pass mark {e.pass_percent:g}%)" + (" — time ran out" if e.expired else ""),
            "",
        ]
    lines += [
        f"{report.passed} of {report.tasks} tasks passed · generated {report.generated_at}",
        "",
    ]
    for s in report.scenarios:
        lines += [f"## {_cell(s.title)} (`{s.id}`): {s.passed}/{len(s.tasks)}", ""]
        lines += [
            "| task | passed | attempts | hints | solution | time |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for t in s.tasks:
            time = f"{t.seconds:.0f} s" if t.seconds is not None else "-"
            lines.append(
                f"| {_cell(t.title)} | {'yes' if t.passed else 'no'} | {t.attempts} | "
                f"{t.hints_used} | {'revealed' if t.solution_revealed else '-'} | {time} |"
            )
        lines.append("")
    return "\n".join(lines)


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        return to_json(report)
    if fmt == "junit":
        return to_junit(report)
    if fmt == "markdown":
        return to_markdown(report)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
