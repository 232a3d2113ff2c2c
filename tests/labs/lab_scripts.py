"""What the lab tests share: every shell script a scenario runs."""

from __future__ import annotations

from labtui.scenario.model import Scenario, Step


def shell_scripts(sc: Scenario) -> list[tuple[str, str]]:
    """Every ``sh -c`` script of the lab's checks, solutions and computed answers."""
    found: list[tuple[str, str]] = []

    def add(where: str, argv: list[str] | None) -> None:
        if argv and argv[:2] == ["sh", "-c"]:
            found.append((where, argv[2]))

    for task in sc.tasks:
        for i, check in enumerate(task.checks):
            add(f"{task.id} check {i}", getattr(check, "command", None))
        if task.solution is None:
            continue
        for i, step in enumerate(task.solution.run):
            add(f"{task.id} step {i}", step.command if isinstance(step, Step) else step)
        answer = task.solution.answer
        if answer is not None and not isinstance(answer, str):
            add(f"{task.id} answer", answer.command)
    return found
