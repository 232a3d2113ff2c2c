"""Loading and validating a pack of 500 scenarios: total time and cost per scenario.

Side by side in one run: the catalog (YAML with positions + pydantic validation)
against bare `yaml.safe_load` of the same files, so the price of the checking is
visible.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from labtui.scenario.catalog import Catalog

COUNT = 500
ROUNDS = 5


def make_pack(root: Path, count: int) -> None:
    for i in range(count):
        scenario = {
            "format_version": 1,
            "id": f"lab-{i:03d}",
            "title": f"Lab {i}",
            "topic": "containers",
            "requires": ["docker"],
            "environment": {"containers": [{"name": f"box-{i}", "command": ["sleep", "1d"]}]},
            "tasks": [
                {
                    "id": f"task-{t}",
                    "title": f"Task {t}",
                    "instructions": "Do the thing.\n" * 5,
                    "hints": ["first", "second"],
                    "checks": [
                        {"kind": "container", "name": f"box-{i}", "running": True},
                        {
                            "kind": "exec",
                            "container": f"box-{i}",
                            "command": ["ps"],
                            "stdout_contains": "sleep",
                        },
                        {
                            "kind": "answer",
                            "expected": {"container": f"box-{i}", "field": "State.Pid"},
                        },
                    ],
                    "solution": {"run": [["docker", "ps"]]},
                }
                for t in range(4)
            ],
        }
        (root / f"lab-{i:03d}").mkdir()
        (root / f"lab-{i:03d}" / "scenario.yaml").write_text(
            yaml.safe_dump(scenario, sort_keys=False)
        )


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_pack(root, COUNT)
        ours, bare = [], []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            entries = Catalog([root], include_builtin=False).entries()
            ours.append(time.perf_counter() - start)
            assert len(entries) == COUNT and not any(e.broken for e in entries)
            start = time.perf_counter()
            for f in sorted(root.glob("*/scenario.yaml")):
                yaml.safe_load(f.read_text())
            bare.append(time.perf_counter() - start)
    a, b = statistics.median(ours), statistics.median(bare)
    print(
        f"catalog load + validate of {COUNT} scenarios: {a * 1000:.0f} ms ({a / COUNT * 1000:.2f} ms each)"
    )
    print(
        f"bare yaml.safe_load of the same files:      {b * 1000:.0f} ms ({b / COUNT * 1000:.2f} ms each)"
    )
    print(f"ratio: {a / b:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
