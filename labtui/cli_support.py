"""What every ``labtui`` verb shares: exit codes, error reporting, pass/fail marks.

Kept apart from ``labtui.cli`` so the verbs that live in their own modules
(netpol, pki, cluster, classroom) use the same handling without importing the
whole command line.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from labtui.errors import LabError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3

F = TypeVar("F", bound=Callable[..., Any])


def err(message: str) -> None:
    click.echo(message, err=True)


def handle_errors(fn: F) -> F:
    """LabErrors become one readable message on stderr and their exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except LabError as exc:
            err(click.style("error: ", fg="red", bold=True) + exc.message)
            if exc.hint:
                err(f"  what to do: {exc.hint}")
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            err("interrupted")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def mark(passed: bool) -> str:
    return click.style("✓", fg="green") if passed else click.style("✗", fg="red")
