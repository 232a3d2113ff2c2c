"""The catalog: what ``labtui`` opens. Every scenario, grouped by topic, filtered by typing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Input, LoadingIndicator, OptionList, Static
from textual.worker import Worker, WorkerState

from labtui.ui.screens.base import LabAppScreen
from labtui.ui.widgets.catalog_list import BROKEN_PREFIX, CatalogList, CatalogRow
from labtui.ui.widgets.footer import FittingFooter

if TYPE_CHECKING:
    from labtui.engine.requirements import Availability
    from labtui.scenario.catalog import Entry
    from labtui.scenario.loader import Problem
    from labtui.ui.app import LabApp


def _problem_text(problem: Problem, root: Path) -> str:
    """``file:line:col: path: message`` with the file relative to its pack (no machine paths)."""
    file = Path(problem.file)
    shown = str(file.relative_to(root)) if file.is_relative_to(root) else problem.file
    where = f"{shown}:{problem.line}:{problem.col}"
    return (
        f"{where}: {problem.path}: {problem.message}"
        if problem.path
        else f"{where}: {problem.message}"
    )


def build_rows(entries: list[Entry], app: LabApp) -> list[CatalogRow]:
    """Rows for every entry; runs in a worker (reads the progress file)."""
    progress = app.store.load()
    rows = []
    for e in entries:
        sc = e.scenario
        if sc is None or e.broken:
            problems = [_problem_text(p, e.folder.parent) for p in e.problems]
            rows.append(
                CatalogRow(
                    e.id, e.title, problems=problems or ["cannot be loaded"], key=str(e.folder)
                )
            )
            continue
        sp = progress.scenarios.get(sc.id)
        task_ids = [t.id for t in sc.tasks]
        rows.append(
            CatalogRow(
                id=sc.id,
                title=sc.title,
                topic=sc.topic.value,
                difficulty=sc.difficulty.value,
                minutes=sc.minutes,
                requires=[r.value for r in sc.requires],
                passed=sp.passed_count(task_ids) if sp else 0,
                total=len(task_ids),
                started=sp is not None,
                key=sc.id,
                task_ids=task_ids,
            )
        )
    return rows


# Printable keys the catalog list keeps for itself instead of starting the filter.
OWN_KEYS = ("q", "question_mark", "slash", "space")


class CatalogScreen(LabAppScreen):
    """Scenarios by topic; type to filter, enter opens, unavailable ones dimmed with the reason."""

    BINDINGS = [
        Binding("enter", "open", "Open", id="catalog.open", show=True),
        Binding("slash", "filter", "Filter", id="catalog.filter"),
        Binding("ctrl+e", "environment", "Environment", id="catalog.environment"),
        Binding("question_mark", "help", "Help", id="catalog.help"),
        Binding("q", "quit", "Quit", id="catalog.quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[CatalogRow] = []
        self.availability: Availability | None = None
        self._painted = False
        self._from_cache = False
        self._pending_open: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(
            Content.assemble(("labtui", "bold"), "  Kubernetes-security labs"), id="title-bar"
        )
        yield Input(
            placeholder="type to filter (id, title, topic, docker, kind, done…)",
            id="filter",
            select_on_focus=False,
        )
        yield LoadingIndicator(id="catalog-loading")
        yield CatalogList(id="catalog")
        yield Static("", id="catalog-status")
        yield FittingFooter(leave_out=("quit", "environment", "filter"))

    def on_mount(self) -> None:
        self.query_one(CatalogList).display = False
        rows = self.read_index() if self.lab_app.cacheable else None
        if rows is None:
            self.load()
        else:
            self._from_cache = True
            self._show_rows(rows)

    # -- workers

    def read_index(self) -> list[CatalogRow] | None:
        """Rows from the catalog index, or None when it is missing or stale.

        This one read stays on the UI thread: it is one small JSON file plus a
        stat per scenario file (about 2 ms), and doing it here puts the catalog
        in the very first frame instead of a frame later.
        """
        from labtui.ui import catalog_cache

        cached = catalog_cache.read(self.lab_app.scenario_dirs)
        if cached is None:
            return None
        progress = catalog_cache.task_progress(self.lab_app.learner)
        try:
            return [CatalogRow.from_cache(data, progress) for data in cached]
        except (KeyError, TypeError):
            return None

    @work(thread=True, exclusive=True, exit_on_error=False, group="catalog", name="load")
    def load(self) -> list[CatalogRow]:
        entries = self.lab_app.catalog_entries()
        rows = build_rows(entries, self.lab_app)
        if self.lab_app.cacheable:
            from labtui.ui import catalog_cache

            catalog_cache.write(self.lab_app.scenario_dirs, [r.to_cache() for r in rows])
        return rows

    @work(thread=True, exclusive=True, exit_on_error=False, group="probe", name="probe")
    def probe(self) -> Availability:
        return self.lab_app.probe_availability()

    @on(Worker.StateChanged)
    def _worker_done(self, event: Worker.StateChanged) -> None:
        worker: Worker[Any] = event.worker
        if worker.state == WorkerState.ERROR:
            self.query_one(LoadingIndicator).display = False
            self.lab_app.show_error(
                worker.error,
                "checking what this machine can run"
                if worker.name in ("probe", "missing")
                else "loading the catalog",
            )
            return
        if worker.state != WorkerState.SUCCESS:
            return
        if worker.name == "load":
            for warning in self.lab_app.take_store_warnings():
                self.notify(warning, severity="warning", timeout=12, markup=False)
            self._show_rows(cast("list[CatalogRow]", worker.result))
            if self._pending_open is not None:
                pending, self._pending_open = self._pending_open, None
                self.open_id(pending)
        elif worker.name == "probe":
            self.availability = worker.result
            self.lab_app.availability = worker.result
            self.find_missing()
        elif worker.name == "missing":
            missing = cast("dict[str, list[str]]", worker.result)
            for row in self.rows:
                row.missing = missing.get(row.id, [])
            self.refresh_list()

    def _show_rows(self, rows: list[CatalogRow]) -> None:
        self.rows = rows
        self.query_one(LoadingIndicator).display = False
        catalog = self.query_one(CatalogList)
        catalog.display = True
        if not isinstance(self.focused, Input) or not self.focused.value:
            catalog.focus()
        self.refresh_list()
        self.find_missing()
        self.call_after_refresh(self._first_paint)

    def _first_paint(self) -> None:
        if not self._painted:
            self._painted = True
            self.lab_app.catalog_painted()
            # The full catalog (pydantic) and Docker's SDK are slow to import: both
            # load once the first frame is on screen.
            if self._from_cache:
                self.load()
            self.probe()

    @work(thread=True, exclusive=True, exit_on_error=False, group="missing", name="missing")
    def find_missing(self) -> dict[str, list[str]]:
        """What each lab lacks here: probes of their own (an image on the engine, a
        sandbox that must start) may take seconds, so never on the UI thread."""
        availability = self.availability
        if availability is None:
            return {}
        scenarios = {e.id: e.scenario for e in self.lab_app.loaded_entries if e.scenario}
        return {
            row.id: availability.missing(sc)
            for row in list(self.rows)
            if not row.broken and (sc := scenarios.get(row.id)) is not None
        }

    def on_resize(self) -> None:
        if self.rows:
            self.refresh_list()

    def refresh_list(self) -> None:
        query = self.query_one("#filter", Input).value
        self.query_one(CatalogList).show(self.rows, query)
        self._status()

    def _status(self) -> None:
        query = self.query_one("#filter", Input).value
        shown = [r for r in self.rows if r.matches(query)]
        text = f"{len(shown)} of {len(self.rows)} scenarios"
        broken = sum(1 for r in self.rows if r.broken)
        if broken:
            text += f" · {broken} broken"
        if self.availability is None:
            text += " · checking Docker, kind and kubectl…"
        elif self.availability.docker_error:
            text += " · Docker is not reachable"
        self.query_one("#catalog-status", Static).update(Content(text))

    def reload_progress(self) -> None:
        """Statuses change after a lab; re-read them off the UI thread."""
        self.query_one(CatalogList).focus()
        if self.rows:
            self.load()

    # -- filtering

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        if self.rows:
            self.refresh_list()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.action_open()

    def on_key(self, event: events.Key) -> None:
        """Typing anywhere filters; arrows move through the list while the filter has focus."""
        field = self.query_one("#filter", Input)
        catalog = self.query_one(CatalogList)
        moves: dict[str, Callable[[], object]] = {
            "up": catalog.action_cursor_up,
            "down": catalog.action_cursor_down,
            "pageup": catalog.action_page_up,
            "pagedown": catalog.action_page_down,
        }
        if self.focused is field and event.key in moves:
            moves[event.key]()
            event.stop()
        elif (
            self.focused is catalog
            and event.is_printable
            and event.character
            and event.key not in OWN_KEYS
        ):
            field.focus()
            field.insert_text_at_cursor(event.character)
            event.stop()
        elif event.key == "escape" and self.focused is field:
            field.value = ""
            catalog.focus()
            event.stop()

    # -- actions

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    @on(OptionList.OptionSelected, "#catalog")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.open_id(event.option.id)

    def action_open(self) -> None:
        option = self.query_one(CatalogList).highlighted_option
        if option is None or option.id is None:
            self.notify("Nothing matches the filter.", markup=False)
            return
        self.open_id(option.id)

    def open_id(self, option_id: str) -> None:
        if option_id.startswith(BROKEN_PREFIX):
            row = next((r for r in self.rows if r.key == option_id[len(BROKEN_PREFIX) :]), None)
            problems = "\n".join(row.problems) if row else ""
            self.notify(
                f"This scenario cannot be loaded:\n{problems}",
                title="Broken scenario",
                severity="error",
                markup=False,
            )
            return
        if not self.lab_app.loaded_entries:
            # Painted from the index; the scenarios themselves are still loading.
            self._pending_open = option_id
            self.query_one("#catalog-status", Static).update(Content(f"opening {option_id}…"))
            return
        self.lab_app.open_scenario(option_id)

    def action_environment(self) -> None:
        self.lab_app.open_environment()

    def action_help(self) -> None:
        from labtui.ui.screens.modals import HelpScreen

        self.app.push_screen(
            HelpScreen(
                self,
                "Type to filter the catalog; enter opens the highlighted "
                "scenario. Dimmed scenarios cannot run here but can be read.",
            )
        )

    def action_quit(self) -> None:
        self.app.exit()
