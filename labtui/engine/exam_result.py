"""An exam's result: scored items, the report it makes, and where results are saved.

Results are saved under ``<data dir>/exams/<learner>/``, one JSON file each,
so ``labtui report --exam`` can read them again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from labtui.engine.report import ExamSummary, Report, ScenarioReport, TaskReport
from labtui.errors import InvalidInput
from labtui.state import paths
from labtui.state.files import write_atomic


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
