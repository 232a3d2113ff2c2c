"""Errors a learner or instructor sees: each says what happened and what to do.

Every ``labtui`` verb ends through these: a verb raises, and one place
(``labtui.cli_support.LabGroup``) prints the message and exits with the
error's code. Exit codes are a stable interface: 1 checks failed or invalid
input, 3 environment unavailable (2, a usage error, is click's).
"""

from __future__ import annotations


class LabError(Exception):
    """Something the user can act on; ``hint`` says how."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}: {self.hint}" if self.hint else self.message


class EnvironmentUnavailable(LabError):
    """Docker down, kind missing, an image that cannot be had: exit code 3."""

    exit_code = 3


class InvalidInput(LabError):
    """A broken scenario, an unknown task id, a bad argument: exit code 1."""

    exit_code = 1


class ChecksFailed(LabError):
    """Checks ran and did not all pass (the verb already said which): exit code 1.

    The message is optional: a verb that printed its results has nothing to add.
    """

    exit_code = 1

    def __init__(self, message: str = "", hint: str = "") -> None:
        super().__init__(message, hint)
