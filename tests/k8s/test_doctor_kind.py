"""`labtui doctor` names exactly what the kind labs miss, and how to get it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from labtui.cli import main
from labtui.drivers.kind import KIND_INSTALL, KUBECTL_INSTALL


def _doctor(monkeypatch: pytest.MonkeyPatch, path: str, *extra: str) -> dict[str, dict[str, str]]:
    monkeypatch.setenv("PATH", path)
    res = CliRunner().invoke(main, [*extra, "doctor", "--json"])
    assert res.exit_code == 0, res.output
    return {i["name"]: i for i in json.loads(res.output)["items"]}


def test_missing_kind_and_kubectl_are_named_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    items = _doctor(monkeypatch, str(tmp_path))
    cluster = items["cluster labs"]
    assert cluster["status"] == "fail"
    assert "kind" in cluster["detail"] and "kubectl" in cluster["detail"]
    assert KIND_INSTALL in cluster["fix"] and KUBECTL_INSTALL in cluster["fix"]
    assert items["kind"]["fix"] == KIND_INSTALL


def test_an_unknown_context_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not on PATH")
    (tmp_path / "kubeconfig").write_text("apiVersion: v1\nkind: Config\ncontexts: []\n")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    items = _doctor(monkeypatch, str(Path(kubectl).parent), "--context", "classroom")
    assert items["cluster labs"]["status"] == "fail"
    assert "kube context 'classroom' does not exist" in items["cluster labs"]["detail"]
