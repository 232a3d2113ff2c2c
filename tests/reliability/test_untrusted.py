"""Untrusted packs: a scenario from outside the built-in set asks before it runs anything.

Fault: a pack added with --scenarios whose commands nobody has reviewed.
Asserts: without a TTY and without --trust nothing runs (exit 1, the pack named);
--trust runs it and is remembered; an edited scenario is asked about again;
`labtui trust` shows every command; references escaping the pack are rejected.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.test_cli import labtui


def make(root: Path, marker: Path) -> Path:
    scenario = {
        "format_version": 1,
        "id": "outsider",
        "title": "Outsider",
        "topic": "host",
        "tasks": [
            {
                "id": "t",
                "title": "T",
                "checks": [{"kind": "command", "command": ["touch", str(marker)]}],
                "solution": {"run": [["touch", str(marker)]]},
            }
        ],
    }
    (root / "outsider").mkdir(parents=True, exist_ok=True)
    (root / "outsider" / "scenario.yaml").write_text(yaml.safe_dump(scenario))
    return root


def test_untrusted_pack_runs_nothing_until_trusted(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    pack = str(make(tmp_path / "pack", marker))
    for verb in (["up", "outsider"], ["check", "outsider"], ["solve", "outsider"]):
        proc = labtui("--scenarios", pack, *verb)
        assert proc.returncode == 1, proc.stderr
        assert "not trusted yet" in proc.stderr and str(tmp_path / "pack") in proc.stderr
        assert not marker.exists()

    shown = labtui("--scenarios", pack, "trust", "outsider")
    assert f"check: touch {marker}" in shown.stdout and f"solution: touch {marker}" in shown.stdout
    assert shown.returncode == 1 and not marker.exists()

    assert labtui("--scenarios", pack, "--trust", "check", "outsider").returncode == 0
    assert marker.exists()
    marker.unlink()
    assert labtui("--scenarios", pack, "check", "outsider").returncode == 0, "trust was not remembered"

    path = tmp_path / "pack" / "outsider" / "scenario.yaml"
    path.write_text(path.read_text().replace("title: Outsider", "title: Changed"))
    marker.unlink()
    assert labtui("--scenarios", pack, "check", "outsider").returncode == 1
    assert not marker.exists()


def test_builtin_scenarios_need_no_trust() -> None:
    assert labtui("check", "pid-namespace-sharing", "--task", "pid-inside").returncode in (1, 3)


def test_references_escaping_the_pack_are_rejected(tmp_path: Path) -> None:
    pack = make(tmp_path / "pack", tmp_path / "x")
    path = pack / "outsider" / "scenario.yaml"
    data = yaml.safe_load(path.read_text())
    data["environment"] = {"include": ["../../../etc/shadow"]}
    path.write_text(yaml.safe_dump(data))
    proc = labtui("validate", str(pack))
    assert proc.returncode == 1 and "points outside the scenario folder" in proc.stdout
