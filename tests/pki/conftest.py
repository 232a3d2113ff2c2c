"""A generated PKI per Kubernetes version layout, shared by the tests of a module."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from labtui.pki.generate import GeneratedPki, generate
from labtui.pki.layout import ClusterParams

NODE = "cp-1"
ADDRESS = "192.168.56.10"


@pytest.fixture(scope="module", params=["1.28", "1.31"])
def pki(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> GeneratedPki:
    root = tmp_path_factory.mktemp(f"pki-{request.param}") / "etc" / "kubernetes"
    return generate(
        root,
        ClusterParams(
            node_name=NODE, advertise_address=ADDRESS, kubernetes_version=str(request.param)
        ),
    )


@pytest.fixture(scope="session")
def openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        pytest.fail("openssl is not on PATH (apt-get install openssl)", pytrace=False)
    return path


def lab_of(pki: GeneratedPki) -> Path:
    """The directory that plays / (the lab directory)."""
    return pki.root.parent.parent


@pytest.fixture(autouse=True)
def generated_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests read the generated files unless they set a node themselves."""
    monkeypatch.delenv("LABTUI_PKI_NODE", raising=False)
