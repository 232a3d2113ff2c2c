"""What every check kind shares: its context, its result, and the registry of kinds."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from labtui.drivers.docker import DockerDriver
from labtui.errors import EnvironmentUnavailable
from labtui.scenario.model import NodeRole, OutputExpectations, Scenario, Task
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


@dataclass(frozen=True)
class ClusterTarget:
    """Where a lab's Kubernetes objects live; worked out once per lab.

    A kind cluster of the lab's own (``kind_cluster``, e.g. ``labtui-audit-logging``),
    the kubeadm cluster whose control-plane node labtui runs on (``node``), or a
    namespace on an existing cluster reached through the kube context ``context``
    (``--context NAME``). Either way ``kubeconfig`` is the file in the lab directory
    that reaches it, and ``namespace`` is the lab's namespace.
    """

    kubeconfig: Path
    namespace: str
    kind_cluster: str | None = None
    context: str | None = None
    node: bool = False

    @property
    def mode(self) -> str:
        """``kind``, ``node`` or ``context``: the name ``--cluster`` and doctor use."""
        return "context" if self.context else "node" if self.node else "kind"

    def node_argv(self, role: NodeRole, argv: list[str], interactive: bool = False) -> list[str]:
        """``argv`` as a command on this machine that runs it on the node ``role``.

        kind: ``docker exec`` into the node container; a kubeadm node: ``argv`` itself
        (labtui runs on the control-plane node). Raises NodeUnavailable where there is no
        such node to reach.
        """
        if self.context:
            raise NodeUnavailable(
                f"a shared cluster (--context {self.context}) gives no access to its nodes"
            )
        if self.node:
            if role is not NodeRole.control_plane:
                raise NodeUnavailable(
                    "on a kubeadm node labtui reaches only the control-plane node it runs on"
                )
            return list(argv)
        assert self.kind_cluster is not None
        container = (
            f"{self.kind_cluster}-{'control-plane' if role is NodeRole.control_plane else 'worker'}"
        )
        return ["docker", "exec", "-it" if interactive else "-i", container, *argv]


class NodeUnavailable(EnvironmentUnavailable):
    """The lab's cluster has no node of that role that labtui can reach, and why."""

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            "run this lab in a kind cluster (--cluster kind) or on the cluster's "
            "control-plane node (--cluster node)",
        )


def node_argv(ctx: CheckContext, role: NodeRole, argv: list[str]) -> list[str]:
    """``argv`` to run on the lab cluster's node ``role`` (see ClusterTarget.node_argv)."""
    if ctx.cluster is None:
        raise EnvironmentUnavailable(
            f"scenario {ctx.scenario.id} has no cluster, so no {role.value} node",
            "address the command to a container, or add a cluster to the scenario",
        )
    return ctx.cluster.node_argv(role, argv)


@dataclass
class CheckContext:
    """What a check may look at: the lab, the learner's answer, and where its cluster is.

    ``cluster`` is None for a lab without Kubernetes; ``learner`` is None outside a
    learner's session (a check that needs it, like ``choice``, says so).
    """

    scenario: Scenario
    task: Task
    templates: TemplateContext
    docker: DockerDriver
    lab_dir: Path
    answer: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    cluster: ClusterTarget | None = None
    learner: str | None = None


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
