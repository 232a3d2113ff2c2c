"""What every ``labtui`` verb shares: exit codes, error reporting, pass/fail marks.

Kept apart from ``labtui.cli`` so the verbs that live in their own modules
(netpol, pki, cluster, classroom) use the same handling without importing the
whole command line.
"""

from __future__ import annotations

from typing import Any

import click

from labtui.errors import LabError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3
EXIT_INTERRUPTED = 130


def err(message: str) -> None:
    click.echo(message, err=True)


def report_error(exc: LabError) -> None:
    """One readable message on stderr (none when the verb already said it), and what to do."""
    if exc.message:
        err(click.style("error: ", fg="red", bold=True) + exc.message)
    if exc.hint:
        err(f"  what to do: {exc.hint}")


class LabGroup(click.Group):
    """A group whose verbs end by raising: the one place a LabError becomes its exit code.

    ``labtui`` and every sub-group (``netpol``, ``pki``, ``cluster``) use it, so a
    sub-group run on its own (a benchmark, a test) ends the same way.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LabError as exc:
            report_error(exc)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            err("interrupted")
            ctx.exit(EXIT_INTERRUPTED)


def mark(passed: bool) -> str:
    return click.style("✓", fg="green") if passed else click.style("✗", fg="red")
