"""The scenario format: what an instructor writes in ``scenario.yaml``.

Every model forbids unknown fields so a typo (``stdout_contain``) is an error
with a file:line:col, never a check that silently tests nothing.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FORMAT_VERSION = 1

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
NAME_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$"

Argv = Annotated[list[str], Field(min_length=1, description="A command as an argv list; never run by a shell.")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Topic(StrEnum):
    principles = "principles"
    host = "host"
    cluster = "cluster"
    application = "application"
    containers = "containers"
    network = "network"


class Difficulty(StrEnum):
    beginner = "beginner"
    intermediate = "intermediate"
    advanced = "advanced"


class Requirement(StrEnum):
    local = "local"
    docker = "docker"
    kind = "kind"
    cluster = "cluster"


def _check_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


# --------------------------------------------------------------------------- environment


class ContainerSpec(Strict):
    """A container the scenario creates on ``up`` (labelled, removed on ``down``)."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    image: str = "{base_image}"
    command: list[str] | None = None
    user: str | None = None
    network: str | None = Field(default=None, description="Docker network mode, e.g. none or container:NAME.")
    pid: str | None = Field(default=None, description="PID mode, e.g. container:NAME or host.")
    privileged: bool = False
    read_only: bool = False
    cap_add: list[str] = []
    cap_drop: list[str] = []
    security_opt: list[str] = []
    environment: dict[str, str] = {}
    tmpfs: dict[str, str] = {}
    working_dir: str | None = None


class EnvironmentSpec(Strict):
    containers: list[ContainerSpec] = []
    files: dict[str, str] = Field(
        default={},
        description="Files written into the lab directory on up: relative path -> content (templated).",
    )
    include: list[str] = Field(
        default=[], description="Paths under the scenario folder copied into the lab directory on up."
    )

    @model_validator(mode="after")
    def _unique_names(self) -> EnvironmentSpec:
        seen: set[str] = set()
        for c in self.containers:
            if c.name in seen:
                raise ValueError(f"container name {c.name!r} is declared twice")
            seen.add(c.name)
        return self


# --------------------------------------------------------------------------- values


class ValueSource(Strict):
    """A value computed from the environment when a check runs.

    Exactly one of: ``value`` (a template), ``command`` (run on the host),
    ``container`` + ``command`` (exec inside a container), ``container`` + ``field``
    (a ``docker inspect`` field path). ``extract`` takes the first group of a regex
    (multiline) from the result.
    """

    value: str | None = None
    container: str | None = None
    command: list[str] | None = None
    field: str | None = None
    extract: str | None = None

    _v_extract = field_validator("extract")(_check_regex)

    @model_validator(mode="after")
    def _one_mode(self) -> ValueSource:
        modes = [
            self.value is not None,
            self.command is not None,
            self.container is not None and self.field is not None,
        ]
        if sum(modes) != 1:
            raise ValueError(
                "give exactly one of: value, command (optionally with container), container + field"
            )
        if self.container is not None and self.command is None and self.field is None:
            raise ValueError("container needs command (exec) or field (inspect)")
        return self


# --------------------------------------------------------------------------- checks


class CheckBase(Strict):
    timeout: float = Field(default=10.0, gt=0, le=3600, description="Seconds before the check is cut.")
    description: str | None = Field(default=None, description="Shown to the learner instead of the default.")


class OutputExpectations(Strict):
    exit_code: int | None = 0
    stdout_equals: str | None = None
    stdout_contains: list[str] | str | None = None
    stdout_not_contains: list[str] | str | None = None
    stdout_matches: str | None = None
    stderr_contains: str | None = None

    _v_matches = field_validator("stdout_matches")(_check_regex)


class CommandCheck(CheckBase, OutputExpectations):
    """Run a command on the host (argv, no shell) and test its exit code and output."""

    kind: Literal["command"]
    command: Argv


class ExecCheck(CheckBase, OutputExpectations):
    """Run a command inside a running container and test its exit code and output."""

    kind: Literal["exec"]
    container: str
    command: Argv
    user: str | None = None


