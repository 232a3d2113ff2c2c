"""Instructor and classroom verbs: ``new``, ``exam``, ``report`` and ``serve``."""

from __future__ import annotations

import getpass
import os
import select
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from labtui.cli_support import err, mark
from labtui.errors import ChecksFailed, InvalidInput

# --------------------------------------------------------------------------- new


@click.command("new")
@click.argument("scenario_id")
@click.option(
    "--requires",
    type=click.Choice(["local", "docker", "kind"]),
    default="local",
    show_default=True,
    help="What the example drives: files only, containers, or a kind cluster.",
)
@click.option(
    "--dir",
    "parent",
    type=click.Path(file_okay=False),
    default=".",
    help="The pack folder to create the scenario in (default: here).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing scenario.yaml.")
def new_cmd(scenario_id: str, requires: str, parent: str, force: bool) -> None:
    """Create a commented example scenario that validates and verifies as generated."""
    from labtui.authoring import new_scenario

    made = new_scenario(scenario_id, Path(parent), requires, force)
    click.echo(f"created {made.scenario_file}")
    if made.schema_file:
        click.echo(f"created {made.schema_file} (the JSON Schema editors use)")
    pack = shlex.quote(parent)
    click.echo("next:")
    click.echo(f"  labtui --scenarios {pack} validate")
    click.echo(f"  labtui --scenarios {pack} solve {scenario_id} --verify")


# --------------------------------------------------------------------------- report


@click.command("report")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "junit", "markdown"]),
    default="markdown",
    show_default=True,
)
@click.option(
    "--out", type=click.Path(dir_okay=False), help="Write to this file (default: stdout)."
)
@click.option("--learner", help="Whose progress (default: --learner of labtui, or the OS user).")
@click.option("--all", "everything", is_flag=True, help="Every scenario, also those not started.")
@click.option(
    "--exam",
    "exam",
    metavar="latest|FILE",
    help="Report a saved exam result instead of progress (`latest`: the newest).",
)
@click.pass_obj
def report_cmd(
    obj: Any, fmt: str, out: str | None, learner: str | None, everything: bool, exam: str | None
) -> None:
    """Per scenario and task: passed, attempts, hints, solutions, time (JSON, JUnit, Markdown)."""
    from labtui.engine import report as rp
    from labtui.state.paths import default_learner, safe_name
    from labtui.state.progress import ProgressStore

    name = safe_name(learner or obj.learner or default_learner())
    if exam is not None:
        from labtui.engine.exam import load_result, saved_results

        if exam == "latest":
            results = saved_results(name)
            if not results:
                raise InvalidInput(
                    f"no saved exam results for {name}", "run `labtui exam PACK` first"
                )
            path = results[-1]
        else:
            path = Path(exam)
        report = load_result(path).report()
    else:
        store = ProgressStore(name)
        progress = store.load()
        for w in store.warnings:
            err(f"warning: {w}")
        report = rp.from_progress(progress, obj.catalog.entries(), name, everything)
    text = rp.render(report, fmt)
    if out:
        Path(out).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        err(f"wrote {out} ({report.passed}/{report.tasks} tasks passed)")
    else:
        click.echo(text)


# --------------------------------------------------------------------------- exam


def _read_line(prompt: str, timeout: float) -> str | None:
    """A line from stdin, or None when the time runs out or stdin ends."""
    click.echo(prompt, nl=False)
    stream = sys.stdin
    fileno: int | None
    try:
        fileno = stream.fileno()
    except (OSError, ValueError, AttributeError):
        fileno = None
    if fileno is not None:
        ready, _, _ = select.select([fileno], [], [], max(0.0, timeout))
        if not ready:
            click.echo("")
            return None
    line = stream.readline()
    return line.rstrip("\n") if line else None


def _clock(seconds: float) -> str:
    s = int(seconds)
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
        if s >= 3600
        else f"{s // 60:02d}:{s % 60:02d}"
    )


