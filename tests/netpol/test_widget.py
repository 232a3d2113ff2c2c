"""The reachability matrix widget, driven through Textual's pilot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets import DataTable, Static

from labtui.netpol.matrix import Matrix, from_paths
from labtui.ui.widgets.reachability import ReachabilityMatrix
from tests.conftest import SCENARIOS

pytestmark = pytest.mark.asyncio


def lab_matrix(tmp_path: Path) -> Matrix:
    folder = SCENARIOS / "netpol-frontend-backend"
    shutil.copytree(folder / "cluster", tmp_path / "cluster")
    files = yaml.safe_load((folder / "scenario.yaml").read_text())["tasks"][0]["solution"]["files"]
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "backend.yaml").write_text(files["policies/backend.yaml"])
    return from_paths([tmp_path], port=8080, base=tmp_path)


class MatrixApp(App[None]):
    def __init__(self, matrix: Matrix) -> None:
        super().__init__()
        self.matrix = matrix
        self.explained: list[str] = []

    def compose(self) -> ComposeResult:
        yield ReachabilityMatrix(self.matrix)

    def on_reachability_matrix_explained(self, event: ReachabilityMatrix.Explained) -> None:
        self.explained.append(event.verdict.flow)


def explanation(app: App[None]) -> str:
    content = app.query_one("#reach-explanation", Static).content
    return content.plain if isinstance(content, Content) else str(content)


async def test_cells_colour_and_explain(tmp_path: Path) -> None:
    matrix = lab_matrix(tmp_path)
    names = [p.ref for p in matrix.pods]
    frontend, backend, report = (
        names.index(n) for n in ("app/frontend", "app/backend", "app/report")
    )
    app = MatrixApp(matrix)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.query_one(DataTable)
        assert table.row_count == len(table.columns) == len(names)
        assert table.get_cell_at((frontend, backend)).plain.strip() == "✓"
        assert table.get_cell_at((report, backend)).plain.strip() == "✗"
        assert "green" in str(table.get_cell_at((frontend, backend)).style)

        table.focus()
        table.move_cursor(row=report, column=backend)
        await pilot.pause()
        text = explanation(app)
        assert text.startswith("DENIED app/report -> app/backend TCP/8080")
        assert "podSelector app=frontend did not match labels {app: report, tier: batch}" in text

        await pilot.press("left" if backend else "right")
        other = names[backend - 1 if backend else backend + 1]
        assert explanation(app).startswith(
            f"{'ALLOWED' if matrix.allowed(report, names.index(other)) else 'DENIED'} app/report -> {other}"
        )
        table.move_cursor(row=frontend, column=backend)
        await pilot.pause()
        assert explanation(app).startswith("ALLOWED app/frontend -> app/backend TCP/8080")
        assert app.explained[-1] == "app/frontend -> app/backend TCP/8080"
