"""Load: 50 checks at once against the real engine, each within its timeout.

Fault: fifty concurrent inspect and exec checks on one engine.
Asserts: every check passes, none times out, and the batch finishes well within
the per-check timeout (checks queue for a slot; their clocks start when they run).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from labtui.engine.session import Session
from labtui.scenario.catalog import Catalog

pytestmark = pytest.mark.docker


def test_fifty_concurrent_checks(tmp_path: Path) -> None:
    checks = []
    for i in range(50):
        if i % 2:
            checks.append({"kind": "exec", "container": "load-box", "command": ["echo", f"n{i}"],
                           "stdout_contains": f"n{i}", "timeout": 20})
        else:
            checks.append({"kind": "container", "name": "load-box", "field": "Config.Cmd.0", "equals": "sleep",
                           "timeout": 20})
    scenario = {
        "format_version": 1, "id": "load", "title": "Load", "topic": "containers", "requires": ["docker"],
        "environment": {"containers": [{"name": "load-box", "command": ["sleep", "1d"]}]},
        "tasks": [{"id": "many", "title": "Many", "checks": checks}],
    }
    (tmp_path / "pack" / "load").mkdir(parents=True)
    (tmp_path / "pack" / "load" / "scenario.yaml").write_text(yaml.safe_dump(scenario))
    entry = Catalog([tmp_path / "pack"], include_builtin=False).find("load")
    assert entry.scenario is not None, entry.problems
    session = Session(entry.scenario, entry.folder)
    session.up()
    try:
        start = time.monotonic()
        result = session.check("many")
        took = time.monotonic() - start
    finally:
        session.down()
    assert len(result.results) == 50
    assert [r.message for r in result.results if not r.passed] == []
    assert not any(r.timed_out for r in result.results)
    assert took < 20
