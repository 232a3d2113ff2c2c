"""The owner id of a data directory: made once, the same ever after, never lost to a bad file.

Fault: a missing, corrupt or unwritable owner file; many labtui processes starting at once.
Asserts: one stable id per data directory, different ids for different data
directories, a corrupt file kept aside and replaced, and concurrent first runs
agreeing on one id.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from labtui.state.owner import owner_file, owner_id
from tests.conftest import REPO


def test_one_id_per_data_dir_stable_across_runs(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = owner_id()
    assert first == owner_id()
    assert owner_file() == data_dir / "owner"
    assert (data_dir / "owner").read_text().strip() == first
    again = subprocess.run(
        [sys.executable, "-c", "from labtui.state.owner import owner_id; print(owner_id())"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    assert again.stdout.strip() == first

    monkeypatch.setenv("LABTUI_DATA_DIR", str(tmp_path / "another-learner"))
    assert owner_id() != first


@pytest.mark.parametrize("content", ["", "not an id\n", "\x00\xff" * 10, "ABCDEF0123456789"])
def test_corrupt_file_is_kept_aside_and_replaced(data_dir: Path, content: str) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "owner").write_bytes(content.encode("latin-1"))
    made = owner_id()
    assert (data_dir / "owner").read_text().strip() == made
    kept = list(data_dir.glob("owner.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == content.encode("latin-1")
    assert owner_id() == made


def test_a_directory_in_the_way_is_set_aside(data_dir: Path) -> None:
    (data_dir / "owner").mkdir(parents=True)
    made = owner_id()
    assert (data_dir / "owner").is_file() and owner_id() == made


@pytest.mark.skipif(
    os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root writes anywhere"
)
def test_unwritable_data_dir_gives_a_stable_id(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    data_dir.chmod(0o500)
    try:
        assert owner_id() == owner_id()
        assert not (data_dir / "owner").exists()
    finally:
        data_dir.chmod(0o700)


RACE = """
import sys, time
from labtui.state.owner import owner_id
start = float(sys.argv[1])
while time.time() < start:
    pass
print(owner_id())
"""


@pytest.mark.parametrize("before", [None, "garbage"], ids=["missing", "corrupt"])
def test_processes_starting_together_agree_on_one_id(data_dir: Path, before: str | None) -> None:
    import time

    if before is not None:
        data_dir.mkdir(parents=True)
        (data_dir / "owner").write_text(before)
    start = str(time.time() + 1.5)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACE, start],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
        )
        for _ in range(8)
    ]
    ids = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert ids == {(data_dir / "owner").read_text().strip()}
    assert not list(data_dir.glob(".owner.*")), "temporary files were left behind"
