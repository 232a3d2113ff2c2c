"""``solve --verify``: a scenario proves that its checks can fail and that its solution passes.

For each task in order: run its checks on the environment as the previous tasks
left it and require that every check FAILS; apply the reference solution; run
them again and require that every check PASSES. The environment is created
fresh first and removed at the end; the learner's own progress is not touched.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from labtui.drivers.docker import DockerDriver
from labtui.engine.session import Session, TaskResult
from labtui.errors import EnvironmentUnavailable, LabError
from labtui.notify import Notify, quiet
from labtui.scenario.model import Scenario
from labtui.state.progress import ProgressStore


@dataclass
class TaskVerdict:
    task_id: str
    before: TaskResult | None = None
    after: TaskResult | None = None
    error: str | None = None
    skipped: str | None = None

    @property
    def failed_before(self) -> list[str]:
        """Checks that passed before the solution: they cannot catch a wrong state."""
        return [r.label for r in (self.before.results if self.before else []) if r.passed]

    @property
    def ok(self) -> bool:
        """Proven: failed before, passed after. A skipped task is not ok (see ``settled``)."""
        return (
            self.error is None
            and self.before is not None
            and self.after is not None
            and not self.failed_before
            and self.after.passed
        )

    @property
    def settled(self) -> bool:
        """Proven, or skipped with a reason because it needs something this machine lacks."""
        return self.ok or (self.skipped is not None and self.error is None)


@dataclass
class VerifyReport:
    scenario_id: str
    tasks: list[TaskVerdict] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return (
            self.error is None
            and any(t.ok for t in self.tasks)
            and all(t.settled for t in self.tasks)
        )

    @property
    def skipped(self) -> list[TaskVerdict]:
        return [t for t in self.tasks if t.skipped is not None]


def verify(
    scenario: Scenario,
    folder: Path,
    docker: DockerDriver | None = None,
    progress: Notify = quiet,
    cluster: str | None = None,
) -> VerifyReport:
    report = VerifyReport(scenario.id)
    with tempfile.TemporaryDirectory(prefix="labtui-verify-") as tmp:
        store = ProgressStore("verify", path=Path(tmp) / "progress.json")
        session = Session(scenario, folder, store=store, docker=docker, cluster=cluster)
        try:
            progress("resetting the environment")
            session.down()
            session.up(progress)
            for task in scenario.tasks:
                verdict = TaskVerdict(task.id)
                report.tasks.append(verdict)
                missing = session.task_missing(task.id)
                if missing:
                    verdict.skipped = "; ".join(missing)
                    progress(f"{task.id}: skipped ({verdict.skipped})")
                    continue
                progress(f"{task.id}: checks before the solution")
                verdict.before = session.check(task.id)
                raise_if_unavailable(verdict.before)
                if task.solution is None:
                    verdict.error = "no reference solution"
                    break
                progress(f"{task.id}: applying the solution")
                try:
                    session.apply_solution(task.id, progress)
                except EnvironmentUnavailable:
                    raise
                except LabError as exc:
                    verdict.error = str(exc)
                    break
                progress(f"{task.id}: checks after the solution")
                verdict.after = session.check(task.id)
                raise_if_unavailable(verdict.after)
        finally:
            progress("removing the environment")
            try:
                session.down()
            except LabError as exc:
                report.error = f"down failed: {exc}"
    return report


def raise_if_unavailable(result: TaskResult) -> None:
    """A check cut short by a missing engine proves nothing: stop with exit code 3."""
    for r in result.results:
        if r.unavailable:
            raise EnvironmentUnavailable(r.message, r.hint or "")
