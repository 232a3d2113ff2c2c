"""What every check kind shares: its context, its result, and the registry of kinds."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from labtui.drivers.docker import DockerDriver
from labtui.scenario.model import OutputExpectations, Scenario, Task, ValueSource
from labtui.scenario.templates import TemplateContext


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict; ``expected``/``actual`` say why it failed."""

    kind: str
    label: str
    passed: bool
    message: str
    expected: str | None = None
    actual: str | None = None
    duration: float = 0.0
    timed_out: bool = False
    unavailable: bool = False
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "passed": self.passed,
            "message": self.message,
            "expected": self.expected,
            "actual": self.actual,
            "duration": round(self.duration, 4),
            "timed_out": self.timed_out,
            "unavailable": self.unavailable,
            "hint": self.hint,
        }


@dataclass(frozen=True)
class Outcome:
    """What a check function returns; the runner adds kind, label and timing."""

    passed: bool
    message: str
    expected: str | None = None
    actual: str | None = None
    timed_out: bool = False


@dataclass
class CheckContext:
    scenario: Scenario
    task: Task
    templates: TemplateContext
    docker: DockerDriver
    lab_dir: Path
    answer: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)


CheckFn = Callable[[Any, CheckContext], Outcome]
REGISTRY: dict[str, CheckFn] = {}
F = TypeVar("F", bound=CheckFn)


def register(kind: str) -> Callable[[F], F]:
    def deco(fn: F) -> F:
        REGISTRY[kind] = fn
        return fn

    return deco


def short(value: Any, limit: int = 400) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = text.rstrip("\n")
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


def lookup_path(data: Any, path: str) -> tuple[bool, Any]:
    """Follow a dotted path (``HostConfig.CapDrop.0``) through dicts and lists: (found, value)."""
    node = data
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif (
            isinstance(node, list)
            and part.lstrip("-").isdigit()
            and -len(node) <= int(part) < len(node)
        ):
            node = node[int(part)]
        else:
            return False, None
    return True, node


def as_list(value: list[str] | str | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def check_output(
    spec: OutputExpectations, ctx: CheckContext, exit_code: int | None, stdout: str, stderr: str
) -> Outcome:
    """Shared by ``command`` and ``exec``: the first expectation that fails explains the verdict."""
    render = ctx.templates.render
    if spec.exit_code is not None and exit_code != spec.exit_code:
        detail = short(stderr or stdout) if (stderr or stdout) else "no output"
        return Outcome(
            False,
            f"exit code {exit_code}, expected {spec.exit_code}: {detail}",
            str(spec.exit_code),
            str(exit_code),
        )
    if spec.stdout_equals is not None:
        want = render(spec.stdout_equals)
        if stdout.strip() != want.strip():
            return Outcome(False, "output differs", short(want), short(stdout))
    for needle in as_list(spec.stdout_contains):
        want = render(needle)
        if want not in stdout:
            return Outcome(
                False, f"output does not contain {want!r}", f"contains {want!r}", short(stdout)
            )
    for needle in as_list(spec.stdout_not_contains):
        want = render(needle)
        if want in stdout:
            return Outcome(False, f"output still contains {want!r}", f"no {want!r}", short(stdout))
    if spec.stdout_matches is not None:
        pattern = render(spec.stdout_matches)
        if not re.search(pattern, stdout, re.MULTILINE):
            return Outcome(
                False, f"output does not match /{pattern}/", f"/{pattern}/", short(stdout)
            )
    if spec.stderr_contains is not None:
        want = render(spec.stderr_contains)
        if want not in stderr:
            return Outcome(
                False, f"errors do not contain {want!r}", f"contains {want!r}", short(stderr)
            )
    return Outcome(True, "output as expected", actual=short(stdout) if stdout else None)


class ValueUnavailable(Exception):
    """A computed value could not be obtained (container gone, command failed)."""


def resolve_value(source: ValueSource | str, ctx: CheckContext) -> str:
    """Compute a value from the environment: template, host command, exec, or inspect field."""
    from labtui.drivers import shell

    if isinstance(source, str):
        return ctx.templates.render(source)
    if source.value is not None:
        text = ctx.templates.render(source.value)
    elif source.certificate is not None:
        from labtui.checks.certificate import certificate_value

        text = certificate_value(source, ctx)
    elif source.container is not None and source.field is not None:
        name = ctx.templates.render(source.container)
        attrs = ctx.docker.inspect(name)
        if attrs is None:
            raise ValueUnavailable(f"container {name} does not exist")
        found, value = lookup_path(attrs, source.field)
        if not found:
            raise ValueUnavailable(f"container {name} has no field {source.field}")
        text = value if isinstance(value, str) else str(value)
    elif source.container is not None and source.command is not None:
        name = ctx.templates.render(source.container)
        if ctx.docker.inspect(name) is None:
            raise ValueUnavailable(f"container {name} does not exist")
        result = ctx.docker.exec(name, ctx.templates.render_argv(source.command))
        if result.exit_code != 0:
            raise ValueUnavailable(
                f"`{' '.join(source.command)}` in {name} exited {result.exit_code}"
            )
        text = result.stdout
    else:
        assert source.command is not None
        res = shell.run(ctx.templates.render_argv(source.command), cwd=ctx.lab_dir, env=ctx.env)
        if not res.ok:
            raise ValueUnavailable(f"`{' '.join(source.command)}` failed: {short(res.stderr)}")
        text = res.stdout
    if source.extract is not None:
        match = re.search(source.extract, text, re.MULTILINE)
        if not match:
            raise ValueUnavailable(f"nothing in the output matches /{source.extract}/")
        text = match.group(1) if match.groups() else match.group(0)
    return text.strip()
