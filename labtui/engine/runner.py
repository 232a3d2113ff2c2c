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

from labtui.checks import CheckContext, CheckResult, implementation, label
from labtui.checks.base import Outcome
from labtui.errors import EnvironmentUnavailable, LabError
from labtui.scenario.templates import TemplateError
from labtui.state.log import internal_error

MAX_PARALLEL = 8
TICK = 0.05


def run_one(check: Any, ctx: CheckContext) -> CheckResult:
    """Run one check in this thread; every error becomes a failed result."""
    name = label(check)
    start = time.monotonic()
    unavailable = False
    hint = None
    try:
        fn = implementation(check.kind)
    except KeyError:
        fn = None
    if fn is None:
        outcome = Outcome(False, f"unknown check kind {check.kind!r}")
    else:
        try:
            outcome = fn(check, ctx)
        except EnvironmentUnavailable as exc:
            outcome, unavailable, hint = Outcome(False, exc.message), True, exc.hint or None
        except TemplateError as exc:
            outcome = Outcome(False, f"scenario error: {exc}")
        except LabError as exc:
            outcome = Outcome(False, str(exc))
        except Exception as exc:  # a bug in a check kind must not take the app down
            where = internal_error(f"internal error in {check.kind} check {name!r}")
            outcome = Outcome(
                False,
                f"internal error in {check.kind} check: {type(exc).__name__}: {exc} "
                f"(traceback in {where})",
            )
    return CheckResult(
        kind=check.kind,
        label=name,
        passed=outcome.passed,
        message=outcome.message,
        expected=outcome.expected,
        actual=outcome.actual,
        duration=time.monotonic() - start,
        timed_out=outcome.timed_out,
        unavailable=unavailable,
        hint=hint,
    )


def run_checks(
    checks: Sequence[Any],
    ctx: CheckContext,
    on_result: Callable[[int, CheckResult], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[CheckResult]:
    """Run ``checks`` concurrently in one context; results come back in the order of ``checks``."""
    return run_checks_with_contexts([(ctx, c) for c in checks], on_result, cancelled)


def run_checks_with_contexts(
    jobs: Sequence[tuple[CheckContext, Any]],
    on_result: Callable[[int, CheckResult], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[CheckResult]:
    """Run (context, check) pairs concurrently, each cut at its own timeout."""
    n = len(jobs)
    results: list[CheckResult | None] = [None] * n
    started: list[float | None] = [None] * n
    slots = threading.Semaphore(MAX_PARALLEL)
    changed = threading.Condition()

    def settle(i: int, result: CheckResult) -> None:
        with changed:
            if results[i] is not None:
                return
            results[i] = result
            changed.notify_all()
        if on_result:
            on_result(i, result)

    def work(i: int) -> None:
        with slots:
            if results[i] is not None:
                return
            started[i] = time.monotonic()
            ctx, check = jobs[i]
            settle(i, run_one(check, ctx))

    for i in range(n):
        threading.Thread(target=work, args=(i,), daemon=True, name=f"check-{i}").start()
    while True:
        with changed:
            pending = [i for i in range(n) if results[i] is None]
            if not pending:
                break
            changed.wait(TICK)
        now = time.monotonic()
        for i in pending:
            begun = started[i]
            ctx, check = jobs[i]
            if cancelled is not None and cancelled():
                settle(i, CheckResult(check.kind, label(check), False, "cancelled"))
            elif begun is not None and now - begun > limit(check, ctx):
                settle(i, timed_out(check, now - begun, limit(check, ctx)))
    return [r for r in results if r is not None]


# Probing flows on a cluster starts pods and waits for the enforcer: minutes, not seconds.
CLUSTER_PROBE_TIMEOUT = 600.0


def limit(check: Any, ctx: Any) -> float:
    """The check's time limit: its own, or more for a reachability check probing a cluster."""
    if check.kind == "reachability" and getattr(ctx, "cluster", None) is not None:
        return max(float(check.timeout), CLUSTER_PROBE_TIMEOUT)
    return float(check.timeout)


def timed_out(check: Any, waited: float, seconds: float | None = None) -> CheckResult:
    seconds = check.timeout if seconds is None else seconds
    return CheckResult(
        check.kind,
        label(check),
        False,
        f"did not finish within its timeout of {seconds:g}s",
        expected=f"done within {seconds:g}s",
        actual="timed out",
        duration=waited,
        timed_out=True,
    )
