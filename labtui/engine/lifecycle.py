"""A lab's environment: ``up`` makes what the scenario declares, ``down`` removes what is the lab's.

Who owns what is decided in ``labtui.engine.ownership``; the session record
(``labtui.engine.records``) marks a lab as up and is written before anything is
created, so ``doctor`` and ``clean`` find leftovers after a crash.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labtui.checks.base import ClusterTarget
from labtui.drivers import host_programs, shell
from labtui.drivers.docker import DockerDriver
from labtui.engine import clusters, lab_dir, podman_cleanup
from labtui.engine.lab_templates import lab_env
from labtui.engine.ownership import Names, owned_by
from labtui.engine.records import read_record, record_path, write_record
from labtui.engine.requirements import images_missing
from labtui.errors import EnvironmentUnavailable, LabError
from labtui.notify import Notify
from labtui.scenario.model import ContainerSpec, Requirement, Scenario
from labtui.scenario.templates import TemplateContext

# A setup step lays out files (copies, generated data): seconds, not minutes.
SETUP_TIMEOUT = 120.0


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
class Environment:
    """One lab's containers, images, name claims, lab directory and cluster, for one learner."""

    scenario: Scenario
    folder: Path
    lab_dir: Path
    docker: DockerDriver
    owner: str
    learner: str
    templates: TemplateContext
    cluster: ClusterTarget | None

    @property
    def uses_docker(self) -> bool:
        return Requirement.docker in self.scenario.requires or bool(self.scenario.container_names)

    @property
    def names(self) -> Names:
        return Names(self.docker, self.scenario, self.owner)

    def prepare_lab_dir(self, fresh: bool) -> None:
        lab_dir.prepare(self.scenario, self.folder, self.lab_dir, self.templates.render, fresh)

    def up(self, notify: Notify, cancelled: Callable[[], bool] | None = None) -> None:
        """Create what the scenario declares; idempotent; on failure nothing is left half-made."""
        record = read_record(self.scenario.id)
        if self.uses_docker:
            notify("connecting to Docker")
            self.docker.ping()
            missing = images_missing(self.docker, self.scenario.local_images)
            if missing:
                raise EnvironmentUnavailable(missing[0])
        fresh = record is None
        if self.uses_docker:
            self.names.check_free(record)
        if record is None:
            record = write_record(self.scenario.id, self.owner)
        created: list[str] = []
        claim: str | None = None
        try:
            if self.uses_docker and self.scenario.container_names:
                claim = self.docker.claim(
                    self.scenario.id, self.owner, self.scenario.container_names
                )
            self.prepare_lab_dir(fresh)
            if fresh:
                self._run_setup(notify)
            podman_cleanup.remember(self.scenario, self.lab_dir, self.templates)
            if self.cluster is not None:
                clusters.bring_up(
                    self.scenario, self.cluster, self.lab_dir, self.templates, self.learner, notify
                )
            if self.uses_docker:
                for image in self.scenario.environment.images:
                    notify(f"building image {image.name}")
                    dockerfile = self.templates.render(image.dockerfile)
                    files = host_programs.context(image.host_programs, self.scenario.tools)
                    self.docker.build(
                        self.scenario.id,
                        image.name,
                        host_programs.with_copy(dockerfile) if files else dockerfile,
                        owner=self.owner,
                        files=files,
                    )
                for spec in self.scenario.environment.containers:
                    if cancelled and cancelled():
                        raise LabError("cancelled")
                    if self._create_container(spec, notify):
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
        notify("environment is up")

    def _run_setup(self, notify: Notify) -> None:
        """``environment.setup``, in the lab directory; the first failing step stops up."""
        env = lab_env(self.scenario, self.lab_dir, self.cluster)
        steps = self.scenario.environment.setup
        for number, argv in enumerate(steps, 1):
            rendered = self.templates.render_argv(argv)
            notify(f"setting up the lab directory: step {number}/{len(steps)} ({rendered[0]})")
            res = shell.run(rendered, timeout=SETUP_TIMEOUT, cwd=self.lab_dir, env=env)
            if not res.ok:
                why = (
                    f"timed out after {SETUP_TIMEOUT:g} s"
                    if res.timed_out
                    else "could not start"
                    if res.not_found
                    else f"exited {res.exit_code}"
                )
                detail = (res.stderr or res.stdout).strip().splitlines()
                raise LabError(
                    f"setup step `{rendered[0]}` {why}", detail[-1] if detail else "no output"
                )

    def _create_container(self, spec: ContainerSpec, notify: Notify) -> bool:
        attrs = self.docker.inspect(spec.name)
        if attrs is not None:
            if attrs.get("State", {}).get("Running"):
                return False
            self.docker.remove(spec.name, grace=0)
        image = self.templates.render(spec.image)
        notify(f"checking image {image}")
        self.docker.ensure_image(image)
        notify(f"starting container {spec.name}")
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

    def down(self, notify: Notify) -> DownReport:
        """Remove exactly what this lab owns; the session record goes last."""
        report = DownReport()
        record = read_record(self.scenario.id)
        if self.uses_docker:
            notify("removing lab containers")
            self.docker.ping()
            for c in self.docker.labelled(self.scenario.id):
                if owned_by(c.owner, self.owner, record) and self.docker.remove(c.id):
                    report.removed.append(c.name)
            claims = self.docker.claims()
            names = self.names
            held = names.held_by_others(claims, record)
            for name in self.scenario.cleanup.containers:
                attrs = self.docker.inspect(name)
                if attrs is None:
                    continue
                holder = names.holder(attrs, record, held)
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
        if self.cluster is not None:
            clusters.tear_down(self.scenario, self.cluster, self.lab_dir, notify)
        shutil.rmtree(self.lab_dir, ignore_errors=True)
        record_path(self.scenario.id).unlink(missing_ok=True)
        notify("environment removed")
        return report

    def status(self) -> list[ContainerState]:
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