class ContainerCheck(CheckBase):
    """Inspect a container: existence, running state and a field path of ``docker inspect``."""

    kind: Literal["container"]
    name: str
    absent: bool = Field(default=False, description="Pass when no container has this name.")
    running: bool | None = None
    field: str | None = Field(default=None, description="Dotted path into docker inspect, e.g. HostConfig.PidMode.")
    equals: Any = None
    not_equals: Any = None
    contains: Any = None
    matches: str | None = None
    exists: bool | None = Field(default=None, description="The field is present and not empty (or is absent/empty when false).")

    _v_matches = field_validator("matches")(_check_regex)

    @model_validator(mode="after")
    def _field_needed(self) -> ContainerCheck:
        tests = [self.equals, self.not_equals, self.contains, self.matches, self.exists]
        if any(t is not None for t in tests) and not self.field:
            raise ValueError("equals/not_equals/contains/matches/exists need a field")
        if self.field and all(t is None for t in tests):
            raise ValueError("field needs one of equals, not_equals, contains, matches, exists")
        if self.absent and (self.field or self.running is not None):
            raise ValueError("absent cannot be combined with running or field")
        return self


class FileCheck(CheckBase):
    """A file in the lab directory (or an absolute path): exists, contents, YAML path."""

    kind: Literal["file"]
    path: str
    exists: bool = True
    contains: str | None = None
    matches: str | None = None
    yaml_path: str | None = Field(default=None, description="Dotted path into the parsed YAML, e.g. spec.replicas or items.0.name.")
    equals: Any = None

    _v_matches = field_validator("matches")(_check_regex)

    @model_validator(mode="after")
    def _yaml_equals(self) -> FileCheck:
        if self.equals is not None and self.yaml_path is None:
            raise ValueError("equals needs yaml_path")
        return self


class Normalize(StrEnum):
    strip = "strip"
    casefold = "casefold"
    collapse_spaces = "collapse_spaces"
    number = "number"


class AnswerCheck(CheckBase):
    """The learner's typed answer against a value computed from the environment."""

    kind: Literal["answer"]
    expected: ValueSource | str
    normalize: list[Normalize] = [Normalize.strip, Normalize.casefold, Normalize.collapse_spaces]
    accept_regex: bool = Field(default=False, description="Treat the computed value as a regex the answer must fully match.")


Check = Annotated[
    CommandCheck | ExecCheck | ContainerCheck | FileCheck | AnswerCheck,
    Field(discriminator="kind"),
]

CHECK_KINDS: tuple[str, ...] = ("command", "exec", "container", "file", "answer")


# --------------------------------------------------------------------------- tasks


class Solution(Strict):
    explanation: str = ""
    run: list[Argv] = Field(default=[], description="Commands run on the host in the lab directory, in order.")
    files: dict[str, str] = Field(default={}, description="Files written into the lab directory (templated).")
    answer: ValueSource | str | None = Field(default=None, description="The answer to submit for an answer task.")


class Task(Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    title: str = Field(min_length=1)
    instructions: str = ""
    hints: list[str] = []
    answer_prompt: str | None = Field(default=None, description="Shown above the answer input.")
    checks: list[Check] = Field(min_length=1)
    solution: Solution | None = None

    @property
    def needs_answer(self) -> bool:
        return any(isinstance(c, AnswerCheck) for c in self.checks)


class Cleanup(Strict):
    containers: list[Annotated[str, Field(pattern=NAME_PATTERN)]] = Field(
        default=[],
        description="Names the learner creates; removed on down when created during this lab.",
    )


class Scenario(Strict):
    format_version: Literal[1] = Field(description="Version of this file format; currently 1.")
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    title: str = Field(min_length=1)
    topic: Topic
    difficulty: Difficulty = Difficulty.beginner
    minutes: int = Field(default=15, gt=0, le=600)
    requires: list[Requirement] = [Requirement.local]
    summary: str = ""
    introduction: str = ""
    conclusion: str = Field(default="", description="What was learned; shown when every task passes.")
    environment: EnvironmentSpec = EnvironmentSpec()
    tasks: list[Task] = Field(min_length=1)
    cleanup: Cleanup = Cleanup()

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        seen: set[str] = set()
        for t in self.tasks:
            if t.id in seen:
                raise ValueError(f"task id {t.id!r} is used twice")
            seen.add(t.id)
        uses_docker = bool(self.environment.containers or self.cleanup.containers) or any(
            isinstance(c, ExecCheck | ContainerCheck) for t in self.tasks for c in t.checks
        )
        if uses_docker and Requirement.docker not in self.requires and Requirement.kind not in self.requires:
            raise ValueError("this scenario uses containers: add docker to requires")
        return self

    def task(self, task_id: str) -> Task:
        for t in self.tasks:
            if t.id == task_id:
                return t
        raise KeyError(task_id)

    @property
    def container_names(self) -> list[str]:
        """Every container name this scenario owns: created on up or by the learner."""
        names = [c.name for c in self.environment.containers]
        names += [n for n in self.cleanup.containers if n not in names]
        return names


def json_schema() -> dict[str, Any]:
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "labtui scenario"
    return schema
