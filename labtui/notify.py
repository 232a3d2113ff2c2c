"""``Notify``: how long work (``up``, ``down``, building a cluster) tells what it is doing.

One line at a time, in the learner's words ("building image web"); the CLI
prints it, the app shows it in the lab screen.
"""

from __future__ import annotations

from collections.abc import Callable

Notify = Callable[[str], None]


def quiet(_: str) -> None:
    """A ``Notify`` that says nothing."""
    return None
