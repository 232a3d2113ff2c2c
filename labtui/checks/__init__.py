"""Check kinds: a registry maps the YAML ``kind`` to its implementation.

The kinds every lab uses register on import; the ones that pull in heavy
libraries (cryptography for certificates, the NetworkPolicy engine) are
imported the first time a check of their kind runs, so `labtui check` of a
container lab does not pay for them.
"""

from __future__ import annotations

import importlib

from labtui.checks import choice as _choice  # noqa: F401  (registers the choice kind)
from labtui.checks import k8s as _k8s  # noqa: F401  (registers the k8s kind; kubernetes loads lazily)
from labtui.checks import kinds as _kinds  # noqa: F401  (registers the built-in kinds)
from labtui.checks.base import REGISTRY, CheckContext, CheckFn, CheckResult, Outcome, register
from labtui.checks.labels import label

LAZY_KINDS = {
    "certificate": "labtui.checks.certificate",
    "reachability": "labtui.checks.reachability",
}


def implementation(kind: str) -> CheckFn:
    """The function that runs checks of ``kind``; KeyError for an unknown kind."""
    if kind not in REGISTRY and kind in LAZY_KINDS:
        importlib.import_module(LAZY_KINDS[kind])
    return REGISTRY[kind]


__all__ = [
    "REGISTRY",
    "CheckContext",
    "CheckResult",
    "Outcome",
    "implementation",
    "label",
    "register",
]
