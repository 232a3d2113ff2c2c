"""Safe YAML -> Scenario, with every error reported as ``file:line:col: path: message``.

YAML is composed into nodes with PyYAML's SafeLoader (no tags, no code), then
turned into plain data by our own walk so that aliases cannot expand without
bound (billion laughs), nesting cannot exceed a fixed depth, duplicate keys are
errors and every value keeps the position it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from labtui.scenario.model import Scenario

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 50_000
MAX_DEPTH = 64

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


@dataclass
class LoadResult:
    path: Path
    scenario: Scenario | None = None
    problems: list[Problem] = field(default_factory=list)
    raw_id: str | None = None
    raw_title: str | None = None

    @property
    def ok(self) -> bool:
        return self.scenario is not None and not self.problems


class _TooBig(Exception):
    """The document cannot be turned into data safely."""

    def __init__(self, message: str, line: int = 1, col: int = 1) -> None:
        super().__init__(message)
        self.line, self.col = line, col


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


@dataclass
class _Positions:
    """Where each data path starts in the file (1-based line and column)."""

    marks: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def find(self, loc: Loc, key: bool = False) -> tuple[int, int]:
        """Position of the value at ``loc`` (of its key when ``key``), else of its nearest parent."""
        if loc in self.key_marks and (key or loc not in self.marks):
            return self.key_marks[loc]
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.marks:
                return self.marks[loc[:end]]
        return (1, 1)


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.count = 0
        self.positions = _Positions()
        self.problems: list[Problem] = []
        self._scalars = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, loc: Loc = (), depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig(f"more than {MAX_NODES} values (is an alias expanding without bound?)")
        if depth > MAX_DEPTH:
            raise _TooBig(f"nested deeper than {MAX_DEPTH} levels")
        self.positions.marks.setdefault(loc, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
            raise _TooBig(
                f"tag {node.tag} is not allowed (plain YAML only)",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, (*loc, "<key>"), depth + 1)
                if not isinstance(key, str | int | bool | float):
                    self._problem(key_node, loc, "mapping keys must be plain scalars")
                    continue
                kloc = (*loc, str(key))
                if key in out:
                    self._problem(key_node, kloc, f"duplicate key {key!r}")
                self.positions.key_marks[kloc] = (
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
                out[key] = self.build(value_node, kloc, depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i), depth + 1) for i, item in enumerate(node.value)]
        return self._scalars.construct_object(node, deep=True)

    def _problem(self, node: yaml.Node, loc: Loc, message: str) -> None:
        self.problems.append(
            Problem(
                self.file,
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                format_loc(loc),
                message,
            )
        )


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _too_many_events(text: str) -> bool:
    """Stop a huge document while parsing, before its node tree is built."""
    if len(text) < MAX_NODES:
        return False
    return any(count > 2 * MAX_NODES for count, _ in enumerate(yaml.parse(text, Loader=_LOADER)))


def _flow_depth_exceeded(text: str) -> tuple[int, int] | None:
    """Where ``[``/``{`` nesting passes MAX_DEPTH, found before the parser recurses into it."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth = line = 0
    col = 0
    for ch in text:
        col += 1
        if ch == "\n":
            line, col = line + 1, 0
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line + 1, col
        elif ch in "]}":
            depth = max(0, depth - 1)
    return None


def format_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _clean_loc(loc: tuple[Any, ...], data: Any) -> Loc:
    """Drop pydantic's union-tag segments (``checks[1].container.equals`` -> ``checks[1].equals``)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and node.get("kind") == part:
            continue
        if (
            isinstance(node, dict)
            and isinstance(part, str)
            and part in ("str", "ValueSource")
            and part not in node
        ):
            continue
        if isinstance(part, str) and part.startswith("function-"):
            continue
        out.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)


def _message(err: Any) -> str:
    kind = err.get("type", "")
    msg: str = err.get("msg", "invalid value")
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; `labtui schema` lists the fields)"
    if kind == "missing":
        return "required field is missing"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return msg


def parse_text(text: str, file: str) -> tuple[Any, _Positions, list[Problem]]:
    """YAML text -> plain data and positions; problems instead of exceptions."""
    builder = _Builder(file)
    too_deep = _flow_depth_exceeded(text)
    if too_deep:
        return (
            None,
            builder.positions,
            [Problem(file, too_deep[0], too_deep[1], "", f"nested deeper than {MAX_DEPTH} levels")],
        )
    try:
        if _too_many_events(text):
            return (
                None,
                builder.positions,
                [Problem(file, 1, 1, "", f"more than {MAX_NODES} values")],
            )
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = f"{exc.context + ': ' if exc.context else ''}{exc.problem or 'invalid YAML'}"
        return None, builder.positions, [Problem(file, line, col, "", f"invalid YAML: {problem}")]
    except yaml.YAMLError as exc:
        return None, builder.positions, [Problem(file, 1, 1, "", f"invalid YAML: {exc}")]
    except RecursionError:
        return (
            None,
            builder.positions,
            [Problem(file, 1, 1, "", f"nested deeper than {MAX_DEPTH} levels")],
        )
    if node is None:
        return None, builder.positions, [Problem(file, 1, 1, "", "the file is empty")]
    try:
        data = builder.build(node)
    except _TooBig as exc:
        return None, builder.positions, [Problem(file, exc.line, exc.col, "", str(exc))]
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        return None, builder.positions, [Problem(file, 1, 1, "", f"invalid YAML value: {exc}")]
    return data, builder.positions, builder.problems


def load_text(text: str, file: str, base_dir: Path | None = None) -> LoadResult:
    result = LoadResult(path=Path(file))
    data, positions, problems = parse_text(text, file)
    result.problems.extend(problems)
    if data is None:
        if not result.problems:
            result.problems.append(Problem(file, 1, 1, "", "the document is empty (null)"))
        return result
    if not isinstance(data, dict):
        result.problems.append(
            Problem(file, 1, 1, "", "a scenario is a mapping (key: value) at the top level")
        )
        return result
    if isinstance(data.get("id"), str):
        result.raw_id = data["id"]
    if isinstance(data.get("title"), str):
        result.raw_title = data["title"]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            where = _clean_loc(tuple(err["loc"]), data)
            line, col = positions.find(where, key=err.get("type") == "extra_forbidden")
            result.problems.append(Problem(file, line, col, format_loc(where), _message(err)))
        return result
    if base_dir is not None:
        for idx, ref in enumerate(scenario.environment.include):
            loc: Loc = ("environment", "include", idx)
            line, col = positions.find(loc)
            reason = check_reference(base_dir, ref)
            if reason:
                result.problems.append(Problem(file, line, col, format_loc(loc), reason))
    if not result.problems:
        result.scenario = scenario
    return result


def check_reference(base_dir: Path, ref: str) -> str | None:
    """A file reference must name something inside the scenario's folder."""
    if Path(ref).is_absolute():
        return f"{ref!r} is absolute: file references are relative to the scenario folder"
    base = base_dir.resolve()
    target = (base / ref).resolve()
    if not target.is_relative_to(base):
        return f"{ref!r} points outside the scenario folder"
    if not target.exists():
        return f"{ref!r} does not exist in the scenario folder"
    return None


def load_file(path: Path) -> LoadResult:
    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return LoadResult(
                path,
                problems=[
                    Problem(file, 1, 1, "", f"file is {size} bytes; the limit is {MAX_FILE_BYTES}")
                ],
            )
        raw = path.read_bytes()
    except OSError as exc:
        return LoadResult(
            path, problems=[Problem(file, 1, 1, "", f"cannot read: {exc.strerror or exc}")]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return LoadResult(
            path, problems=[Problem(file, 1, 1, "", f"not UTF-8 text (byte {exc.start})")]
        )
    result = load_text(text, file, base_dir=path.parent)
    result.path = path
    return result
