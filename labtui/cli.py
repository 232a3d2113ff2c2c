"""The ``labtui`` command. With no verb it opens the TUI (imported lazily).

Exit codes (stable; scripts depend on them): 0 success / all passed,
1 checks failed or invalid input, 2 usage error, 3 environment unavailable.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any

import click

from labtui import __version__
from labtui.cli_support import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    LabGroup,
    err,
    mark,
)
from labtui.cluster_cli import cluster_given, cluster_learner, cluster_option, context_option
from labtui.errors import ChecksFailed, EnvironmentUnavailable, InvalidInput

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "err",
    "main",
    "mark",
]

MAX_ANSWER_BYTES = 4_000_000

# Verbs that live in their own modules, imported only when used: `labtui check`
# must not pay for cryptography, textual-serve or the NetworkPolicy engine.
LAZY_COMMANDS = {
    "cluster": "labtui.cluster_cli:cluster",
    "netpol": "labtui.netpol.cli:netpol",
    "pki": "labtui.pki.cli:pki",
    "new": "labtui.classroom_cli:new_cmd",
    "exam": "labtui.classroom_cli:exam_cmd",
    "report": "labtui.classroom_cli:report_cmd",
    "serve": "labtui.classroom_cli:serve_cmd",
}


class LazyGroup(LabGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            import importlib

            module, _, attr = LAZY_COMMANDS[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)


class Obj:
    def __init__(
        self,
        scenarios: tuple[str, ...],
        learner: str | None,
        trust: bool = False,
        cluster: str | None = None,
    ) -> None:
        self.scenario_dirs = scenarios
        self.learner = learner
        self.trust = trust
        # ``--cluster``/``--context`` as given (kind, node, context:NAME); None lets
        # ``LABTUI_CLUSTER`` / ``LABTUI_CONTEXT`` (or kind clusters) decide.
        self.cluster_target = cluster

    @functools.cached_property
    def catalog(self) -> Any:
        from labtui.scenario.catalog import Catalog

        return Catalog.discover(self.scenario_dirs)

    @functools.cached_property
    def store(self) -> Any:
        from labtui.state.progress import ProgressStore

        return ProgressStore(self.learner)

    def session(self, scenario_id: str, runs: bool = True) -> Any:
        """The scenario's session; ``runs`` when the verb will run the scenario's commands."""
        from labtui.engine.session import Session
        from labtui.scenario.catalog import UnknownScenario

        try:
            entry = self.catalog.find(scenario_id)
        except UnknownScenario as exc:
            raise InvalidInput(str(exc), "`labtui list` shows every scenario") from None
        if entry.scenario is None:
            details = "\n".join(str(p) for p in entry.problems)
            raise InvalidInput(
                f"scenario {scenario_id} is broken:\n{details}",
                "fix the file, then `labtui validate`",
            )
        if runs:
            self.ensure_trusted(entry)
        session = Session(
            entry.scenario, entry.folder, store=self.store, cluster=self.cluster_target
        )
        self.warn_store()
        return session

    def ensure_trusted(self, entry: Any) -> None:
        """A scenario from an instructor pack runs commands: show them and ask once."""
        from labtui.engine.trust import is_trusted, trust

        if is_trusted(entry):
            return
        if not self.trust:
            if not sys.stdin.isatty():
                raise InvalidInput(
                    f"scenario {entry.id} comes from {entry.folder.parent}, which is not trusted yet",
                    "read its commands (`labtui trust " + entry.id + "`), then rerun with --trust",
                )
            err(f"scenario {entry.id} comes from {entry.folder.parent} and will:")
            show_review(entry.scenario, to_stderr=True)
            if not click.confirm("Trust this scenario and run it?", default=False, err=True):
                raise InvalidInput(f"scenario {entry.id} was not trusted; nothing was run")
        trust(entry)

    def warn_store(self) -> None:
        for w in self.store.warnings:
            err(f"warning: {w}")
        self.store.warnings.clear()


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--scenarios",
    "scenarios",
    multiple=True,
    type=click.Path(file_okay=False),
    help="An extra scenario pack folder (repeatable; also LABTUI_SCENARIOS_PATH).",
)
@click.option(
    "--learner",
    help="Who you are: your progress, lab folders and containers, and your namespace on a "
    "shared cluster (default: the OS user; on --context, who the cluster says you are).",
)
@click.option(
    "--trust",
    "trust_packs",
    is_flag=True,
    help="Trust scenarios from extra packs without asking (for CI); they run commands.",
)
@cluster_option
@context_option
@click.version_option(__version__, prog_name="labtui")
@click.pass_context
def main(
    ctx: click.Context,
    scenarios: tuple[str, ...],
    learner: str | None,
    trust_packs: bool,
    cluster: str | None,
    kube_context: str | None,
) -> None:
    """Kubernetes-security labs in the terminal. With no command, opens the app."""
    cluster = cluster_given(cluster, kube_context)
    learner = learner or cluster_learner(cluster)
    from labtui.state import paths

    paths.use_learner(learner)
    ctx.obj = Obj(scenarios, learner, trust=trust_packs, cluster=cluster)
    if ctx.invoked_subcommand is None:
        from labtui.ui.app import run_app

        run_app(scenario_dirs=list(scenarios), learner=learner, cluster=cluster)


@main.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_cmd(obj: Obj, as_json: bool) -> None:
    """List every scenario, broken ones with their problems."""
    from labtui.engine.requirements import Availability, task_missing

    available = Availability.probe(cluster=obj.cluster_target)
    rows = []
    for e in obj.catalog.entries():
        sc = e.scenario
        sp = obj.store.get(e.id) if sc else None
        runnable = (
            [
                t.id
                for t in sc.tasks
                if not task_missing(
                    t.requires, available.docker_error, sc.tools, available.choice.mode == "node"
                )
            ]
            if sc
            else []
        )
        total = len(runnable)
        passed = sp.passed_count(runnable) if sp else 0
        rows.append(
            {
                "id": e.id,
                "title": e.title,
                "topic": sc.topic.value if sc else None,
                "difficulty": sc.difficulty.value if sc else None,
                "minutes": sc.minutes if sc else None,
                "requires": [r.value for r in sc.requires] if sc else [],
                "tasks": total,
                "passed": passed,
                "source": e.source,
                "broken": e.broken,
                "problems": [str(p) for p in e.problems],
                "unavailable": available.missing(sc) if sc else [],
            }
        )
    obj.warn_store()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        if r["broken"]:
            click.echo(
                f"{click.style('BROKEN', fg='red')}  {r['id']}  ({len(r['problems'])} problems)"
            )
            for p in r["problems"]:
                click.echo(f"    {p}")
            continue
        if not r["tasks"]:
            status = "-"  # nothing can run here; the reason follows
        else:
            status = "done" if r["passed"] == r["tasks"] else f"{r['passed']}/{r['tasks']}"
        click.echo(
            f"{r['id']:<28} {r['topic']:<12} {r['difficulty']:<12} {r['minutes']:>3} min  "
            f"{','.join(r['requires']):<14} {status:<6} {r['title']}"
        )
        if r["unavailable"]:
            click.echo(f"    unavailable here: {'; '.join(r['unavailable'])}")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.pass_obj
def validate(obj: Obj, paths: tuple[str, ...]) -> None:
    """Validate scenario files, folders or packs (default: every known scenario)."""
    from labtui.scenario.catalog import Catalog

    catalog = Catalog([Path(p) for p in paths], include_builtin=False) if paths else obj.catalog
    entries = catalog.entries()
    bad = 0
    for e in entries:
        if e.broken:
            bad += 1
            for p in e.problems:
                click.echo(str(p))
    for sid, dupes in catalog.duplicates().items():
        bad += 1
        click.echo(
            f"{dupes[-1].folder}: id {sid!r} is also used by {', '.join(str(d.folder) for d in dupes[:-1])}"
        )
    if not entries:
        raise InvalidInput("no scenario.yaml found in " + (", ".join(paths) or "the catalog"))
    summary = f"{len(entries) - bad} of {len(entries)} scenarios valid"
    click.echo(summary if not bad else click.style(summary, fg="red"), err=bool(bad))
    if bad:
        raise ChecksFailed()


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def doctor(obj: Obj, as_json: bool) -> None:
    """What this machine can run, and what labs left behind."""
    from labtui.doctor import diagnose

    d = diagnose(cluster=obj.cluster_target)
    if as_json:
        click.echo(json.dumps(d.to_dict(), indent=2))
        return
    colors = {"ok": "green", "warn": "yellow", "fail": "red", "info": "blue"}
    for item in d.items:
        status = click.style(f"{item.status.upper():<5}", fg=colors[item.status])
        click.echo(f"{status} {item.name:<11} {item.detail}")
        if item.fix and item.status != "ok":
            click.echo(f"      {'':<11} → {item.fix}")
    for left in d.leftovers:
        click.echo(
            f"      leftover {left.kind} {left.name} (scenario {left.scenario}) {left.detail}"
        )


@main.command()
@click.argument("scenario_id")
@click.pass_obj
def up(obj: Obj, scenario_id: str) -> None:
    """Create a scenario's environment (idempotent)."""
    session = obj.session(scenario_id)
    session.up(progress=lambda m: err(f"… {m}"))
    click.echo(f"{scenario_id} is up; lab directory: {session.lab_dir}")


