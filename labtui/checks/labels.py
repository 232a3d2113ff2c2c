"""A one-line name for each check, in the learner's words."""

from __future__ import annotations

from typing import Any

from labtui.scenario.model import AnswerCheck, CommandCheck, ContainerCheck, ExecCheck, FileCheck


def label(check: Any) -> str:
    if getattr(check, "description", None):
        return str(check.description)
    if isinstance(check, CommandCheck):
        return f"`{' '.join(check.command)}` succeeds"
    if isinstance(check, ExecCheck):
        where = check.container if check.container else f"the {check.node} node"
        return f"`{' '.join(check.command)}` in {where}"
    if isinstance(check, ContainerCheck):
        if check.absent:
            return f"container {check.name} is gone"
        if check.field:
            return f"container {check.name}: {check.field}"
        return f"container {check.name} is {'running' if check.running else 'present'}"
    if isinstance(check, FileCheck):
        return f"file {check.path}" + (f": {check.yaml_path}" if check.yaml_path else "")
    if isinstance(check, AnswerCheck):
        return "your answer"
    kind = str(getattr(check, "kind", "check"))
    return _DEFAULTS.get(kind, f"{kind} check")


_DEFAULTS = {
    "choice": "your choice",
    "reachability": "network flows",
    "certificate": "certificate",
    "k8s": "cluster state",
}
