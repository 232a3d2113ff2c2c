"""The labs proving themselves on the real engine; shared words for what did not."""

from __future__ import annotations

from labtui.engine.verify import VerifyReport


def unproven(report: VerifyReport, strict: bool = False) -> list[str]:
    """Tasks of a ``solve --verify`` report that did not prove themselves, one line each.

    By default a task skipped for a missing tool is settled; ``strict`` counts it too.
    """
    return [
        f"{t.task_id}: error={t.error} skipped={t.skipped} failed-before={t.failed_before} "
        f"after={[r.message for r in (t.after.results if t.after else []) if not r.passed]}"
        for t in report.tasks
        if not (t.ok if strict else t.settled)
    ]