@main.command()
@click.argument("scenario_id")
@click.pass_obj
def down(obj: Obj, scenario_id: str) -> None:
    """Remove everything a scenario created for you (not other learners' labs)."""
    session = obj.session(scenario_id, runs=False)
    report = session.down(progress=lambda m: err(f"… {m}"))
    for name in report.removed:
        click.echo(f"removed container {name}")
    for image in report.images:
        click.echo(f"removed image {image}")
    for name in report.left:
        click.echo(f"left container {name}: it existed before this lab started")
    for name in report.others:
        click.echo(f"left container {name}: another learner's lab holds it")
    click.echo(f"{scenario_id} is down")


def _print_task(session: Any, result: Any) -> None:
    task = session.task(result.task_id)
    click.echo(f"{mark(result.passed)} {task.id}  {task.title}")
    for r in result.results:
        line = f"    {mark(r.passed)} {r.label}: {r.message}"
        click.echo(line)
        if not r.passed and (r.expected is not None or r.actual is not None):
            click.echo(f"        expected: {r.expected}")
            click.echo(f"        actual:   {r.actual}")


@main.command()
@click.argument("scenario_id")
@click.option("--task", "task_id", help="Check one task (default: every task).")
@click.option(
    "--answer", help="Your answer for an answer task (data: never run); - reads it from stdin."
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def check(
    obj: Obj, scenario_id: str, task_id: str | None, answer: str | None, as_json: bool
) -> None:
    """Run the checks of a scenario's tasks."""
    session = obj.session(scenario_id)
    if answer == "-":
        answer = sys.stdin.read(MAX_ANSWER_BYTES + 1)
        if len(answer) > MAX_ANSWER_BYTES:
            raise click.BadParameter(
                f"longer than {MAX_ANSWER_BYTES} characters", param_hint="--answer"
            )
    if answer is not None and task_id is None:
        answer_tasks = [t.id for t in session.scenario.tasks if t.needs_answer]
        if len(answer_tasks) != 1:
            raise click.UsageError(
                f"--answer needs --task here (this scenario has {len(answer_tasks)} answer tasks)"
            )
        task_id = answer_tasks[0]
    task_ids = [session.task(task_id).id] if task_id else [t.id for t in session.scenario.tasks]
    results = session.check(task_ids, {task_id: answer} if task_id and answer is not None else None)
    # Checking a whole lab, tasks that need a tool this machine lacks are set aside, not failed.
    skipped = {tr.task_id for tr in results if not task_id and session.task_missing(tr.task_id)}
    unavailable = [
        r for tr in results if tr.task_id not in skipped for r in tr.results if r.unavailable
    ]
    passed = all(tr.passed for tr in results if tr.task_id not in skipped)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "scenario": scenario_id,
                    "passed": passed,
                    "tasks": [tr.to_dict() for tr in results],
                    "skipped": sorted(skipped),
                },
                indent=2,
            )
        )
    else:
        for tr in results:
            if tr.task_id in skipped:
                task = session.task(tr.task_id)
                click.echo(f"- {task.id}  {task.title}")
                click.echo(f"    skipped: {'; '.join(session.task_missing(tr.task_id))}")
                continue
            _print_task(session, tr)
    if unavailable:
        raise EnvironmentUnavailable(unavailable[0].message, unavailable[0].hint or "")
    if not passed:
        raise ChecksFailed()


