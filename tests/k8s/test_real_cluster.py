"""Each cluster lab proves itself on a real kind cluster: `labtui solve ID --verify`.

These need kind, kubectl, Docker and the pinned node image; tests/conftest.py skips
them with the reason where kind is missing. Each run creates and deletes the
cluster ``labtui-<id>`` (a few minutes per lab).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

LABS = [
    "rbac-least-privilege",
    "secrets-in-kubernetes",
    "audit-logging",
    "etcd-encryption-at-rest",
    "admission-control",
    "apiserver-access",
]


@pytest.mark.kind
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("sid", LABS)
def test_solve_verify_on_kind(sid: str) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "labtui", "solve", sid, "--verify"],
        capture_output=True,
        text=True,
        timeout=1100,
        stdin=subprocess.DEVNULL,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"{sid}: verified" in res.stdout
