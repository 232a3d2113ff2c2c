"""One scenario's lifecycle: up -> tasks -> check / hint / solve -> down.

The CLI and the TUI both drive labs through this class and nothing else. It
holds what one learner's lab is (scenario, lab directory, owner, templates,
cluster) and hands each job to the module that does it:

- ``records``: the session record that marks a lab as up;
- ``ownership``: whose a container with one of the lab's names is;
- ``lab_dir``: the files the learner works on;
- ``lab_templates``: templates and environment variables of the lab;
- ``lifecycle``: ``up``, ``down`` and the state of the lab's containers;
- ``requirements``: which tasks can run on this machine;
- ``checking``: running tasks' checks and recording them;
- ``guidance``: hints and reference solutions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import overload

from labtui.checks import CheckContext
from labtui.checks.base import ClusterTarget
from labtui.drivers import shell
from labtui.drivers.docker import DockerDriver
from labtui.engine import checking, clusters, guidance
from labtui.engine.checking import TaskResult
from labtui.engine.lab_templates import lab_env, lab_templates
from labtui.engine.lifecycle import ContainerState, DownReport, Environment
from labtui.engine.ownership import CREATED_SLACK, NamesHeld, owned_by
from labtui.engine.records import SessionRecord, active_records, read_record, record_path
from labtui.engine.requirements import TaskNeeds
from labtui.errors import InvalidInput
from labtui.notify import Notify, quiet
from labtui.scenario.model import Scenario, Solution, Task
from labtui.scenario.templates import TemplateContext
from labtui.state import paths
from labtui.state.owner import owner_id
from labtui.state.progress import ProgressStore, ScenarioProgress

__all__ = [
    "CREATED_SLACK",
    "ContainerState",
    "DownReport",
    "NamesHeld",
    "Session",
    "SessionRecord",
    "TaskResult",
    "active_records",
    "owned_by",
    "read_record",
    "record_path",
]


class Session:
    def __init__(
        self,
        scenario: Scenario,
        folder: Path,
        store: ProgressStore | None = None,
        docker: DockerDriver | None = None,
        cluster: str | None = None,
    ) -> None:
        self.scenario = scenario
        self.folder = folder
        self.store = store or ProgressStore()
        self.docker = docker or DockerDriver()
        self.lab_dir = paths.lab_dir(scenario.id)
        # kind (a cluster of the lab's own), node (the kubeadm node labtui runs on)
        # or a shared cluster's kube context.
        self.cluster_choice = clusters.chosen_cluster(cluster)
        self.cluster: ClusterTarget | None = clusters.target_for(
            scenario, self.lab_dir, self.store.learner, self.cluster_choice
        )
        self.templates: TemplateContext = lab_templates(
            scenario, self.lab_dir, self.store.learner, self.docker, self.cluster
        )
        self._needs = TaskNeeds(
            self.docker, dict(scenario.tools), node=self.cluster_choice.mode == "node"
        )

    @functools.cached_property
    def owner(self) -> str:
        """Whose lab this is on the engine: the data directory's owner id."""
        return owner_id()

    @functools.cached_property
    def environment(self) -> Environment:
        return Environment(
            self.scenario,
            self.folder,
            self.lab_dir,
            self.docker,
            self.owner,
            self.store.learner,
            self.templates,
            self.cluster,
        )

    # -- context

    @property
    def uses_docker(self) -> bool:
        return self.environment.uses_docker

    @property
    def env(self) -> dict[str, str]:
        """Variables for solution commands, host checks and the learner's shell."""
        return lab_env(self.scenario, self.lab_dir, self.cluster)

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
            cluster=self.cluster,
            learner=self.store.learner,
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
        return self._needs.missing(task_id, list(self.task(task_id).requires))

    @property
    def available_task_ids(self) -> list[str]:
        return [t.id for t in self.scenario.tasks if not self.task_missing(t.id)]

    # -- lifecycle

    @property
    def is_up(self) -> bool:
        return read_record(self.scenario.id) is not None

    def up(self, progress: Notify = quiet, cancelled: Callable[[], bool] | None = None) -> None:
        """Create what the scenario declares; idempotent; on failure nothing is left half-made."""
        self.environment.up(progress, cancelled)

    def _prepare_lab_dir(self, fresh: bool) -> None:
        self.environment.prepare_lab_dir(fresh)

    def down(self, progress: Notify = quiet) -> DownReport:
        """Remove exactly what this lab owns; the session record goes last."""
        return self.environment.down(progress)

    def reset(self, progress: Notify = quiet) -> None:
        """Back to a fresh start: environment recreated, progress of this scenario cleared."""
        self.down(progress)
        self.store.reset(self.scenario.id)
        self.up(progress)

    def environment_status(self) -> list[ContainerState]:
        return self.environment.status()

    # -- tasks

    @overload
    def check(
        self,
        tasks: str,
        answer: str | None = None,
        record: bool = True,
        on_result: checking.OnResult | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> TaskResult: ...

    @overload
    def check(
        self,
        tasks: list[str],
        answer: Mapping[str, str] | None = None,
        record: bool = True,
        on_result: checking.OnResult | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> list[TaskResult]: ...

    def check(
        self,
        tasks: str | list[str],
        answer: str | Mapping[str, str] | None = None,
        record: bool = True,
        on_result: checking.OnResult | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> TaskResult | list[TaskResult]:
        """Run tasks' checks, all at once; each task is recorded (unless ``record`` is False).

        One task id with its answer gives its result; a list of ids with their answers
        by task id gives theirs, in that order. An answer (data only) is stored and
        compared, never executed.
        """
        if isinstance(tasks, str):
            assert answer is None or isinstance(answer, str)
            answers = {tasks: answer} if answer is not None else {}
            return checking.check_tasks(self, [tasks], answers, record, on_result, cancelled)[0]
        assert not isinstance(answer, str)
        return checking.check_tasks(self, tasks, answer or {}, record, on_result, cancelled)

    def next_hint(self, task_id: str) -> list[str]:
        """Reveal one more hint (counted in progress); returns every hint revealed so far."""
        return guidance.next_hint(self, task_id)

    def hints_shown(self, task_id: str) -> list[str]:
        return guidance.hints_shown(self, task_id)

    def reveal_solution(self, task_id: str) -> Solution:
        return guidance.reveal_solution(self, task_id)

    def solution_steps(self, task_id: str) -> list[str]:
        """The reference solution as the commands a learner would type."""
        return guidance.solution_steps(self, task_id)

    def apply_solution(
        self, task_id: str, notify: Notify | None = None
    ) -> list[shell.CommandResult]:
        """Run the reference solution; raises LabError when a step fails."""
        return guidance.apply_solution(self, task_id, notify)
