"""Run checks concurrently, each cut at its own timeout.

Each check runs in a daemon thread so a check that never returns (a hung exec,
an engine that stopped answering) cannot hold up the others or the process
exit. At most ``MAX_PARALLEL`` run at once; a check's clock starts when it
starts, not while it waits for a slot.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from labtui.checks import REGISTRY, CheckContext, CheckResult, label
from labtui.checks.base import Outcome
from labtui.errors import EnvironmentUnavailable, LabError
from labtui.scenario.templates import TemplateError

MAX_PARALLEL = 8
POLL = 0.01


def run_one(check: Any, ctx: CheckContext) -> CheckResult:
    """Run one check in this thread; every error becomes a failed result."""
    name = label(check)
    start = time.monotonic()
    unavailable = False
    try:
        fn = REGISTRY[check.kind]
        outcome = fn(check, ctx)
    except EnvironmentUnavailable as exc:
        outcome, unavailable = Outcome(False, str(exc)), True
    except TemplateError as exc:
        outcome = Outcome(False, f"scenario error: {exc}")
    except LabError as exc:
        outcome = Outcome(False, str(exc))
    except KeyError as exc:
        outcome = Outcome(False, f"unknown check kind {exc}")
    except Exception as exc:  # a bug in a check kind must not take the app down
        outcome = Outcome(False, f"internal error in {check.kind} check: {type(exc).__name__}: {exc}")
    return CheckResult(
        kind=check.kind,
        label=name,
        passed=outcome.passed,
        message=outcome.message,
        expected=outcome.expected,
        actual=outcome.actual,
        duration=time.monotonic() - start,
        unavailable=unavailable,
    )


def run_checks(
    checks: Sequence[Any],
    ctx: CheckContext,
    on_result: Callable[[int, CheckResult], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[CheckResult]:
    """Run ``checks`` concurrently; results come back in the order of ``checks``."""
    n = len(checks)
    results: list[CheckResult | None] = [None] * n
    started: list[float | None] = [None] * n
    slots = threading.Semaphore(MAX_PARALLEL)
    lock = threading.Lock()

    def settle(i: int, result: CheckResult) -> None:
        with lock:
            if results[i] is not None:
                return
            results[i] = result
        if on_result:
            on_result(i, result)

    def work(i: int) -> None:
        with slots:
            if results[i] is not None:
                return
            started[i] = time.monotonic()
            settle(i, run_one(checks[i], ctx))

    threads = [threading.Thread(target=work, args=(i,), daemon=True, name=f"check-{i}") for i in range(n)]
    for t in threads:
        t.start()
    while True:
        pending = [i for i in range(n) if results[i] is None]
        if not pending:
            break
        now = time.monotonic()
        for i in pending:
            begun = started[i]
            check = checks[i]
            if cancelled is not None and cancelled():
                settle(i, CheckResult(check.kind, label(check), False, "cancelled"))
            elif begun is not None and now - begun > check.timeout:
                settle(i, CheckResult(
                    check.kind,
                    label(check),
                    False,
                    f"did not finish within its timeout of {check.timeout:g}s",
                    expected=f"done within {check.timeout:g}s",
                    actual="timed out",
                    duration=now - begun,
                    timed_out=True,
                ))
        time.sleep(POLL)
    return [r for r in results if r is not None]
