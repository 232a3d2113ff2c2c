"""Handing the terminal to the learner's shell, inside a lab.

The shell starts in the lab directory with ``LAB_SCENARIO``, ``LAB_DIR`` and, for
cluster labs, ``KUBECONFIG`` set, and its prompt starts with the lab's id so a
learner always knows which lab a terminal belongs to. The learner's own shell
startup files still run: bash gets a generated ``--rcfile`` that sources
``~/.bashrc`` first, zsh a generated ``ZDOTDIR`` that sources ``~/.zshrc``;
other shells take ``PS1`` from the environment.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from labtui.scenario.model import Requirement, Scenario
from labtui.state import paths

FALLBACK_SHELLS = ("/bin/bash", "/bin/sh")
KUBECONFIG_NAME = "kubeconfig"


@dataclass(frozen=True)
class Handoff:
    """Everything needed to start the lab shell; ``files`` are written by ``prepare``."""

    argv: list[str]
    cwd: Path
    env: dict[str, str]
    files: dict[Path, str] = field(default_factory=dict)

    def command_line(self) -> str:
        """One line to paste into another terminal that starts the same shell."""
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(self.env.items()))
        argv = " ".join(shlex.quote(a) for a in self.argv)
        return f"cd {shlex.quote(str(self.cwd))} && env {assignments} {argv}"

    def prepare(self) -> None:
        """Create the lab directory and the generated startup files."""
        self.cwd.mkdir(parents=True, exist_ok=True)
        for path, content in self.files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)

    def run(self, base_env: Mapping[str, str] | None = None) -> int:
        """Start the shell attached to this terminal and wait for it (the caller gave up the screen)."""
        self.prepare()
        env = {**(os.environ if base_env is None else base_env), **self.env}
        return subprocess.call(self.argv, cwd=self.cwd, env=env)


def choose_shell(environ: Mapping[str, str] | None = None) -> str:
    """``$SHELL`` when it names a program that exists, else bash, else sh."""
    environ = os.environ if environ is None else environ
    wanted = environ.get("SHELL", "").strip()
    if wanted and (Path(wanted).is_file() or shutil.which(wanted)):
        return wanted
    for candidate in FALLBACK_SHELLS:
        if Path(candidate).is_file():
            return candidate
    return "sh"


def prompt_prefix(scenario_id: str) -> str:
    return f"(lab:{scenario_id}) "


def kubeconfig_for(scenario: Scenario, lab_dir: Path) -> Path | None:
    """Where a cluster lab's kubeconfig lives when the session does not say (the lab directory)."""
    if {Requirement.kind, Requirement.cluster} & set(scenario.requires):
        return lab_dir / KUBECONFIG_NAME
    return None


def shell_handoff(
    scenario: Scenario,
    lab_dir: Path,
    extra_env: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    kubeconfig: Path | None = None,
) -> Handoff:
    """The command, directory and environment of a lab shell for ``scenario``."""
    environ = os.environ if environ is None else environ
    shell = choose_shell(environ)
    prefix = prompt_prefix(scenario.id)
    env = dict(extra_env or {})
    env["LAB_SCENARIO"] = scenario.id
    env["LAB_DIR"] = str(lab_dir)
    if kubeconfig is not None:
        env["KUBECONFIG"] = str(kubeconfig)
    elif "KUBECONFIG" not in env:
        default = kubeconfig_for(scenario, lab_dir)
        if default is not None:
            env["KUBECONFIG"] = str(default)
    rc_dir = paths.learner_dir() / "shell" / scenario.id
    name = Path(shell).name
    files: dict[Path, str] = {}
    if name == "bash":
        rcfile = rc_dir / "bashrc"
        files[rcfile] = (
            '[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n'
            f'PS1={shlex.quote(prefix)}"${{PS1:-\\\\$ }}"\n'
        )
        argv = [shell, "--rcfile", str(rcfile), "-i"]
    elif name == "zsh":
        home_rc = Path(environ.get("ZDOTDIR") or environ.get("HOME", "~")) / ".zshrc"
        files[rc_dir / ".zshrc"] = (
            f"[ -f {shlex.quote(str(home_rc))} ] && . {shlex.quote(str(home_rc))}\n"
            f'PROMPT={shlex.quote(prefix)}"$PROMPT"\n'
        )
        env["ZDOTDIR"] = str(rc_dir)
        argv = [shell, "-i"]
    else:
        env["PS1"] = prefix + environ.get("PS1", "$ ")
        argv = [shell, "-i"]
    return Handoff(argv=argv, cwd=lab_dir, env=env, files=files)
