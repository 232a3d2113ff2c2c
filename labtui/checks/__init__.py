"""Check kinds: a registry maps the YAML ``kind`` to its implementation."""

from __future__ import annotations

from labtui.checks import kinds as _kinds  # noqa: F401  (registers the built-in kinds)
from labtui.checks.base import REGISTRY, CheckContext, CheckResult, Outcome, register
from labtui.checks.labels import label

__all__ = ["REGISTRY", "CheckContext", "CheckResult", "Outcome", "label", "register"]
