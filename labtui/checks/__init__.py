"""Check kinds: a registry maps the YAML ``kind`` to its implementation."""

from __future__ import annotations

from labtui.checks import certificate as _certificate  # noqa: F401  (registers certificate)
from labtui.checks import choice as _choice  # noqa: F401  (registers the choice kind)
from labtui.checks import k8s as _k8s  # noqa: F401  (registers the k8s kind)
from labtui.checks import kinds as _kinds  # noqa: F401  (registers the built-in kinds)
from labtui.checks import reachability as _reachability  # noqa: F401  (registers reachability)
from labtui.checks.base import REGISTRY, CheckContext, CheckResult, Outcome, register
from labtui.checks.labels import label

__all__ = ["REGISTRY", "CheckContext", "CheckResult", "Outcome", "label", "register"]
