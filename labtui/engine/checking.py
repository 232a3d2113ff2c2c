"""Checking tasks: every check of every task asked for runs at once, and each task is recorded.

A single task is a batch of one. A task that needs a tool this machine lacks is
not run: its result says why, and it is not counted. An answer (data only) is
stored and compared, never executed; without one given now, the last answer the
learner submitted is checked again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from labtui.checks import CheckContext, CheckResult
from labtui.engine.runner import run_checks_with_contexts
from labtui.scenario.model import Scenario, Task
from labtui.state.progress import ProgressStore, ScenarioProgress, TaskProgress, now

MAX_STORED_ANSWER = 65_536

OnResult = Callable[[int, CheckResult], None]


@dataclass(frozen=True)
class TaskResult:
    task_id: str
    results: list[CheckResult]

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def unavailable(self) -> bool:
        return any(r.unavailable for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.task_id,
            "passed": self.passed,
            "checks": [r.to_dict() for r in self.results],
        }


class Lab(Protocol):
    """What checking needs from a session."""

    @property
    def scenario(self) -> Scenario: ...

    @property
    def store(self) -> ProgressStore: ...

    @property
    def available_task_ids(self) -> list[str]: ...

    def task(self, task_id: str) -> Task: ...

    def task_missing(self, task_id: str) -> list[str]: ...

    def context(self, task: Task, answer: str | None = None) -> CheckContext: ...


def unavailable(lab: Lab, task: Task) -> TaskResult | None:
    """The result of a task that cannot run here, or None when it can."""
    reasons = lab.task_missing(task.id)
    if not reasons:
        return None
    why = "; ".join(reasons)
    return TaskResult(
        task.id, [CheckResult("requires", "not available here", False, why, unavailable=True)]
    )


def answer_for(task: Task, given: str | None, stored: dict[str, TaskProgress]) -> str | None:
    """The answer to check: the one given now, else the last one the learner submitted."""
    if given is not None or not task.needs_answer or task.id not in stored:
        return given
    return stored[task.id].answer


def check_tasks(
    lab: Lab,
    task_ids: list[str],
    answers: Mapping[str, str],
    record: bool = True,
    on_result: OnResult | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[TaskResult]:
    """Run the tasks' checks concurrently; ``on_result`` gets each check's index among those run."""
    tasks = [lab.task(t) for t in task_ids]
    stored = lab.store.get(lab.scenario.id).tasks
    batch = [
        (task, answer_for(task, answers.get(task.id), stored))
        for task in tasks
        if not lab.task_missing(task.id)
    ]
    jobs = [
        (ctx, check)
        for ctx, task in ((lab.context(task, answer), task) for task, answer in batch)
        for check in task.checks
    ]
    flat = run_checks_with_contexts(jobs, on_result, cancelled)
    done: dict[str, TaskResult] = {}
    outcomes: list[tuple[Task, TaskResult, str | None]] = []
    for task, answer in batch:
        result = TaskResult(task.id, flat[: len(task.checks)])
        flat = flat[len(task.checks) :]
        outcomes.append((task, result, answer))
        done[task.id] = result
    if record:
        record_outcomes(lab, outcomes)
    return [done.get(t.id) or unavailable(lab, t) or TaskResult(t.id, []) for t in tasks]


def record_outcomes(lab: Lab, outcomes: list[tuple[Task, TaskResult, str | None]]) -> None:
    """One progress write for a batch; results cut short by an unavailable engine are not counted."""
    counted = [o for o in outcomes if not o[1].unavailable]
    if not counted:
        return
    task_ids = lab.available_task_ids

    def change(sp: ScenarioProgress) -> None:
        for task, result, answer in counted:
            tp = sp.task(task.id)
            tp.attempts += 1
            if task.needs_answer and answer is not None:
                tp.answer = answer if len(answer) <= MAX_STORED_ANSWER else None
            if result.passed and not tp.passed:
                tp.passed_at = now()
            tp.passed = result.passed
        if sp.completed_at is None and sp.passed_count(task_ids) == len(task_ids):
            sp.completed_at = now()

    lab.store.update(lab.scenario.id, change)
