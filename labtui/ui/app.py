"""The learner's app: catalog -> lab -> completion, plus the environment screen.

Startup stays lean: this module imports Textual only. The catalog (YAML +
pydantic), the progress store and the Docker probe load in thread workers after
the first frame, so the app paints at once and never waits on the engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App

from labtui.ui.commands import LabCommands
from labtui.ui.exam_commands import ExamCommands

if TYPE_CHECKING:
    from labtui.doctor import Diagnosis
    from labtui.engine.handoff import Handoff
    from labtui.engine.requirements import Availability
    from labtui.engine.session import Session
    from labtui.scenario.catalog import Catalog, Entry
    from labtui.scenario.model import Scenario
    from labtui.state.progress import ProgressStore, ScenarioProgress


class LabApp(App[None]):
    CSS_PATH = Path(__file__).parent / "app.tcss"
    TITLE = "labtui"
    COMMANDS = App.COMMANDS | {LabCommands, ExamCommands}
    # Screens narrower than 100 cells (80x24 is the classic terminal) get the class -narrow,
    # lower than 30 lines -short: app.tcss gives them a tighter layout, and 140 cells and
    # more (-very-wide) a roomier one.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (140, "-very-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]

    def __init__(
        self,
        scenario_dirs: Sequence[str | Path] = (),
        learner: str | None = None,
        *,
        catalog: Catalog | None = None,
        probe: Callable[[], Availability] | None = None,
        diagnose: Callable[[], Diagnosis] | None = None,
        cluster: str | None = None,
    ) -> None:
        super().__init__()
        self._scenario_dirs = list(scenario_dirs)
        self._learner = learner
        self._cluster = cluster
        self._catalog = catalog
        self._cacheable = catalog is None
        self._probe = probe
        self._diagnose = diagnose
        self._store: ProgressStore | None = None
        self._lock = threading.RLock()
        self.availability: Availability | None = None
        self.loaded_entries: list[Entry] = []
        # The learner's choice (t in a lab) holds for every lab until the app closes.
        self.show_tasks = True

    @property
    def cacheable(self) -> bool:
        """The catalog comes from the folders given (not a ready object), so its index can be used."""
        return self._cacheable

    @property
    def scenario_dirs(self) -> list[str | Path]:
        return self._scenario_dirs

    @property
    def learner(self) -> str | None:
        return self._learner

    @property
    def cluster_target(self) -> str | None:
        """``--context NAME`` as given: the existing cluster Kubernetes labs run on."""
        return self._cluster

    # -- engine access (called from workers)

    def catalog(self) -> Catalog:
        with self._lock:
            if self._catalog is None:
                from labtui.scenario.catalog import Catalog

                self._catalog = Catalog.discover(self._scenario_dirs)
            return self._catalog

    def catalog_entries(self) -> list[Entry]:
        with self._lock:
            entries = self.catalog().entries()
            self.loaded_entries = list(entries)
            return entries

    @property
    def store(self) -> ProgressStore:
        with self._lock:
            if self._store is None:
                from labtui.state.progress import ProgressStore

                self._store = ProgressStore(self._learner)
            return self._store

    def take_store_warnings(self) -> list[str]:
        with self._lock:
            if self._store is None:
                return []
            warnings = list(self._store.warnings)
            self._store.warnings.clear()
            return warnings

    def probe_availability(self) -> Availability:
        if self._probe is not None:
            return self._probe()
        from labtui.engine.requirements import Availability

        available = Availability.probe(cluster=self._cluster)
        import labtui.engine.session  # noqa: F401  (warm the import before a lab opens)

        return available

    def diagnose(self) -> Diagnosis:
        if self._diagnose is not None:
            return self._diagnose()
        from labtui.doctor import diagnose

        return diagnose(cluster=self._cluster)

    def session_for(self, entry: Entry) -> Session:
        from labtui.engine.session import Session

        assert entry.scenario is not None
        return Session(entry.scenario, entry.folder, store=self.store, cluster=self._cluster)

    def handoff_for(self, session: Session) -> Handoff:
        from labtui.engine.handoff import shell_handoff

        return shell_handoff(session.scenario, session.lab_dir, session.env)

    # -- navigation

    def on_mount(self) -> None:
        from labtui.ui.screens.catalog import CatalogScreen

        self.push_screen(CatalogScreen())

    def catalog_painted(self) -> None:
        """The catalog's first frame with scenarios is on screen (the startup benchmark hooks here)."""

    def _catalog_screen(self) -> Any:
        from labtui.ui.screens.catalog import CatalogScreen

        for screen in self.screen_stack:
            if isinstance(screen, CatalogScreen):
                return screen
        return None

    def back_to_catalog(self) -> None:
        catalog = self._catalog_screen()
        if catalog is None:
            return
        while self.screen is not catalog and len(self.screen_stack) > 1:
            self.pop_screen()
        catalog.reload_progress()

    def open_scenario(self, scenario_id: str) -> None:
        from labtui.ui.screens.lab import LabScreen

        entry = next((e for e in self.loaded_entries if e.id == scenario_id), None)
        if entry is None or entry.scenario is None:
            self.notify(f"No loadable scenario {scenario_id!r}.", severity="error", markup=False)
            return
        from labtui.engine.trust import is_trusted

        blocked = self.availability.missing(entry.scenario) if self.availability else []
        session = self.session_for(entry)
        catalog = self._catalog_screen()
        while catalog is not None and self.screen is not catalog and len(self.screen_stack) > 1:
            self.pop_screen()
        # A pack's scenario runs nothing until its owner has seen its commands and said yes.
        untrusted = None if entry.builtin or is_trusted(entry) else entry
        self.push_screen(LabScreen(session, blocked, untrusted=untrusted))

    def open_environment(self) -> None:
        from labtui.ui.screens.environment import EnvironmentScreen

        if not isinstance(self.screen, EnvironmentScreen):
            self.push_screen(EnvironmentScreen())

    def show_completion(
        self,
        scenario: Scenario,
        progress: ScenarioProgress,
        conclusion: str,
        available: list[str] | None = None,
    ) -> None:
        from labtui.ui.screens.completion import CompletionScreen

        self.push_screen(CompletionScreen(scenario, progress, conclusion, available))

    # -- errors

    def show_error(self, error: BaseException | None, doing: str) -> None:
        """A worker's error as a message a learner can act on; never a traceback."""
        from labtui.errors import LabError

        if isinstance(error, LabError):
            text = error.message + (f"\nWhat to do: {error.hint}" if error.hint else "")
        elif error is None:
            text = "unknown error"
        else:
            text = f"{type(error).__name__}: {error}"
        self.log.error(f"error while {doing}: {text}")
        self.notify(text, title=f"Error while {doing}", severity="error", timeout=12, markup=False)


def run_app(
    scenario_dirs: list[str] | None = None,
    learner: str | None = None,
    cluster: str | None = None,
) -> None:
    LabApp(scenario_dirs or [], learner, cluster=cluster).run()
