"""Exam mode: a timed set of weighted tasks, no hints, no solutions, scored once at the end.

Each scenario's environment is started afresh, answers are taken until the
time runs out, and then every task is checked once against the environment as
the learner left it. Answers given after the deadline do not count. Progress
lives in a store of the exam's own, so practice progress is not touched.

What an exam asks is planned in ``exam_plan``; its result, and where it is
saved, is ``exam_result``. Both are re-exported here: callers import the exam
from one place.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from labtui.drivers.docker import DockerDriver
from labtui.engine.exam_plan import (
    ExamDefinition,
    ExamItem,
    ExamItemSpec,
    ExamPlan,
    load_definition,
    plan_exam,
    plan_for_entry,
)
from labtui.engine.exam_result import (
    ExamResult,
    ItemResult,
    exams_dir,
    load_result,
    save_result,
    saved_results,
)
from labtui.engine.session import Session, TaskResult
from labtui.errors import InvalidInput, LabError
from labtui.notify import Notify, quiet
from labtui.state import paths
from labtui.state.progress import ProgressStore

__all__ = [
    "Exam",
    "ExamDefinition",
    "ExamItem",
    "ExamItemSpec",
    "ExamOver",
    "ExamPlan",
    "ExamResult",
    "ItemResult",
    "exams_dir",
    "load_definition",
    "load_result",
    "plan_exam",
    "plan_for_entry",
    "save_result",
    "saved_results",
]

Clock = Callable[[], float]


class ExamOver(LabError):
    """The time is up: no more answers are taken."""


def _wall() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Exam:
    """One sitting of an exam. ``clock`` gives seconds (monotonic); tests pass a fake one.

    ``cluster``: where the Kubernetes labs run (``--cluster``: kind, node, context:NAME).
    """

    def __init__(
        self,
        plan: ExamPlan,
        learner: str,
        minutes: float | None = None,
        clock: Clock = time.monotonic,
        docker: DockerDriver | None = None,
        cluster: str | None = None,
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
            sid: Session(e.scenario, e.folder, store=self.store, docker=docker, cluster=cluster)
            for sid, e in plan.entries.items()
            if e.scenario is not None
        }
        self.answers: dict[str, str] = {}
        self.late: list[str] = []
        self.started: float | None = None
        self.started_at = ""
        self.result: ExamResult | None = None
        self.saved_to: Path | None = None
        self.closed = False

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

    def start(self, progress: Notify = quiet) -> None:
        """Every scenario's environment afresh, then the clock starts.

        A start that fails, or that the exam's closing stops (the learner quit
        while the labs were coming up), brings down what it started and
        closes the exam: nothing is left running, whoever started it.
        """
        try:
            for sid, session in self.sessions.items():
                if self.closed:
                    raise LabError("the exam was closed before it started")
                progress(f"{sid}: starting the environment afresh")
                session.down()
                session.up(progress, cancelled=lambda: self.closed)
            if self.closed:
                raise LabError("the exam was closed before it started")
        except BaseException:
            if self.closed:  # closed meanwhile: what came up since then comes down too
                self._bring_down(progress)
            else:
                self.close(progress)
            raise
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

    def finish(self, progress: Notify = quiet) -> ExamResult:
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
            for tr in session.check([i.task.id for i in mine], answers):
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

    def close(self, progress: Notify = quiet) -> None:
        """Remove every environment the exam started; once (closing again does nothing)."""
        if self.closed:
            return
        self.closed = True
        self._bring_down(progress)
        self._tmp.cleanup()

    def _bring_down(self, progress: Notify) -> None:
        for sid, session in self.sessions.items():
            progress(f"{sid}: removing the environment")
            with contextlib.suppress(LabError):
                session.down()
