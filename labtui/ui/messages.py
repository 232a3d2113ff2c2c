"""Messages workers post back to the UI thread (``post_message`` is thread-safe)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from labtui.checks import CheckResult


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