@main.command()
@click.argument("scenario_id")
@click.option("--task", "task_id", help="Solve one task (default: every task).")
@click.option(
    "--verify",
    is_flag=True,
    help="Prove the scenario: checks fail before each solution and pass after (resets the lab).",
)
@click.pass_obj
def solve(obj: Obj, scenario_id: str, task_id: str | None, verify: bool) -> None:
    """Apply the reference solution (marked in your progress), or --verify the scenario."""
    session = obj.session(scenario_id)
    if verify:
        _verify(session)
        return
    if not session.is_up:
        session.up(progress=lambda m: err(f"… {m}"))
    tasks = [session.task(task_id)] if task_id else session.scenario.tasks
    ok = True
    for t in tasks:
        session.reveal_solution(t.id)
        for step in session.solution_steps(t.id):
            click.echo(f"$ {step}")
        session.apply_solution(t.id)
        tr = session.check(t.id)
        _print_task(session, tr)
        ok = ok and tr.passed
    if not ok:
        raise ChecksFailed()


def _verify(session: Any) -> None:
    from labtui.engine.verify import verify

    report = verify(
        session.scenario,
        session.folder,
        docker=session.docker,
        progress=lambda m: err(f"… {m}"),
        cluster=session.cluster_choice,
    )
    width = max([len(t.task_id) for t in report.tasks] + [4])
    click.echo(f"{'task':<{width}}  {'before (must fail)':<20} {'after (must pass)':<20} verdict")
    for t in report.tasks:
        before = t.before.results if t.before else []
        after = t.after.results if t.after else []
        b = f"{sum(not r.passed for r in before)}/{len(before)} failed"
        a = f"{sum(r.passed for r in after)}/{len(after)} passed" if t.after else "-"
        if t.skipped is not None:
            click.echo(f"{t.task_id:<{width}}  {'-':<20} {'-':<20} skipped: {t.skipped}")
            continue
        click.echo(f"{t.task_id:<{width}}  {b:<20} {a:<20} {mark(t.ok)}")
        for name in t.failed_before:
            click.echo(f"    passed before the solution (cannot fail?): {name}")
        for r in after:
            if not r.passed:
                click.echo(f"    failed after the solution: {r.label}: {r.message}")
        if t.error:
            click.echo(f"    {t.error}")
    if report.error:
        click.echo(report.error)
    skipped = f" ({len(report.skipped)} task(s) skipped: not passed)" if report.skipped else ""
    click.echo(f"{session.scenario.id}: {'verified' if report.ok else 'NOT verified'}{skipped}")
    if not report.ok:
        raise ChecksFailed()


