"""Hints and reference solutions: revealed one at a time, counted in the learner's progress."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from labtui.checks import CheckContext
from labtui.checks.base import ValueUnavailable, node_argv
from labtui.checks.values import resolve_value
from labtui.drivers import shell
from labtui.engine.lab_dir import write_files
from labtui.errors import EnvironmentUnavailable, InvalidInput, LabError
from labtui.notify import Notify
from labtui.scenario.model import Scenario, Solution, Step, Task
from labtui.scenario.templates import TemplateContext
from labtui.state.progress import ProgressStore, ScenarioProgress

SOLUTION_TIMEOUT = 120.0


class Lab(Protocol):
    """What hints and solutions need from a session."""

    @property
    def scenario(self) -> Scenario: ...

    @property
    def store(self) -> ProgressStore: ...

    @property
    def lab_dir(self) -> Path: ...

    @property
    def templates(self) -> TemplateContext: ...

    @property
    def env(self) -> Mapping[str, str]: ...

    def task(self, task_id: str) -> Task: ...

    def render(self, text: str) -> str: ...

    def context(self, task: Task, answer: str | None = None) -> CheckContext: ...


def next_hint(lab: Lab, task_id: str) -> list[str]:
    """Reveal one more hint (counted in progress); returns every hint revealed so far."""
    task = lab.task(task_id)

    def change(sp: ScenarioProgress) -> int:
        tp = sp.task(task_id)
        tp.hints_used = min(tp.hints_used + 1, len(task.hints))
        return tp.hints_used

    shown = lab.store.update(lab.scenario.id, change) if task.hints else 0
    return [lab.render(h) for h in task.hints[:shown]]


def hints_shown(lab: Lab, task_id: str) -> list[str]:
    task = lab.task(task_id)
    used = lab.store.get(lab.scenario.id).tasks.get(task_id)
    return [lab.render(h) for h in task.hints[: used.hints_used if used else 0]]


def solution_of(task: Task) -> Solution:
    if task.solution is None:
        raise InvalidInput(f"task {task.id} has no reference solution")
    return task.solution


def reveal_solution(lab: Lab, task_id: str) -> Solution:
    solution = solution_of(lab.task(task_id))

    def change(sp: ScenarioProgress) -> None:
        sp.task(task_id).solution_revealed = True

    lab.store.update(lab.scenario.id, change)
    return solution


def _step_argv(lab: Lab, task: Task, step: list[str] | Step) -> tuple[list[str], float]:
    """A solution step as a command on this machine, and its time limit."""
    if isinstance(step, list):
        return lab.templates.render_argv(step), SOLUTION_TIMEOUT
    argv = lab.templates.render_argv(step.command)
    if step.node is not None:
        argv = node_argv(lab.context(task), step.node, argv)
    return argv, step.timeout or SOLUTION_TIMEOUT


def _undo(lab: Lab, task: Task, step: Step, undo: list[str], notify: Notify | None) -> str:
    """Run a failed step's ``undo``; says what happened, for the error's hint."""
    argv, _ = _step_argv(lab, task, Step(command=undo, node=step.node))
    if notify is not None:
        notify(f"{task.id}: undoing the failed step: {shlex.join(argv)}")
    res = shell.run(argv, timeout=SOLUTION_TIMEOUT, cwd=lab.lab_dir, env=lab.env)
    if res.ok:
        return f"undone with `{shlex.join(argv)}`"
    return f"`{shlex.join(argv)}` did not undo it either (exit {res.exit_code}): clean up by hand"


def solution_steps(lab: Lab, task_id: str) -> list[str]:
    """The reference solution as the commands a learner would type."""
    task = lab.task(task_id)
    if task.solution is None:
        return []
    steps = []
    for step in task.solution.run:
        try:
            argv, _ = _step_argv(lab, task, step)
        except EnvironmentUnavailable as exc:
            steps.append(f"(unavailable here: {exc.message})")
            continue
        steps.append(" ".join(shlex.quote(a) for a in argv))
    steps += [f"write {path}" for path in task.solution.files]
    if task.solution.answer is not None:
        steps.append("answer: (computed from your environment)")
    return steps


def apply_solution(
    lab: Lab, task_id: str, notify: Notify | None = None
) -> list[shell.CommandResult]:
    """Run the reference solution; raises LabError when a step fails.

    ``notify`` hears each step before it runs (with its time limit when it has one of
    its own), so a long step is never silent.
    """
    task = lab.task(task_id)
    solution = solution_of(task)
    lab.lab_dir.mkdir(parents=True, exist_ok=True)
    write_files(lab.lab_dir, solution.files, lab.templates.render)
    done = []
    total = len(solution.run)
    for number, step in enumerate(solution.run, 1):
        rendered, timeout = _step_argv(lab, task, step)
        if notify is not None:
            limit = f" (up to {timeout:g} s)" if timeout != SOLUTION_TIMEOUT else ""
            notify(f"{task_id}: step {number}/{total}: {shlex.join(rendered)}{limit}")
        res = shell.run(rendered, timeout=timeout, cwd=lab.lab_dir, env=lab.env)
        done.append(res)
        if not res.ok:
            why = f"timed out after {timeout:g} s" if res.timed_out else f"exited {res.exit_code}"
            detail = (res.stderr or res.stdout).strip().splitlines()
            hint = detail[-1] if detail else "no output"
            if isinstance(step, Step) and step.undo is not None:
                undone = _undo(lab, task, step, step.undo, notify)
                hint += f"; {undone}"
            raise LabError(f"solution step `{' '.join(rendered)}` {why}", hint)
    if solution.answer is not None:
        try:
            value = resolve_value(solution.answer, lab.context(task))
        except ValueUnavailable as exc:
            raise LabError(f"cannot compute the answer of task {task_id}: {exc}") from exc

        def change(sp: ScenarioProgress) -> None:
            sp.task(task_id).answer = value

        lab.store.update(lab.scenario.id, change)
    return done