def _show_item(exam: Any, item: Any) -> None:
    from labtui.checks.choice import order, render_options
    from labtui.scenario.model import ChoiceCheck

    session = exam.session(item)
    click.echo("")
    head = (
        f"[{_clock(exam.remaining)} left] {item.number}/{len(exam.items)}  "
        f"{item.scenario.id}/{item.task.id}  (weight {item.weight:g})"
    )
    click.secho(head, bold=True)
    click.secho(item.task.title, bold=True)
    if item.task.instructions:
        click.echo(session.render(item.task.instructions).rstrip())
    for check in item.task.checks:
        if isinstance(check, ChoiceCheck):
            if check.question:
                click.echo(session.render(check.question))
            shown = order(check, exam.learner, item.scenario.id, item.task.id)
            click.echo(render_options(shown))
    if not item.task.needs_answer:
        click.echo(f"(do this in your shell; lab directory: {session.lab_dir})")


def _choice_problem(exam: Any, item: Any, text: str) -> str | None:
    """Why a multiple-choice answer names no option (asked again instead of scored wrong)."""
    from labtui.checks.choice import BadAnswer, order, parse_answer
    from labtui.scenario.model import ChoiceCheck

    for check in item.task.checks:
        if isinstance(check, ChoiceCheck):
            try:
                parse_answer(text, order(check, exam.learner, item.scenario.id, item.task.id))
            except BadAnswer as exc:
                return str(exc)
    return None


def _prompt_loop(exam: Any) -> None:
    """Tasks in order, round and round, until :finish, end of input, or the time runs out."""
    from labtui.engine.exam import ExamOver

    click.echo("commands: an answer, Enter (next), :N (go to task N), :list, :finish")
    i = 0
    while not exam.expired:
        item = exam.items[i]
        _show_item(exam, item)
        mark = "answered" if exam.answered(item) else "no answer"
        prompt = (
            f"answer ({mark}) > " if item.task.needs_answer else "Enter when done, or a command > "
        )
        line = _read_line(prompt, exam.remaining)
        if line is None:
            break
        text = line.strip()
        if text in (":finish", ":f", ":q"):
            break
        if text == ":list":
            for it in exam.items:
                state = (
                    "answered" if exam.answered(it) else ("-" if it.task.needs_answer else "lab")
                )
                click.echo(f"  {it.number:>2}. {it.scenario.id}/{it.task.id}  {state}")
            continue
        if text.startswith(":") and text[1:].isdigit():
            n = int(text[1:])
            if 1 <= n <= len(exam.items):
                i = n - 1
            else:
                click.echo(f"tasks are numbered 1 to {len(exam.items)}")
            continue
        if text and item.task.needs_answer:
            problem = _choice_problem(exam, item, text)
            if problem:
                click.echo(problem)
                continue
            try:
                exam.answer(item, text)
            except ExamOver:
                break
        elif text:
            click.echo("this task is done in the lab, not answered here")
            continue
        i = (i + 1) % len(exam.items)
        if i == 0:
            click.echo("\nthat was the last task: go round again, or :finish")
    if exam.expired:
        click.secho("\ntime is up", fg="yellow", bold=True)


def _load_answers(path: Path, exam: Any) -> dict[str, str]:
    """``scenario/task: answer`` or ``scenario: {task: answer}``, YAML or JSON."""
    from labtui.scenario.loader import parse_text

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read answers file {path}: {exc}") from None
    data, _, problems = parse_text(text, str(path))
    if problems:
        raise InvalidInput("\n".join(str(p) for p in problems))
    if not isinstance(data, dict):
        raise InvalidInput(
            f"{path}: answers are a mapping of scenario/task: answer",
            "e.g. `security-principles/attack-surface: b`",
        )
    flat: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            for task, answer in value.items():
                flat[f"{key}/{task}"] = str(answer)
        else:
            flat[str(key)] = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    keys = {it.key for it in exam.items}
    unknown = sorted(set(flat) - keys)
    if unknown:
        raise InvalidInput(
            f"{path}: {unknown[0]} is not a task of this exam", f"tasks: {', '.join(sorted(keys))}"
        )
    return flat


