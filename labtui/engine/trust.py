"""Packs from outside the built-in set run commands on the learner's machine: ask first.

A scenario from an instructor pack is trusted once its owner has read what it
will do and said yes. The review lists every command the pack can run (setup,
image builds, checks, the commands that compute expected answers, solutions)
and every setting that widens what a lab can reach (host namespaces,
capabilities, security options, host mounts and devices, the Docker socket,
shell scripts that download and run code), and marks the latter.

Trust is stored per scenario folder with a digest of the scenario file and of
every file it includes, so any change to them is asked about again.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from labtui.scenario.catalog import SCENARIO_FILE, Entry
from labtui.scenario.model import (
    CommandCheck,
    ContainerSpec,
    ExecCheck,
    Scenario,
    Solution,
    Step,
    ValueSource,
)
from labtui.state import paths
from labtui.state.files import write_atomic


@dataclass(frozen=True)
class Finding:
    """One thing a pack makes this machine do, and why it matters when it widens access."""

    where: str
    text: str
    risk: str | None = None

    @property
    def line(self) -> str:
        mark = f"   <- {self.risk}" if self.risk else ""
        return f"{self.where}: {self.text}{mark}"


def trust_file() -> Path:
    return paths.data_dir() / "trusted.json"


def _digest(entry: Entry) -> str:
    """The scenario file and every file it includes: a change to any asks again."""
    h = hashlib.sha256((entry.folder / SCENARIO_FILE).read_bytes())
    scenario = entry.scenario
    for ref in sorted(scenario.environment.include) if scenario else []:
        src = entry.folder / ref
        files = sorted(p for p in src.rglob("*") if p.is_file()) if src.is_dir() else [src]
        for f in files:
            h.update(b"\0" + str(f.relative_to(entry.folder)).encode() + b"\0")
            h.update(f.read_bytes() if f.is_file() else b"(missing)")
    return h.hexdigest()


def _load() -> dict[str, str]:
    try:
        data = json.loads(trust_file().read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def is_trusted(entry: Entry) -> bool:
    if entry.builtin:
        return True
    try:
        return _load().get(str(entry.folder.resolve())) == _digest(entry)
    except OSError:
        return False


def trust(entry: Entry) -> None:
    data = _load()
    data[str(entry.folder.resolve())] = _digest(entry)
    write_atomic(trust_file(), json.dumps(data, indent=2))


# ----------------------------------------------------------------- what a command risks

_HOST_NAMESPACE = re.compile(r"^--(pid|network|net|ipc|uts|userns|cgroupns)(=host)?$")
_VALUE_FLAGS = {
    "--cap-add": "adds capability {}",
    "--security-opt": "security option {}",
    "--device": "host device {}",
    "-v": "mounts host path {}",
    "--volume": "mounts host path {}",
    "--mount": "mounts {}",
}
_SHELLS = {"sh", "bash", "zsh", "ash", "dash"}
_FETCHERS = {"curl", "wget"}
_PIPE_TO_SHELL = re.compile(r"\|\s*(sudo\s+)?(sh|bash|zsh|ash|dash)\b")


def _flag_risks(tokens: list[str]) -> list[str]:
    risks: list[str] = []
    for i, tok in enumerate(tokens):
        name, eq, value = tok.partition("=")
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if "docker.sock" in tok:
            risks.append("the Docker socket: root on this machine")
        if tok == "--privileged":
            risks.append("privileged: every capability and every host device")
        match = _HOST_NAMESPACE.match(tok)
        if match and (match.group(2) or nxt == "host"):
            risks.append(f"shares the host's {match.group(1)} namespace")
        if name in _VALUE_FLAGS and (eq or nxt):
            risks.append(_VALUE_FLAGS[name].format(value if eq else nxt))
        if tok in ("nsenter", "sudo", "chroot"):
            risks.append(f"runs {tok}")
        if tok in _FETCHERS:
            risks.append(f"downloads with {tok}")
    return risks


def command_risks(argv: list[str]) -> list[str]:
    """What in ``argv`` reaches beyond the lab: flags, the Docker socket, downloaded scripts."""
    risks = _flag_risks(argv)
    for i, tok in enumerate(argv[:-1]):
        if Path(tok).name in _SHELLS and argv[i + 1] == "-c" and i + 2 < len(argv):
            script = argv[i + 2]
            if _PIPE_TO_SHELL.search(script):
                risks.append("pipes text into a shell")
            try:
                words = shlex.split(script, comments=True)
            except ValueError:
                words = script.split()
            risks += _flag_risks([w.strip(";&|()") for w in words])
    return list(dict.fromkeys(risks))


def _container_risks(c: ContainerSpec) -> list[str]:
    risks: list[str] = []
    if c.privileged:
        risks.append("privileged: every capability and every host device")
    for kind, mode in (("PID", c.pid), ("network", c.network)):
        if mode == "host":
            risks.append(f"shares the host's {kind} namespace")
    risks += [f"adds capability {cap}" for cap in c.cap_add]
    risks += [f"security option {opt}" for opt in c.security_opt]
    return risks


def _docker_run(c: ContainerSpec) -> str:
    flags: list[str] = ["--name", c.name]
    if c.privileged:
        flags.append("--privileged")
    for flag, value in (("--pid", c.pid), ("--network", c.network), ("--user", c.user)):
        if value:
            flags.append(f"{flag}={value}")
    flags += [f"--cap-add={cap}" for cap in c.cap_add]
    flags += [f"--cap-drop={cap}" for cap in c.cap_drop]
    flags += [f"--security-opt={opt}" for opt in c.security_opt]
    if c.read_only:
        flags.append("--read-only")
    flags += [f"--tmpfs={path}" for path in c.tmpfs]
    command = shlex.join(c.command) if c.command else ""
    return f"docker run -d {' '.join(flags)} {c.image} {command}".rstrip()


def _value_sources(node: object) -> Iterator[ValueSource]:
    """Every ValueSource under ``node``: expected answers, wrong answers, solution answers."""
    if isinstance(node, ValueSource):
        yield node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _value_sources(getattr(node, name))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _value_sources(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from _value_sources(item)


ON_NODE_RISK = "runs on the cluster's node (on a kubeadm node: on this machine, as you)"


def _command(where: str, argv: list[str]) -> Finding:
    risks = command_risks(argv)
    if " node" in where:
        risks = [ON_NODE_RISK, *risks]
    return Finding(where, shlex.join(argv), "; ".join(risks) if risks else None)


def _task_findings(checks: list[BaseModel], solution: Solution | None) -> list[Finding]:
    out: list[Finding] = []
    for check in checks:
        if isinstance(check, CommandCheck):
            out.append(_command("check", check.command))
        elif isinstance(check, ExecCheck):
            where = f"in {check.container}" if check.container else f"on the {check.node} node"
            out.append(_command(f"check {where}", check.command))
    parts: list[tuple[str, object]] = [("check", checks)]
    if solution is not None:
        for step in solution.run:
            if isinstance(step, Step):
                where = f"solution on the {step.node} node" if step.node else "solution"
                out.append(_command(where, step.command))
            else:
                out.append(_command("solution", step))
        parts.append(("solution", solution.answer))
    for label, part in parts:
        for source in _value_sources(part):
            if source.command is None:
                continue
            place = (
                f" in {source.container}"
                if source.container
                else f" on the {source.node} node"
                if source.node
                else ""
            )
            out.append(_command(f"{label}{place} (computes an answer)", source.command))
    return out


def review(scenario: Scenario) -> list[Finding]:
    """Everything the scenario can make this machine do, with what widens access marked."""
    env = scenario.environment
    out: list[Finding] = []
    for c in env.containers:
        risks = _container_risks(c)
        out.append(
            Finding(f"container {c.name}", _docker_run(c), "; ".join(risks) if risks else None)
        )
    out += [_command("setup", argv) for argv in env.setup]
    for image in env.images:
        out += [
            Finding(
                f"image {image.name} build",
                f"copy this machine's {program} and its shared libraries into the image",
            )
            for program in image.host_programs
        ]
        for line in image.dockerfile.splitlines():
            if line.strip().upper().startswith("RUN"):
                out.append(Finding(f"image {image.name} build", line.strip()))
    if env.cluster is not None:
        admission = env.cluster.admission
        if admission is not None and admission.disable:
            out.append(
                Finding(
                    "cluster",
                    f"disable admission plugins {', '.join(admission.disable)}",
                    "turns off admission control",
                )
            )
        out += [Finding("cluster", f"kubectl apply -f {m}") for m in env.cluster.manifests]
    for task in scenario.tasks:
        out += _task_findings(list(task.checks), task.solution)
    return out


def _render(scenario: Scenario, text: str) -> str:
    """Static names (lab image, scenario id, lab directory) filled in; the rest as written."""
    from labtui.drivers.docker import base_image
    from labtui.scenario.templates import TemplateContext

    ctx = TemplateContext(
        {
            "base_image": base_image(),
            "scenario_id": scenario.id,
            "lab_dir": str(paths.lab_dir(scenario.id)),
        }
    )
    return ctx.render(text, strict=False)


def preview(scenario: Scenario) -> list[Finding]:
    """``review`` as the learner reads it, with the static template names filled in."""
    return [
        Finding(f.where, _render(scenario, f.text), f.risk and _render(scenario, f.risk))
        for f in review(scenario)
    ]


def commands_preview(scenario: Scenario) -> list[str]:
    """The review as plain lines, for the terminal and for logs."""
    return [f.line for f in preview(scenario)]
