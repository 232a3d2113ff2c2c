"""A task that needs AppArmor is judged by the kernel, not by a program on PATH.

apparmor_parser can be installed on a kernel without AppArmor (it is, on this
machine), where no profile can ever be loaded: such a task must come out
unavailable with the reason, never run and never pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labtui.engine import requirements
from labtui.engine.requirements import task_missing


@pytest.mark.parametrize(
    ("content", "missing"), [("Y\n", False), ("N\n", True), (None, True)]
)
def test_apparmor_follows_the_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | None, missing: bool
) -> None:
    flag = tmp_path / "enabled"
    if content is not None:
        flag.write_text(content)
    monkeypatch.setattr(requirements, "APPARMOR_ENABLED", flag)
    reasons = task_missing(["apparmor"])
    if missing:
        assert reasons == ["needs AppArmor: this kernel has none (no /sys/module/apparmor)"]
    else:
        assert reasons == []


def test_a_program_named_like_the_feature_does_not_satisfy_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "apparmor").write_text("#!/bin/sh\n")
    (fake / "apparmor").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    monkeypatch.setattr(requirements, "APPARMOR_ENABLED", tmp_path / "missing")
    assert task_missing(["apparmor"]) != []
