"""Progress: atomic writes, locked updates, a corrupt file moved aside and never lost."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from labtui.state.progress import ProgressStore, ScenarioProgress


def test_update_and_reload(tmp_path: Path) -> None:
    store = ProgressStore("ann", path=tmp_path / "p.json")

    def change(sp: ScenarioProgress) -> None:
        sp.task("t1").hints_used = 2
        sp.current_task = "t1"

    store.update("lab", change)
    again = ProgressStore("ann", path=tmp_path / "p.json").get("lab")
    assert again.current_task == "t1" and again.tasks["t1"].hints_used == 2
    assert again.started_at and again.updated_at


def test_corrupt_file_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"scenarios": {"lab": {"tasks": ')
    store = ProgressStore("ann", path=path)
    assert store.load().scenarios == {}
    assert store.warnings and "kept as" in store.warnings[0]
    aside = list(tmp_path.glob("p.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text().startswith('{"scenarios"')


def test_wrong_shape_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"scenarios": {"lab": {"tasks": {"t": {"attempts": "many"}}}}}))
    store = ProgressStore("ann", path=path)
    store.load()
    assert store.warnings and list(tmp_path.glob("p.json.corrupt-*"))


def test_concurrent_updates_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "p.json"

    def bump(sp: ScenarioProgress) -> None:
        sp.task("t").attempts += 1

    def worker() -> None:
        store = ProgressStore("ann", path=path)
        for _ in range(20):
            store.update("lab", bump)

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ProgressStore("ann", path=path).get("lab").tasks["t"].attempts == 100
    assert not list(tmp_path.glob(".p.json.*.tmp"))


def test_reset_forgets_one_scenario(tmp_path: Path) -> None:
    store = ProgressStore("ann", path=tmp_path / "p.json")
    store.update("a", lambda sp: None)
    store.update("b", lambda sp: None)
    store.reset("a")
    assert set(store.load().scenarios) == {"b"}
