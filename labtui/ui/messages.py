"""Messages workers post back to the UI thread (``post_message`` is thread-safe)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from labtui.checks import CheckResult
    from labtui.engine.handoff import Handoff
    from labtui.engine.session import TaskResult
    from labtui.netpol.matrix import Matrix
    from labtui.ui.screens.lab_view import LabState


class CheckProgress(Message):
    """One check of a running task finished."""

    def __init__(self, task_id: str, index: int, result: CheckResult) -> None:
        super().__init__()
        self.task_id = task_id
        self.index = index
        self.result = result


class WorkProgress(Message):
    """A running job says what it is doing now (``up`` creating a container, ...)."""

    def __init__(self, job: str, text: str) -> None:
        super().__init__()
        self.job = job
        self.text = text

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, WorkProgress) and message.job == self.job


# What each lab job ended with. Workers post these from their thread; a job that
# fails posts nothing and its error arrives once, as ``JobFailed``.


@dataclass
class LabRead(Message):
    """The lab's state read again (on opening, after a hint, a solution, a failed job)."""

    state: LabState


@dataclass
class EnvironmentStarted(Message):
    """``up`` finished; ``then`` is what the learner asked for that needed the environment."""

    state: LabState
    then: Callable[[], object] | None = None


@dataclass
class LabWasReset(Message):
    """The environment was recreated and the lab's progress cleared."""

    state: LabState


@dataclass
class TaskChecked(Message):
    """A task's checks ran (by the learner, or after applying the reference solution)."""

    result: TaskResult
    state: LabState
    newly_completed: bool


@dataclass
class ShellReady(Message):
    """The lab shell's files are written: the terminal can be handed over."""

    handoff: Handoff


@dataclass
class MatrixComputed(Message):
    """The network lab's reachability matrix, from the policies in the lab directory."""

    matrix: Matrix


@dataclass
class JobFailed(Message):
    """A lab job raised; ``doing`` says what it was doing, in the learner's words."""

    job: str
    doing: str
    error: BaseException | None


@dataclass
class PackTrusted(Message):
    """The learner said yes to a pack's commands and that is recorded; ``then`` was asked for."""

    then: Callable[[], object] | None = None
