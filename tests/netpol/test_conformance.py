"""The engine against np-guard/netpol-analyzer's expected connectivity (../shared/conformance).

Every folder of the corpus is run; every query must match. The corpus README
lists the upstream folders it left out (named ports without a match, Routes,
AdminNetworkPolicy, a fatal analyzer error): their semantics are not plain
networking.k8s.io/v1. Within the folders, the corpus itself does not query the
OpenShift Route connections of acs-security-demos.

Where the corpus is not found (a checkout without the shared folder), the test
skips and says so.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from labtui.netpol.evaluate import evaluate, resolve
from labtui.netpol.matrix import compute, naive_allowed
from labtui.netpol.parse import load

CORPUS = Path(
    os.environ.get(
        "LABTUI_NPGUARD_CORPUS", Path(__file__).parents[3] / "shared/conformance/netpol-npguard"
    )
)
FOLDERS = sorted(p for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []


def manifests(folder: Path) -> list[Path]:
    return sorted(
        f
        for f in folder.iterdir()
        if f.suffix in (".yaml", ".yml", ".json") and f.name != "queries.json"
    )


@pytest.mark.skipif(
    not FOLDERS, reason=f"conformance corpus not found at {CORPUS} (set LABTUI_NPGUARD_CORPUS)"
)
def test_corpus_is_complete() -> None:
    assert len(FOLDERS) >= 17
    assert sum(len(json.loads((f / "queries.json").read_text())) for f in FOLDERS) > 3000


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_npguard_folder(folder: Path) -> None:
    cluster = load(manifests(folder))
    queries = json.loads((folder / "queries.json").read_text())
    wrong = []
    for q in queries:
        verdict = evaluate(
            cluster,
            resolve(cluster, q["from"]),
            resolve(cluster, q["to"]),
            q["port"],
            q["protocol"],
        )
        if verdict.allowed != q["allowed"]:
            wrong.append(f"{q}: {verdict.reason}")
    assert not wrong, f"{len(wrong)} of {len(queries)} differ:\n" + "\n".join(wrong[:5])


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_npguard_folder_matrix_matches_naive(folder: Path) -> None:
    cluster = load(manifests(folder))
    for port, proto in ((80, "TCP"), (53, "UDP"), (8080, "TCP"), (9090, "TCP")):
        fast = compute(cluster, port, proto)
        naive = naive_allowed(cluster, port, proto)
        assert [
            [fast.allowed(i, j) for j in range(len(cluster.pods))] for i in range(len(cluster.pods))
        ] == naive
