"""A bug inside a check kind is reported as an internal error, with its traceback logged.

It used to be caught as ``KeyError`` around the registry lookup and reported as
"unknown check kind", which sent authors looking for a typo that was not there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from labtui.checks import REGISTRY, CheckContext, Outcome
from labtui.engine.runner import run_one
from labtui.scenario.model import Check
from labtui.state.log import log_file


def context(tmp_path: Path) -> CheckContext:
    from tests.engine.test_checks_local import ctx

    return ctx(tmp_path)


def buggy(check: Any, ctx: CheckContext) -> Outcome:
    return Outcome(True, {"present": 1}["missing"])


def test_a_key_error_inside_a_check_is_an_internal_error_with_a_logged_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(REGISTRY, "command", buggy)
    check = TypeAdapter(Check).validate_python({"kind": "command", "command": ["true"]})
    result = run_one(check, context(tmp_path))
    assert not result.passed
    assert "unknown check kind" not in result.message
    assert result.message.startswith("internal error in command check: KeyError: 'missing'")
    assert str(log_file()) in result.message
    logged = log_file().read_text()
    assert "Traceback" in logged and "in buggy" in logged


def test_an_unknown_kind_is_still_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check = TypeAdapter(Check).validate_python({"kind": "command", "command": ["true"]})
    monkeypatch.delitem(REGISTRY, "command")
    result = run_one(check, context(tmp_path))
    assert result.message == "unknown check kind 'command'"
