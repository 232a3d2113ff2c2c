"""One scenario's lifecycle: up -> tasks -> check / hint / solve -> down.

The CLI and the TUI both drive labs through this class and nothing else.

Ownership: containers and images declared in ``environment`` are created with
the labels ``labtui.scenario=<id>`` and ``labtui.owner=<owner id>``, the id of the
data directory (``labtui.state.owner``), so on an engine shared by several
learners ``down`` removes only the caller's. Names the learner creates
(``cleanup.containers``) carry no label: they are removed on ``down`` only when
they were created after this lab started and no other learner's lab holds the
name, so a user's own container of the same name, or another learner's, is never
touched. A lab that is up claims its names on the engine (see
``DockerDriver.claim``), so a second learner's ``up`` of a lab with the same
names stops with what to do instead of sharing containers. Objects from before
owners existed carry no owner label; they are the caller's only when the lab's
session record is that old too.

A session record in the data dir marks a lab as up; it is written before
anything is created, so ``doctor`` and ``clean`` find leftovers after a crash.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from labtui.checks import CheckContext, CheckResult
from labtui.checks.base import ValueUnavailable, resolve_value
from labtui.drivers import shell
from labtui.drivers.docker import (
    LABEL,
    OWNER_LABEL,
    DockerDriver,
    LabClaim,
    base_image,
    created_at,
)
from labtui.engine import clusters, podman_cleanup
from labtui.engine.runner import run_checks, run_checks_with_contexts
from labtui.errors import EnvironmentUnavailable, InvalidInput, LabError
from labtui.scenario.model import Requirement, Scenario, Solution, Task
from labtui.scenario.templates import TemplateContext
from labtui.state import paths
from labtui.state.owner import owner_id
from labtui.state.progress import ProgressStore, ScenarioProgress, TaskProgress, now

Progress = Callable[[str], None]
SOLUTION_TIMEOUT = 120.0
MAX_STORED_ANSWER = 65_536
CREATED_SLACK = timedelta(seconds=2)


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class TaskResult:
    task_id: str
    results: list[CheckResult]

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def unavailable(self) -> bool:
        return any(r.unavailable for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.task_id,
            "passed": self.passed,
            "checks": [r.to_dict() for r in self.results],
        }


@dataclass(frozen=True)
class ContainerState:
    name: str
    state: str  # running | exited | created | absent | unknown
    declared: bool


@dataclass
class DownReport:
    removed: list[str] = field(default_factory=list)
    # Names of this lab that were there before it started (the user's own containers).
    left: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    # Names of this lab held by another learner's lab (or one of an older labtui).
    others: list[str] = field(default_factory=list)


@dataclass
class SessionRecord:
    scenario: str
    started_at: str
    pid: int
    # The owner id the lab was made with; None in records from before labs had owners.
    owner: str | None = None

    @property
    def started(self) -> datetime:
        return datetime.fromisoformat(self.started_at)


def owned_by(owner: str | None, me: str, record: SessionRecord | None) -> bool:
    """Whether an object labelled for a lab, with this owner label, is the caller's.

    Objects from before owners existed (no owner label) are the caller's only when
    the caller's record of that lab is that old as well.
    """
    if owner is None:
        return record is not None and record.owner is None
    return owner == me or (record is not None and owner == record.owner)


class NamesHeld(EnvironmentUnavailable):
    """Another learner's lab (or a user's container) has the names a lab needs."""


def record_path(scenario_id: str) -> Path:
    return paths.sessions_dir() / f"{scenario_id}.json"


def read_record(scenario_id: str) -> SessionRecord | None:
    try:
        data = json.loads(record_path(scenario_id).read_text())
        owner = data.get("owner")
        return SessionRecord(
            str(data["scenario"]),
            str(data["started_at"]),
            int(data.get("pid", 0)),
            owner if isinstance(owner, str) and owner else None,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def active_records() -> list[SessionRecord]:
    folder = paths.sessions_dir()
    if not folder.is_dir():
        return []
    records = [read_record(p.stem) for p in sorted(folder.glob("*.json"))]
    return [r for r in records if r is not None]


class Session:
    def __init__(
        self,
        scenario: Scenario,
        folder: Path,
        store: ProgressStore | None = None,
        docker: DockerDriver | None = None,
        context: str | None = None,
    ) -> None:
        self.scenario = scenario
        self.folder = folder
        self.store = store or ProgressStore()
        self.docker = docker or DockerDriver()
        self.lab_dir = paths.lab_dir(scenario.id)
        # An existing cluster (kube context) instead of a kind cluster of the lab's own.
        self.kube_context = (
            context if context is not None else os.environ.get(clusters.CONTEXT_ENV) or None
        )
        self.templates = self._templates()
        self._missing: dict[str, list[str]] = {}

    @functools.cached_property
    def owner(self) -> str:
        """Whose lab this is on the engine: the data directory's owner id."""
        return owner_id()

    # -- context

    @property
    def uses_docker(self) -> bool:
        return Requirement.docker in self.scenario.requires or bool(self.scenario.container_names)

    @property
    def env(self) -> dict[str, str]:
        """Variables for solution commands, host checks and the learner's shell."""
        return {
            "LAB_SCENARIO": self.scenario.id,
            "LAB_DIR": str(self.lab_dir),
            "LABTUI_BASE_IMAGE": base_image(),
            **clusters.session_env(
                self.scenario, self.lab_dir, self.store.learner, self.kube_context
            ),
        }

    def _templates(self) -> TemplateContext:
        ctx = TemplateContext(
            {
                "base_image": base_image(),
                "scenario_id": self.scenario.id,
                "lab_dir": str(self.lab_dir),
                "learner": self.store.learner,
            }
        )
        ctx.add_resolver("containers", self._container_value)
        clusters.add_templates(
            ctx, self.scenario, self.lab_dir, self.store.learner, self.kube_context
        )
        return ctx

    def _container_value(self, parts: list[str]) -> str:
        if len(parts) != 2:
            raise LabError(f"use {{containers.NAME.FIELD}}, not {{containers.{'.'.join(parts)}}}")
        name, attr = parts
        attrs = self.docker.inspect(name)
        if attrs is None:
            raise LabError(f"container {name} does not exist")
        values = {
            "id": attrs.get("Id", ""),
            "short_id": str(attrs.get("Id", ""))[:12],
            "name": str(attrs.get("Name", "")).lstrip("/"),
            "pid": str(attrs.get("State", {}).get("Pid", "")),
            "image": attrs.get("Config", {}).get("Image", ""),
            "status": attrs.get("State", {}).get("Status", ""),
        }
        if attr not in values:
            raise LabError(f"unknown container field {attr!r}; use one of {', '.join(values)}")
        return str(values[attr])

    def context(self, task: Task, answer: str | None = None) -> CheckContext:
        self.lab_dir.mkdir(parents=True, exist_ok=True)
        return CheckContext(
            scenario=self.scenario,
            task=task,
            templates=self.templates,
            docker=self.docker,
            lab_dir=self.lab_dir,
            answer=answer,
            env=self.env,
        )

    def task(self, task_id: str) -> Task:
        try:
            return self.scenario.task(task_id)
        except KeyError:
            known = ", ".join(t.id for t in self.scenario.tasks)
            raise InvalidInput(
                f"scenario {self.scenario.id} has no task {task_id!r}", f"tasks: {known}"
            ) from None

    def render(self, text: str) -> str:
        """Instructions and hints with templates filled; names that fail are left as written."""
        return self.templates.render(text, strict=False)

    # -- progress

    @property
    def progress(self) -> ScenarioProgress:
        return self.store.get(self.scenario.id)

    @property
    def current_task(self) -> Task:
        current = self.progress.current_task
        for t in self.scenario.tasks:
            if t.id == current:
                return t
        return self.scenario.tasks[0]

    def set_current_task(self, task_id: str) -> None:
        self.task(task_id)

        def change(sp: ScenarioProgress) -> None:
            sp.current_task = task_id

        self.store.update(self.scenario.id, change)

    @property
    def completed(self) -> bool:
        """Every task that can run here has passed (tasks needing a missing tool do not count)."""
        sp = self.progress
        return all(
            sp.tasks.get(t) is not None and sp.tasks[t].passed for t in self.available_task_ids
        )

    def task_missing(self, task_id: str) -> list[str]:
        """Why a task cannot run on this machine (its own ``requires``); empty when it can."""
        task = self.task(task_id)
        if not task.requires:
            return []
        if task_id not in self._missing:
            from labtui.engine.requirements import task_missing

            docker_error = None
            if {"docker", "kind"} & set(task.requires):
                try:
                    self.docker.ping()
                except LabError as exc:
                    docker_error = exc.message
            self._missing[task_id] = task_missing(list(task.requires), docker_error)
        return self._missing[task_id]

    @property
    def available_task_ids(self) -> list[str]:
        return [t.id for t in self.scenario.tasks if not self.task_missing(t.id)]

    def _unavailable(self, task: Task) -> TaskResult | None:
        reasons = self.task_missing(task.id)
        if not reasons:
            return None
        why = "; ".join(reasons)
        return TaskResult(
            task.id, [CheckResult("requires", "not available here", False, why, unavailable=True)]
        )

    # -- lifecycle

    @property
    def is_up(self) -> bool:
        return read_record(self.scenario.id) is not None

    def up(self, progress: Progress = _quiet, cancelled: Callable[[], bool] | None = None) -> None:
        """Create what the scenario declares; idempotent; on failure nothing is left half-made."""
        record = read_record(self.scenario.id)
        if self.uses_docker:
            progress("connecting to Docker")
            self.docker.ping()
        fresh = record is None
        if self.uses_docker:
            self._check_names_free(record)
        if record is None:
            record = self._write_record()
        created: list[str] = []
        claim: str | None = None
        try:
            if self.uses_docker and self.scenario.container_names:
                claim = self.docker.claim(
                    self.scenario.id, self.owner, self.scenario.container_names
                )
            self._prepare_lab_dir(fresh)
            podman_cleanup.remember(self.scenario, self.lab_dir, self.templates)
            if clusters.uses_cluster(self.scenario):
                clusters.bring_up(
                    self.scenario,
                    self.lab_dir,
                    self.templates,
                    self.store.learner,
                    self.kube_context,
                    progress,
                )
            if self.uses_docker:
                for image in self.scenario.environment.images:
                    progress(f"building image {image.name}")
                    self.docker.build(
                        self.scenario.id,
                        image.name,
                        self.templates.render(image.dockerfile),
                        owner=self.owner,
                    )
                for spec in self.scenario.environment.containers:
                    if cancelled and cancelled():
                        raise LabError("cancelled")
                    if self._create_container(spec, progress):
                        created.append(spec.name)
        except BaseException:
            for name in reversed(created):
                with contextlib.suppress(LabError):
                    self.docker.remove(name, grace=0)
            if fresh:
                if self.scenario.environment.images:
                    with contextlib.suppress(LabError):
                        for image_id in self.docker.labelled_images(self.scenario.id, self.owner):
                            self.docker.remove_image(image_id)
                if claim is not None:
                    with contextlib.suppress(LabError):
                        self.docker.release(claim)
                record_path(self.scenario.id).unlink(missing_ok=True)
                shutil.rmtree(self.lab_dir, ignore_errors=True)
            raise
        progress("environment is up")

    def _write_record(self) -> SessionRecord:
        record = SessionRecord(
            self.scenario.id, datetime.now(UTC).isoformat(), os.getpid(), self.owner
        )
        path = record_path(self.scenario.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record.__dict__))
        os.replace(tmp, path)
        return record

    def _prepare_lab_dir(self, fresh: bool) -> None:
        self.lab_dir.mkdir(parents=True, exist_ok=True)
        env = self.scenario.environment
        for ref in env.include:
            src = (self.folder / ref).resolve()
            if not src.is_relative_to(self.folder.resolve()):
                raise InvalidInput(f"{ref!r} points outside the scenario folder")
            dest = self.lab_dir / ref
            if dest.exists() and not fresh:
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dest, dirs_exist_ok=True)
            else:
                shutil.copy2(src, dest)
        for rel, content in env.files.items():
            dest = self._lab_path(rel)
            if dest.exists() and not fresh:
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(self.templates.render(content))
        if env.pki is not None:
            from labtui.pki.lab import prepare

            prepare(self.lab_dir, env.pki, fresh, self.templates.render)

    def _lab_path(self, rel: str) -> Path:
        dest = (self.lab_dir / rel).resolve()
        if not dest.is_relative_to(self.lab_dir.resolve()):
            raise InvalidInput(f"file {rel!r} would be written outside the lab directory")
        return dest

    def _held_by_others(self, claims: list[LabClaim], record: SessionRecord | None) -> set[str]:
        """Container names that other learners' labs, up on this engine, hold."""
        return {
            name
            for claim in claims
            if not owned_by(claim.owner, self.owner, record)
            for name in claim.names
        }

    def _holder(
        self, attrs: dict[str, Any], record: SessionRecord | None, held: set[str]
    ) -> str | None:
        """None when a container with one of this lab's names is this lab's; else whose it is.

        "learner": another learner's lab; "older": a lab of an older labtui, whose
        owner is unknown; "user": not made by a lab (or by another lab of the caller).
        """
        labels = attrs.get("Config", {}).get("Labels") or {}
        if LABEL in labels:
            owner = labels.get(OWNER_LABEL)
            if not owned_by(owner, self.owner, record):
                return "older" if owner is None else "learner"
            return None if labels[LABEL] == self.scenario.id else "user"
        if str(attrs.get("Name", "")).lstrip("/") in held:
            return "learner"
        made = created_at(attrs)
        if record is not None and made is not None and made >= record.started - CREATED_SLACK:
            return None
        return "user"

    def _check_names_free(self, record: SessionRecord | None) -> None:
        held = self._held_by_others(self.docker.claims(), record)
        holders: dict[str, str] = {}
        for name in self.scenario.container_names:
            attrs = self.docker.inspect(name)
            if name in held:
                holders[name] = "learner"
            elif attrs is not None:
                holder = self._holder(attrs, record, held)
                if holder is not None:
                    holders[name] = holder
        others = [name for name, holder in holders.items() if holder == "learner"]
        if others:
            raise NamesHeld(
                f"another learner's lab on this Docker engine holds the container names "
                f"this lab needs ({', '.join(others)}); nothing was changed",
                "a lab's container names exist once per engine: use a Docker engine of your "
                "own (point DOCKER_HOST at it, e.g. rootless Docker), or wait until that lab "
                "is down; if it is stale (nobody uses it any more), `labtui clean --all` "
                "removes every learner's labs on this engine",
            )
        for name, holder in holders.items():
            if holder == "older":
                raise NamesHeld(
                    f"container {name} belongs to a lab made by an older labtui "
                    "(it has no owner: it may be another learner's)",
                    f"if nobody uses it any more, remove it (`docker rm -f {name}`) or "
                    "remove every learner's labs on this engine (`labtui clean --all`), then retry",
                )
            raise NamesHeld(
                f"a container named {name} already exists and was not made by this lab",
                f"the lab needs that name: remove it (`docker rm -f {name}`) "
                f"or rename it (`docker rename {name} my-{name}`), then retry",
            )

    def _create_container(self, spec: Any, progress: Progress) -> bool:
        attrs = self.docker.inspect(spec.name)
        if attrs is not None:
            if attrs.get("State", {}).get("Running"):
                return False
            self.docker.remove(spec.name, grace=0)
        image = self.templates.render(spec.image)
        progress(f"checking image {image}")
        self.docker.ensure_image(image)
        progress(f"starting container {spec.name}")
        options: dict[str, Any] = {
            "user": spec.user,
            "network_mode": self.templates.render(spec.network) if spec.network else None,
            "pid_mode": self.templates.render(spec.pid) if spec.pid else None,
            "privileged": spec.privileged,
            "read_only": spec.read_only,
            "cap_add": spec.cap_add or None,
            "cap_drop": spec.cap_drop or None,
            "security_opt": spec.security_opt or None,
            "environment": self.templates.render_any(spec.environment) or None,
            "tmpfs": spec.tmpfs or None,
            "working_dir": spec.working_dir,
        }
        command = self.templates.render_argv(spec.command) if spec.command else None
        self.docker.run(
            self.scenario.id,
            spec.name,
            image,
            command,
            owner=self.owner,
            **{k: v for k, v in options.items() if v is not None},
        )
        return True

    def down(self, progress: Progress = _quiet) -> DownReport:
        """Remove exactly what this lab owns; the session record goes last."""
        report = DownReport()
        record = read_record(self.scenario.id)
        if self.uses_docker:
            progress("removing lab containers")
            self.docker.ping()
            for c in self.docker.labelled(self.scenario.id):
                if owned_by(c.owner, self.owner, record) and self.docker.remove(c.id):
                    report.removed.append(c.name)
            claims = self.docker.claims()
            held = self._held_by_others(claims, record)
            for name in self.scenario.cleanup.containers:
                attrs = self.docker.inspect(name)
                if attrs is None:
                    continue
                holder = self._holder(attrs, record, held)
                if holder is None:
                    self.docker.remove(name)
                    report.removed.append(name)
                elif holder == "user":
                    report.left.append(name)
                else:
                    report.others.append(name)
            for image in self.docker.lab_images(self.scenario.id):
                if owned_by(image.owner, self.owner, record) and self.docker.remove_image(image.id):
                    report.images.append(image.id.removeprefix("sha256:")[:12])
            for claim in claims:
                if claim.scenario == self.scenario.id and owned_by(claim.owner, self.owner, record):
                    self.docker.release(claim.volume)
        report.removed += podman_cleanup.tear_down(self.scenario, self.lab_dir, self.templates)
        if clusters.uses_cluster(self.scenario):
            clusters.tear_down(
                self.scenario, self.lab_dir, self.store.learner, self.kube_context, progress
            )
        shutil.rmtree(self.lab_dir, ignore_errors=True)
        record_path(self.scenario.id).unlink(missing_ok=True)
        progress("environment removed")
        return report

    def reset(self, progress: Progress = _quiet) -> None:
        """Back to a fresh start: environment recreated, progress of this scenario cleared."""
        self.down(progress)
        self.store.reset(self.scenario.id)
        self.up(progress)

    def environment_status(self) -> list[ContainerState]:
        declared = {c.name for c in self.scenario.environment.containers}
        out = []
        for name in self.scenario.container_names:
            try:
                attrs = self.docker.inspect(name)
            except LabError:
                out.append(ContainerState(name, "unknown", name in declared))
                continue
            state = (
                "absent" if attrs is None else str(attrs.get("State", {}).get("Status", "unknown"))
            )
            out.append(ContainerState(name, state, name in declared))
        return out

    # -- tasks

    def check(
        self,
        task_id: str,
        answer: str | None = None,
        record: bool = True,
        on_result: Callable[[int, CheckResult], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> TaskResult:
        """Run a task's checks. ``answer`` (data only) is stored and compared, never executed."""
        task = self.task(task_id)
        missing = self._unavailable(task)
        if missing is not None:
            return missing
        answer = self._answer_for(task, answer, self.progress.tasks)
        result = TaskResult(
            task_id, run_checks(task.checks, self.context(task, answer), on_result, cancelled)
        )
        if record:
            self._record([(task, result, answer)])
        return result

    @staticmethod
    def _answer_for(task: Task, given: str | None, stored: dict[str, TaskProgress]) -> str | None:
        """The answer to check: the one given now, else the last one the learner submitted."""
        if given is not None or not task.needs_answer or task.id not in stored:
            return given
        return stored[task.id].answer

    def _record(self, outcomes: list[tuple[Task, TaskResult, str | None]]) -> None:
        """One progress write for a batch; results cut short by an unavailable engine are not counted."""
        counted = [o for o in outcomes if not o[1].unavailable]
        if not counted:
            return
        task_ids = self.available_task_ids

        def change(sp: ScenarioProgress) -> None:
            for task, result, answer in counted:
                tp = sp.task(task.id)
                tp.attempts += 1
                if task.needs_answer and answer is not None:
                    tp.answer = answer if len(answer) <= MAX_STORED_ANSWER else None
                if result.passed and not tp.passed:
                    tp.passed_at = now()
                tp.passed = result.passed
            if sp.completed_at is None and sp.passed_count(task_ids) == len(task_ids):
                sp.completed_at = now()

        self.store.update(self.scenario.id, change)

    def check_many(
        self, task_ids: list[str], answers: dict[str, str] | None = None
    ) -> list[TaskResult]:
        """Check several tasks at once: all their checks run concurrently, each task is recorded."""
        answers = answers or {}
        tasks = [self.task(t) for t in task_ids]
        stored = self.progress.tasks
        batch: list[tuple[Task, str | None]] = []
        for task in tasks:
            if self.task_missing(task.id):
                continue
            batch.append((task, self._answer_for(task, answers.get(task.id), stored)))
        contexts = [self.context(task, answer) for task, answer in batch]
        jobs = [
            (ctx, check)
            for ctx, (task, _) in zip(contexts, batch, strict=True)
            for check in task.checks
        ]
        flat = run_checks_with_contexts(jobs)
        done: dict[str, TaskResult] = {}
        outcomes: list[tuple[Task, TaskResult, str | None]] = []
        for task, answer in batch:
            result = TaskResult(task.id, flat[: len(task.checks)])
            flat = flat[len(task.checks) :]
            outcomes.append((task, result, answer))
            done[task.id] = result
        self._record(outcomes)
        return [done.get(t.id) or self._unavailable(t) or TaskResult(t.id, []) for t in tasks]

    def next_hint(self, task_id: str) -> list[str]:
        """Reveal one more hint (counted in progress); returns every hint revealed so far."""
        task = self.task(task_id)

        def change(sp: ScenarioProgress) -> int:
            tp = sp.task(task_id)
            tp.hints_used = min(tp.hints_used + 1, len(task.hints))
            return tp.hints_used

        shown = self.store.update(self.scenario.id, change) if task.hints else 0
        return [self.render(h) for h in task.hints[:shown]]

    def hints_shown(self, task_id: str) -> list[str]:
        task = self.task(task_id)
        used = self.progress.tasks.get(task_id)
        return [self.render(h) for h in task.hints[: used.hints_used if used else 0]]

    def reveal_solution(self, task_id: str) -> Solution:
        task = self.task(task_id)
        if task.solution is None:
            raise InvalidInput(f"task {task_id} has no reference solution")

        def change(sp: ScenarioProgress) -> None:
            sp.task(task_id).solution_revealed = True

        self.store.update(self.scenario.id, change)
        return task.solution

    def solution_steps(self, task_id: str) -> list[str]:
        """The reference solution as the commands a learner would type."""
        task = self.task(task_id)
        if task.solution is None:
            return []
        steps = [
            " ".join(_quote(a) for a in self.templates.render_argv(argv))
            for argv in task.solution.run
        ]
        steps += [f"write {path}" for path in task.solution.files]
        if task.solution.answer is not None:
            steps.append("answer: (computed from your environment)")
        return steps

    def apply_solution(self, task_id: str) -> list[shell.CommandResult]:
        """Run the reference solution; raises LabError when a step fails."""
        task = self.task(task_id)
        solution = task.solution
        if solution is None:
            raise InvalidInput(f"task {task_id} has no reference solution")
        self.lab_dir.mkdir(parents=True, exist_ok=True)
        for rel, content in solution.files.items():
            dest = self._lab_path(rel)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(self.templates.render(content))
        done = []
        for argv in solution.run:
            rendered = self.templates.render_argv(argv)
            res = shell.run(rendered, timeout=SOLUTION_TIMEOUT, cwd=self.lab_dir, env=self.env)
            done.append(res)
            if not res.ok:
                why = "timed out" if res.timed_out else f"exited {res.exit_code}"
                detail = (res.stderr or res.stdout).strip().splitlines()
                raise LabError(
                    f"solution step `{' '.join(rendered)}` {why}",
                    detail[-1] if detail else "no output",
                )
        if solution.answer is not None:
            try:
                value = resolve_value(solution.answer, self.context(task))
            except ValueUnavailable as exc:
                raise LabError(f"cannot compute the answer of task {task_id}: {exc}") from exc

            def change(sp: ScenarioProgress) -> None:
                sp.task(task_id).answer = value

            self.store.update(self.scenario.id, change)
        return done


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)
