"""The reachability matrix of a network lab: sources by destinations, a cell explains itself.

The screen computes the :class:`~labtui.netpol.matrix.Matrix` in a thread worker
(``labtui.netpol.matrix.from_paths(lab_dir)``) and hands it to :meth:`show`.
Highlighting a cell shows the engine's explanation of that flow below the table
and posts :class:`ReachabilityMatrix.Explained`.
"""

from __future__ import annotations

from functools import lru_cache

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from labtui.netpol.evaluate import Verdict
from labtui.netpol.matrix import Matrix


class ReachabilityMatrix(Vertical):
    """Rows are sources, numbered columns are destinations (same numbers as the rows)."""

    DEFAULT_CSS = """
    ReachabilityMatrix { height: auto; max-height: 24; border: round $panel; }
    ReachabilityMatrix > DataTable { height: auto; max-height: 16; }
    ReachabilityMatrix > #reach-explanation { height: auto; padding: 0 1; color: $text-muted; }
    """

    class Explained(Message):
        """A cell was highlighted: its flow's verdict with the explanation."""

        def __init__(self, verdict: Verdict) -> None:
            super().__init__()
            self.verdict = verdict

    def __init__(self, matrix: Matrix | None = None, **kwargs: str | None) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.matrix = matrix
        self._explain = lru_cache(maxsize=512)(self._verdict)

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(
            id="reach-table", cursor_type="cell", zebra_stripes=False
        )
        yield table
        yield Static("", id="reach-explanation", markup=False)

    def on_mount(self) -> None:
        self.border_title = "Reachability"
        if self.matrix is not None:
            self.show(self.matrix)

    def show(self, matrix: Matrix) -> None:
        """Replace the table with ``matrix`` (cheap: the matrix is computed already)."""
        self.matrix = matrix
        self._explain.cache_clear()
        table: DataTable[Text] = self.query_one("#reach-table", DataTable)
        table.clear(columns=True)
        n = len(matrix.pods)
        if n == 0:
            self.query_one("#reach-explanation", Static).update(
                "no pods or workloads in the lab's manifests"
            )
            return
        width = len(str(n))
        for j in range(n):
            table.add_column(str(j + 1).rjust(width), key=str(j))
        for i, pod in enumerate(matrix.pods):
            cells = [
                Text("✓".center(width), style="bold green")
                if matrix.allowed(i, j)
                else Text("✗".center(width), style="red")
                for j in range(n)
            ]
            table.add_row(*cells, key=str(i), label=Text(f"{i + 1:>{width}} {pod.ref}"))
        self._describe(0, 0)

    def _verdict(self, src: int, dst: int) -> Verdict:
        assert self.matrix is not None
        return self.matrix.explain(src, dst)

    def _describe(self, row: int, column: int) -> None:
        if self.matrix is None or not self.matrix.pods:
            return
        verdict = self._explain(row, column)
        word = "ALLOWED" if verdict.allowed else "DENIED"
        text = (
            f"{word} {verdict.flow}\negress:  {verdict.egress.why}\ningress: {verdict.ingress.why}"
        )
        self.query_one("#reach-explanation", Static).update(text)
        self.post_message(self.Explained(verdict))

    @on(DataTable.CellHighlighted, "#reach-table")
    def _highlighted(self, event: DataTable.CellHighlighted) -> None:
        event.stop()
        self._describe(event.coordinate.row, event.coordinate.column)
