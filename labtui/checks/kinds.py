"""The built-in check kinds. Each is a function from its model and a context to an Outcome."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from labtui.checks.base import (
    CheckContext,
    Outcome,
    ValueUnavailable,
    check_output,
    lookup_path,
    node_argv,
    register,
    short,
)
from labtui.checks.values import resolve_value
from labtui.drivers import shell
from labtui.scenario.model import (
    AnswerCheck,
    CommandCheck,
    ContainerCheck,
    ExecCheck,
    FileCheck,
    Normalize,
)


@register("command")
def command_check(check: CommandCheck, ctx: CheckContext) -> Outcome:
    argv = ctx.templates.render_argv(check.command)
    return _run_here(check, ctx, argv)


def _run_here(check: CommandCheck | ExecCheck, ctx: CheckContext, argv: list[str]) -> Outcome:
    """Run ``argv`` on this machine in the lab directory and test its exit code and output."""
    res = shell.run(argv, timeout=check.timeout, cwd=ctx.lab_dir, env=ctx.env)
    if res.not_found:
        return Outcome(False, res.stderr, "the command runs", "not found")
    if res.timed_out:
        return Outcome(
            False,
            f"did not finish within its timeout of {check.timeout:g}s",
            f"done within {check.timeout:g}s",
            "timed out",
            timed_out=True,
        )
    return check_output(check, ctx, res.exit_code, res.stdout, res.stderr)


@register("exec")
def exec_check(check: ExecCheck, ctx: CheckContext) -> Outcome:
    if check.node is not None:
        # On the lab cluster's node: docker exec on kind, this machine on a kubeadm node.
        return _run_here(
            check, ctx, node_argv(ctx, check.node, ctx.templates.render_argv(check.command))
        )
    assert check.container is not None
    name = ctx.templates.render(check.container)
    attrs = ctx.docker.inspect(name)
    if attrs is None:
        return Outcome(
            False, f"container {name} does not exist", f"{name} running", "no such container"
        )
    if not attrs.get("State", {}).get("Running"):
        status = attrs.get("State", {}).get("Status", "not running")
        return Outcome(False, f"container {name} is {status}", f"{name} running", status)
    res = ctx.docker.exec(name, ctx.templates.render_argv(check.command), user=check.user)
    return check_output(check, ctx, res.exit_code, res.stdout, res.stderr)


def _display(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _equal(actual: Any, want: Any) -> bool:
    if actual == want:
        return True
    # Inspect fields like Cmd are lists; let YAML `equals: "sleep 1d"` compare to ["sleep", "1d"].
    if isinstance(actual, list) and isinstance(want, str):
        return " ".join(str(a) for a in actual) == want
    return str(actual) == str(want) if isinstance(actual, int | float | bool) else False


def _contains(actual: Any, want: Any) -> bool:
    if isinstance(actual, list):
        return any(_equal(item, want) for item in actual)
    if isinstance(actual, dict):
        return want in actual
    return str(want) in str(actual if actual is not None else "")


@register("container")
def container_check(check: ContainerCheck, ctx: CheckContext) -> Outcome:
    name = ctx.templates.render(check.name)
    attrs = ctx.docker.inspect(name)
    if check.absent:
        if attrs is None:
            return Outcome(True, f"no container named {name}")
        return Outcome(
            False, f"container {name} still exists", "absent", attrs.get("State", {}).get("Status")
        )
    if attrs is None:
        return Outcome(
            False, f"container {name} does not exist", f"container {name}", "no such container"
        )
    state = attrs.get("State", {})
    if check.running is not None and bool(state.get("Running")) != check.running:
        want = "running" if check.running else "not running"
        return Outcome(
            False,
            f"container {name} is {state.get('Status', 'unknown')}",
            want,
            state.get("Status", "unknown"),
        )
    if not check.field:
        return Outcome(True, f"container {name} is {state.get('Status', 'present')}")
    found, value = lookup_path(attrs, check.field)
    return field_outcome(check, ctx, f"{name} {check.field}", found, value)


def field_outcome(check: Any, ctx: CheckContext, path: str, found: bool, value: Any) -> Outcome:
    """The field tests shared by inspect-style checks: exists, equals, not_equals, contains, matches."""
    shown = _display(value) if found else "(no such field)"
    if check.exists is not None:
        present = found and value not in (None, "", [], {})
        if present != check.exists:
            want = "set" if check.exists else "empty"
            return Outcome(False, f"{path} is {'set' if present else 'empty'}", want, shown)
    render = ctx.templates.render_any
    if check.equals is not None:
        want = render(check.equals)
        if not found or not _equal(value, want):
            return Outcome(False, f"{path} is {short(shown, 120)}", _display(want), shown)
    if check.not_equals is not None:
        want = render(check.not_equals)
        if found and _equal(value, want):
            return Outcome(
                False, f"{path} is still {short(shown, 120)}", f"not {_display(want)}", shown
            )
    if check.contains is not None:
        want = render(check.contains)
        if not found or not _contains(value, want):
            return Outcome(
                False,
                f"{path} does not contain {_display(want)}",
                f"contains {_display(want)}",
                shown,
            )
    if check.matches is not None:
        pattern = ctx.templates.render(check.matches)
        if not found or not re.search(pattern, _display(value)):
            return Outcome(False, f"{path} does not match /{pattern}/", f"/{pattern}/", shown)
    return Outcome(True, f"{path} is {short(shown, 120)}", actual=shown)


@register("file")
def file_check(check: FileCheck, ctx: CheckContext) -> Outcome:
    raw = Path(ctx.templates.render(check.path)).expanduser()
    path = raw if raw.is_absolute() else ctx.lab_dir / raw
    shown = str(raw)
    if not path.exists():
        if not check.exists:
            return Outcome(True, f"{shown} does not exist")
        return Outcome(False, f"{shown} does not exist", "exists", "missing")
    if not check.exists:
        return Outcome(False, f"{shown} still exists", "absent", "exists")
    if check.contains is None and check.matches is None and check.yaml_path is None:
        return Outcome(True, f"{shown} exists")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return Outcome(False, f"cannot read {shown}: {exc.strerror}", "readable", "unreadable")
    if check.contains is not None:
        want = ctx.templates.render(check.contains)
        if want not in text:
            return Outcome(
                False, f"{shown} does not contain {want!r}", f"contains {want!r}", short(text)
            )
    if check.matches is not None:
        pattern = ctx.templates.render(check.matches)
        if not re.search(pattern, text, re.MULTILINE):
            return Outcome(
                False, f"{shown} does not match /{pattern}/", f"/{pattern}/", short(text)
            )
    if check.yaml_path is not None:
        from labtui.scenario.loader import parse_text

        data, _, problems = parse_text(text, shown)
        if data is None or problems:
            first = str(problems[0]) if problems else "empty document"
            return Outcome(False, f"{shown} is not valid YAML", "valid YAML", first)
        found, value = lookup_path(data, check.yaml_path)
        if not found:
            return Outcome(False, f"{shown} has no {check.yaml_path}", check.yaml_path, "missing")
        if check.equals is not None:
            want = ctx.templates.render_any(check.equals)
            if not _equal(value, want):
                return Outcome(
                    False,
                    f"{check.yaml_path} is {_display(value)}",
                    _display(want),
                    _display(value),
                )
    return Outcome(True, f"{shown} as expected")


def normalize(text: str, steps: list[Normalize]) -> str:
    for step in steps:
        if step is Normalize.STRIP:
            text = text.strip().strip("\"'`").strip()
        elif step is Normalize.CASEFOLD:
            text = text.casefold()
        elif step is Normalize.COLLAPSE_SPACES:
            text = " ".join(text.split())
    return text


def _as_number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "").replace("_", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@register("answer")
def answer_check(check: AnswerCheck, ctx: CheckContext) -> Outcome:
    if ctx.answer is None or not ctx.answer.strip():
        return Outcome(
            False,
            "no answer given yet (press a, or `labtui check ID --answer TEXT`)",
            "an answer",
            "none",
        )
    given = normalize(ctx.answer, check.normalize)
    try:
        expected = normalize(resolve_value(check.expected, ctx), check.normalize)
    except ValueUnavailable as exc:
        return Outcome(
            False, f"cannot compute the expected answer: {exc}", "a computed value", "unavailable"
        )
    shown = short(ctx.answer, 80)
    if check.items is not None:
        return _answer_items(check, given, expected, shown)
    if check.accept_regex:
        ok = re.fullmatch(expected, given) is not None
    elif Normalize.NUMBER in check.normalize:
        a, b = _as_number(given), _as_number(expected)
        ok = a is not None and b is not None and a == b
    else:
        ok = given == expected
    if ok:
        return Outcome(True, f"{shown!r} is right", expected, shown)
    for wrong in check.wrong_answers:
        try:
            value = normalize(resolve_value(wrong.value, ctx), check.normalize)
        except ValueUnavailable:
            continue
        if value and value != expected and value == given:
            return Outcome(
                False,
                ctx.templates.render(wrong.message, strict=False),
                "(hidden until solved)",
                shown,
            )
    return Outcome(False, f"{shown!r} is not the answer", "(hidden until solved)", shown)


def _answer_items(check: AnswerCheck, given: str, expected: str, shown: str) -> Outcome:
    """A list answer: enough distinct items, each one of the expected values."""
    allowed = {v.strip() for v in expected.split(",") if v.strip()}
    items = list(dict.fromkeys(i for i in re.split(r"[,\s]+", given) if i))
    stray = [i for i in items if i not in allowed]
    if stray:
        return Outcome(False, f"{stray[0]!r} is not one of them", "(hidden until solved)", shown)
    need = check.items or 1
    if len(items) < need:
        return Outcome(False, f"{len(items)} right, {need} needed", f"{need} items", shown)
    return Outcome(True, f"{shown!r} is right", f"{need} of: {', '.join(sorted(allowed))}", shown)
