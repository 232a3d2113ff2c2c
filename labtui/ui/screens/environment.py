"""What this machine offers (doctor) and what labs left behind, with clean-up actions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import LoadingIndicator, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from labtui.ui.screens.base import LabAppScreen
from labtui.ui.widgets.footer import FittingFooter
from labtui.ui.widgets.lab_widgets import StatusLine

if TYPE_CHECKING:
    from labtui.doctor import CleanReport, Diagnosis
    from labtui.engine.session import DownReport

MARKS = {
    "ok": ("✓", "$success"),
    "warn": ("!", "$warning"),
    "fail": ("✗", "$error"),
    "info": ("·", "$accent"),
}


def item_rows(d: Diagnosis) -> list[Horizontal]:
    """One row per doctor item: mark and name in a column, detail and fix wrapping beside it."""
    rows = []
    for item in d.items:
        mark, style = MARKS.get(item.status, ("·", ""))
        name = Static(
            Content.assemble((f"{mark} ", style), (item.name, "bold")), classes="doctor-name"
        )
        detail: list[str | tuple[str, str]] = [item.detail]
        if item.fix and item.status != "ok":
            detail += ["\n", ("→ " + item.fix, "$text-muted")]
        rows.append(
            Horizontal(
                name,
                Static(Content.assemble(*detail), classes="doctor-detail"),
                classes="doctor-row",
            )
        )
    return rows


class EnvironmentScreen(LabAppScreen):
    BINDINGS = [
        Binding("d", "down", "Down selected lab", id="environment.down"),
        Binding("x", "clean", "Clean my labs", id="environment.clean"),
        Binding("f5,ctrl+r", "refresh", "Refresh", id="environment.refresh"),
        Binding("escape", "back", "Back", id="environment.back"),
        Binding("question_mark", "help", "Help", id="environment.help"),
        Binding("q", "quit", "Quit", id="environment.quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.diagnosis: Diagnosis | None = None

    def compose(self) -> ComposeResult:
        yield Static(
            Content.assemble(
                ("Environment", "bold"), ("  what this machine can run", "$text-muted")
            ),
            id="title-bar",
        )
        yield LoadingIndicator(id="env-loading")
        with VerticalScroll(id="env-body"):
            yield Vertical(id="doctor")
            yield Static(Content.assemble(("Leftover lab resources", "bold")), id="leftovers-title")
            yield OptionList(id="leftovers")
        yield StatusLine(id="status")
        yield FittingFooter(leave_out=("quit", "refresh", "help"))

    def on_mount(self) -> None:
        self.query_one("#env-body").display = False
        self.action_refresh()

    @work(thread=True, exclusive=True, exit_on_error=False, group="doctor", name="diagnose")
    def diagnose(self) -> Diagnosis:
        return self.lab_app.diagnose()

    @work(thread=True, exclusive=True, exit_on_error=False, group="doctor", name="clean")
    def clean(self) -> CleanReport:
        from labtui.doctor import clean

        return clean(self.lab_app.catalog())

    @work(thread=True, exclusive=True, exit_on_error=False, group="doctor", name="down")
    def down(self, scenario_id: str) -> DownReport:
        from labtui.errors import InvalidInput

        entry = self.lab_app.catalog().find(scenario_id)
        if entry.scenario is None:
            raise InvalidInput(f"scenario {scenario_id} is broken; use clean instead")
        return self.lab_app.session_for(entry).down()

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        worker: Worker[Any] = event.worker
        status = self.query_one(StatusLine)
        texts = {
            "diagnose": "asking Docker, kind and kubectl…",
            "clean": "cleaning up…",
            "down": "taking the lab down…",
        }
        if worker.state == WorkerState.RUNNING:
            status.busy(texts.get(worker.name, "working…"))
            return
        status.busy(None)
        if worker.state == WorkerState.ERROR:
            self.query_one(LoadingIndicator).display = False
            self.lab_app.show_error(worker.error, texts.get(worker.name, "working").rstrip("…"))
        elif worker.state == WorkerState.SUCCESS:
            if worker.name == "diagnose":
                self._show(cast("Diagnosis", worker.result))
            elif worker.name == "clean":
                report = cast("CleanReport", worker.result)
                done = ", ".join(report.removed) or "nothing to clean"
                self.notify(
                    f"Removed: {done}"
                    + (f"\nLeft: {', '.join(report.left)}" if report.left else ""),
                    title="Clean",
                    markup=False,
                )
                self.action_refresh()
            elif worker.name == "down":
                down = cast("DownReport", worker.result)
                self.notify(
                    "Removed: " + (", ".join(down.removed) or "lab state only"), markup=False
                )
                self.action_refresh()

    def _show(self, d: Diagnosis) -> None:
        self.diagnosis = d
        self.query_one(LoadingIndicator).display = False
        self.query_one("#env-body").display = True
        doctor = self.query_one("#doctor", Vertical)
        doctor.remove_children()
        doctor.mount_all(item_rows(d))
        leftovers = self.query_one("#leftovers", OptionList)
        options = []
        for left in d.leftovers:
            detail = f"  {left.detail}" if left.detail else ""
            options.append(
                Option(
                    Content.assemble(
                        (f"{left.kind:<10}", "$text-muted"),
                        (left.name, "bold"),
                        (f"  lab {left.scenario}{detail}", "$text-muted"),
                    ),
                    id=f"{left.kind}:{left.scenario}:{left.name}",
                )
            )
        if not options:
            options.append(Option(Content("nothing left behind"), disabled=True))
        leftovers.set_options(options)

    def action_refresh(self) -> None:
        self.query_one(LoadingIndicator).display = self.diagnosis is None
        self.diagnose()

    def action_down(self) -> None:
        from labtui.ui.screens.modals import ConfirmScreen

        option = self.query_one("#leftovers", OptionList).highlighted_option
        if option is None or option.id is None:
            self.notify("Select a leftover lab resource first.", markup=False)
            return
        scenario_id = option.id.split(":")[1]

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.down(scenario_id)

        self.app.push_screen(
            ConfirmScreen(
                f"Take lab {scenario_id} down?",
                "Its containers and lab directory are removed.",
                "Down",
            ),
            confirmed,
        )

    def action_clean(self) -> None:
        from labtui.ui.screens.modals import ConfirmScreen

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.clean()

        self.app.push_screen(
            ConfirmScreen(
                "Remove everything labtui created for you?",
                "Your lab containers and lab directories go; other learners' labs and "
                "your progress stay (`labtui clean --all` removes every learner's labs).",
                "Clean",
            ),
            confirmed,
        )

    def action_back(self) -> None:
        self.dismiss(None)

    def action_help(self) -> None:
        from labtui.ui.screens.modals import HelpScreen

        self.app.push_screen(
            HelpScreen(self, "Doctor's view of this machine and leftovers of labs.")
        )

    def action_quit(self) -> None:
        self.app.exit()