@click.command("exam")
@click.argument("pack")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True), help="Time limit.")
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Answers as YAML (scenario/task: answer) for CI: no prompts, scored at once.",
)
@click.option("--learner", help="Who sits the exam (default: --learner of labtui, or the OS user).")
@click.option(
    "--junit", type=click.Path(dir_okay=False), help="Also write the result as JUnit XML."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--tui", is_flag=True, help="Sit the exam in the app (countdown in the header).")
@click.pass_obj
def exam_cmd(
    obj: Any,
    pack: str,
    minutes: float | None,
    answers_file: str | None,
    learner: str | None,
    junit: str | None,
    as_json: bool,
    tui: bool,
) -> None:
    """A timed exam: PACK is an exam .yaml, a pack folder, or a scenario id. No hints, no solutions."""
    import json

    from labtui.engine.exam import Exam, plan_exam
    from labtui.engine.report import to_junit
    from labtui.state.paths import default_learner

    plan = plan_exam(pack, list(obj.scenario_dirs))
    for entry in plan.entries.values():
        obj.ensure_trusted(entry)
    who = learner or obj.learner or default_learner()
    if tui:
        if answers_file:
            raise click.UsageError("--answers is for headless runs: leave out --tui")
        from labtui.ui.screens.exam import run_exam_app

        done = run_exam_app(plan, who, minutes, obj.cluster_target)
        if done is None:
            raise ChecksFailed()
        click.echo(f"score {done.score:g}/{done.max_score:g} ({done.percent:.0f}%)")
        if not done.passed:
            raise ChecksFailed()
        return
    exam = Exam(plan, who, minutes=minutes, cluster=obj.cluster_target)
    answers = _load_answers(Path(answers_file), exam) if answers_file else None
    click.echo(
        f"Exam: {plan.definition.title}: {len(exam.items)} tasks, {_clock(exam.limit)} "
        f"(each lab starts afresh; no hints or solutions)",
        err=as_json,
    )
    try:
        exam.start(progress=lambda m: err(f"… {m}"))
        if answers is not None:
            for item in exam.items:
                if item.key in answers:
                    exam.answer(item, answers[item.key])
        else:
            _prompt_loop(exam)
        result = exam.finish(progress=lambda m: err(f"… {m}"))
    finally:
        exam.close(progress=lambda m: err(f"… {m}"))
    if junit:
        Path(junit).write_text(to_junit(result.report()), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo("")
        for it in result.items:
            click.echo(
                f"{mark(it.passed)} {it.number:>2}. {it.scenario}/{it.task}  "
                f"{it.points:g}/{it.weight:g}  {it.message}"
            )
        verdict = click.style(
            "PASSED" if result.passed else "NOT PASSED", fg="green" if result.passed else "red"
        )
        click.echo(
            f"score {result.score:g}/{result.max_score:g} ({result.percent:.0f}%, "
            f"pass mark {result.pass_percent:g}%): {verdict}"
            + ("  (time ran out)" if result.expired else "")
        )
        click.echo(f"saved {exam.saved_to}")
    if not result.passed:
        raise ChecksFailed()


# --------------------------------------------------------------------------- serve

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve_command(scenario_dirs: list[str], learner: str | None, cluster: str | None = None) -> str:
    """The command textual-serve starts for each browser: this labtui, same packs, learner
    and existing cluster (``--context``)."""
    argv = [sys.executable, "-m", "labtui"]
    for d in scenario_dirs:
        argv += ["--scenarios", str(Path(d).resolve())]
    if cluster:
        argv += ["--cluster", cluster]
    if learner:
        argv += ["--learner", learner]
    return shlex.join(argv)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--public-url", help="The URL browsers use, when behind a proxy.")
@click.pass_obj
def serve_cmd(obj: Any, host: str, port: int, public_url: str | None) -> None:
    """The app in a browser (textual-serve), for classrooms without terminals."""
    try:
        from textual_serve.server import Server
    except ImportError:
        raise InvalidInput("textual-serve is not installed", "pip install textual-serve") from None
    if host not in LOOPBACK:
        err(
            f"warning: serving on {host}: anyone who reaches port {port} drives labs on this "
            "machine as " + _user()
        )
    command = serve_command(list(obj.scenario_dirs), obj.learner, obj.cluster_target)
    Server(command, host=host, port=port, title="labtui", public_url=public_url).serve()


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