@main.command()
@click.option(
    "--all",
    "everyone",
    is_flag=True,
    help="Also remove other learners' labs on this Docker engine, and labs of an older labtui.",
)
@click.pass_obj
def clean(obj: Obj, everyone: bool) -> None:
    """Remove every container and lab state labtui created for you, and nothing else."""
    from labtui.doctor import clean as do_clean

    report = do_clean(obj.catalog, everyone=everyone, cluster=obj.cluster_target)
    for what in report.removed:
        click.echo(f"removed {what}")
    for what in report.left:
        click.echo(f"left {what}")
    if not report.removed:
        click.echo("nothing to clean")
    if report.others:
        click.echo(
            f"left {len(report.others)} containers and images of other learners' labs "
            "(or of an older labtui); `labtui clean --all` removes every learner's labs"
        )


def show_review(scenario: Any, to_stderr: bool) -> None:
    """Every command and setting of a scenario; what widens access is marked and counted."""
    from labtui.engine.trust import preview

    findings = preview(scenario)
    for f in findings:
        line = f"  {f.where}: {f.text}"
        if f.risk:
            line = click.style(f"! {line[2:]}\n    {f.risk}", fg="red", bold=True)
        click.echo(line, err=to_stderr)
    risky = sum(1 for f in findings if f.risk)
    if risky:
        click.echo(
            click.style(f"{risky} of these reach beyond the lab (marked !)", fg="red", bold=True),
            err=to_stderr,
        )


@main.command("trust")
@click.argument("scenario_id")
@click.option("--yes", is_flag=True, help="Trust without asking.")
@click.pass_obj
def trust_cmd(obj: Obj, scenario_id: str, yes: bool) -> None:
    """Show what a pack's scenario runs and which settings widen access, and trust it."""
    from labtui.engine.trust import is_trusted

    session = obj.session(scenario_id, runs=False)
    entry = obj.catalog.find(scenario_id)
    click.echo(f"{scenario_id} ({entry.source}) will:")
    show_review(session.scenario, to_stderr=False)
    if is_trusted(entry):
        click.echo("trusted")
        return
    obj.trust = yes
    obj.ensure_trusted(entry)
    click.echo("trusted")


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario.yaml (for editors)."""
    from labtui.scenario.model import json_schema

    click.echo(json.dumps(json_schema(), indent=2))
