#!/usr/bin/env python3
"""Falco-style rules over a recorded strace: the runtime-detection lab's detector.

    python3 detect.py run RULES TRACE [--container NAME]   print the alerts RULES raise on TRACE
    python3 detect.py lint RULES                            check RULES without a trace
    python3 detect.py fields                                the fields a condition can use

TRACE is what `strace -f -tt -o TRACE -p PID` wrote, or `-` to read a live strace
from standard input. RULES.md (next to this file) describes the rule format: a
subset of Falco's YAML (rule, desc, condition, output, priority; macro; list)
and of its condition language.

The lab's checks use two more commands:

    python3 detect.py trace TRACE --container NAME --expect app|miner
    python3 detect.py expect RULES TRACE --container NAME --expect app|miner [--elsewhere]

Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import codecs
import errno
import fnmatch
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Python 3.8 cannot subscript these at run time
    Fields = dict[str, str | int | None]
    Test = Callable[[Fields], bool]

# ---------------------------------------------------------------------------
# Fields

FIELDS: dict[str, str] = {
    "evt.type": "the system call: execve, openat, connect, clone, ...",
    "evt.dir": "always < (strace shows each call once, when it has returned)",
    "evt.res": "SUCCESS, or the error's name (ENOENT, ECONNREFUSED, ...)",
    "evt.rawres": "the return value as a number (an error is negative: -111)",
    "evt.args": "the call's arguments as strace printed them",
    "evt.time": "the time of the call (record with -tt), else <NA>",
    "evt.num": "the event's number in the trace (1, 2, ...)",
    "evt.is_open_read": "true when an open call opens for reading, false otherwise",
    "evt.is_open_write": "true when an open call opens for writing (O_WRONLY, O_RDWR, creat)",
    "proc.name": "the process name (comm): the executed file's base name, at most 15 characters",
    "proc.exepath": "the full path of the executed file",
    "proc.exe": "argv[0]: what the process calls itself",
    "proc.args": "the arguments after argv[0]",
    "proc.cmdline": "proc.name followed by proc.args",
    "proc.pname": "the parent process's proc.name",
    "proc.pexepath": "the parent process's proc.exepath",
    "fd.name": "open calls: the path; connect: the server ADDRESS:PORT; unix sockets: the path",
    "fd.directory": "open calls: the directory of fd.name",
    "fd.filename": "open calls: the file name of fd.name, without its directory",
    "fd.type": "file, ipv4, ipv6 or unix",
    "fd.sip": "connect: the server's (here: the remote) IP address",
    "fd.sport": "connect: the server's (here: the remote) port",
    "fd.rip": "connect: the remote IP address (the same as fd.sip for a connect)",
    "fd.rport": "connect: the remote port (the same as fd.sport for a connect)",
    "container.id": "the container's short id (12 characters), or host",
    "container.name": "the container's name, or host",
    "container.image": "the container's image (repository:tag)",
    "container.image.repository": "the image without its tag",
    "container.image.tag": "the image's tag",
}
NUMERIC = {"evt.rawres", "evt.num", "fd.sport", "fd.rport"}
PRIORITIES = {
    "emergency": "Emergency",
    "alert": "Alert",
    "critical": "Critical",
    "error": "Error",
    "warning": "Warning",
    "notice": "Notice",
    "informational": "Informational",
    "info": "Informational",
    "debug": "Debug",
}
NA = "<NA>"


class RuleError(Exception):
    """A rule file this detector cannot load; the message names the line."""


class TraceError(Exception):
    """A trace that cannot serve as evidence; the message says how to record it."""


# ---------------------------------------------------------------------------
# The YAML subset of Falco rule files


def _strip_comment(line: str) -> str:
    """Drop a `#` comment outside quotes (YAML: at the start or after a space)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'" and (i == 0 or line[i - 1] in " [,:"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _unquote(text: str, lineno: int) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            return str(json.loads(text))
        except ValueError as exc:
            raise RuleError(f"line {lineno}: bad double-quoted string {text}") from exc
    if text[:1] in "\"'":
        raise RuleError(f"line {lineno}: a quoted string must end on the same line: {text}")
    return text


def _flow_list(text: str, lineno: int) -> list[str]:
    inner = text.strip()
    if not (inner.startswith("[") and inner.endswith("]")):
        raise RuleError(f"line {lineno}: expected a list like [a, b, c], got {text}")
    items, current, quote = [], "", ""
    for ch in inner[1:-1]:
        if quote:
            current += ch
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
            current += ch
        elif ch == ",":
            items.append(current)
            current = ""
        else:
            current += ch
    if current.strip() or items:
        items.append(current)
    return [_unquote(i, lineno) for i in items if i.strip()]


@dataclass
class Item:
    """One entry of a rule file: a rule, a macro or a list, with its keys' lines."""

    line: int
    values: dict[str, str | list[str]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)


def parse_rules_yaml(text: str) -> list[Item]:
    """The YAML Falco rule files use: a sequence of mappings with plain, quoted,
    folded (>) or literal (|) strings and lists; nothing else."""
    lines = text.splitlines()
    items: list[Item] = []
    item: Item | None = None
    key_indent = 0
    i = 0
    while i < len(lines):
        raw = lines[i]
        lineno = i + 1
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise RuleError(f"line {lineno}: indent with spaces, not tabs")
        line = _strip_comment(raw)
        if not line.strip() or line.strip() == "---":
            i += 1
            continue
        start = re.match(r"^( *- +)([A-Za-z_][\w-]*) *:(?: +(.*))?$", line)
        entry = re.match(r"^( *)([A-Za-z_][\w-]*) *:(?: +(.*))?$", line)
        if start:
            item = Item(lineno)
            items.append(item)
            key_indent = len(start.group(1))
            key, rest = start.group(2), start.group(3) or ""
        elif item is not None and entry and len(entry.group(1)) == key_indent:
            key, rest = entry.group(2), entry.group(3) or ""
        else:
            raise RuleError(
                f"line {lineno}: expected `- rule:`, `- macro:` or `- list:`, or a "
                f"`key: value` under one (indented like its first key): {raw.strip()}"
            )
        if key in item.values:
            raise RuleError(f"line {lineno}: {key} appears twice in this entry")
        value, i = _read_value(lines, i + 1, key_indent, rest, lineno)
        item.values[key] = value
        item.lines[key] = lineno
    return items


def _read_value(
    lines: list[str], i: int, key_indent: int, rest: str, lineno: int
) -> tuple[str | list[str], int]:
    """The value starting with ``rest`` on line ``lineno``; returns it and the next line index."""
    rest = rest.strip()
    block = bool(re.fullmatch(r"[>|][+-]?", rest))
    more: list[str] = []
    while i + len(more) < len(lines):
        raw = lines[i + len(more)]
        ends = block or not raw.lstrip().startswith("#")  # comments may sit anywhere
        if raw.strip() and _indent(raw) <= key_indent and ends:
            break
        more.append(raw)
    while more and (not more[-1].strip() or (not block and more[-1].lstrip().startswith("#"))):
        more.pop()
    following = i + len(more)
    if block:
        content = [m for m in more if m.strip()]
        if not content:
            return "", following
        indent = min(_indent(m) for m in content)
        texts = [m[indent:] if m.strip() else "" for m in more]
        if rest[0] == "|":
            return "\n".join(texts).strip(), following
        return re.sub(r"\s+", " ", " ".join(texts)).strip(), following
    content = [c for c in (_strip_comment(m) for m in more) if c.strip()]
    if rest.startswith("["):
        return _flow_list(" ".join([rest, *(c.strip() for c in content)]), lineno), following
    if not rest and content and content[0].lstrip().startswith("- "):
        values = []
        for c in content:
            if not c.lstrip().startswith("- "):
                raise RuleError(f"line {lineno}: mix of list items and text under one key")
            values.append(_unquote(c.lstrip()[2:], lineno))
        return values, following
    if rest[:1] in "\"'":
        if content:
            raise RuleError(f"line {lineno}: a quoted string must end on the same line")
        return _unquote(rest, lineno), following
    for number, text in [(lineno, rest)] + [
        (i + k + 1, _strip_comment(m)) for k, m in enumerate(more) if _strip_comment(m).strip()
    ]:
        if ": " in text or text.endswith(":"):
            raise RuleError(
                f"line {number}: `: ` inside a plain value is not YAML: {text.strip()} "
                "(a key indented deeper than the others? Otherwise quote the text or start "
                "it with > on the line before)"
            )
    return " ".join([rest, *(c.strip() for c in content)]).strip(), following


# ---------------------------------------------------------------------------
# Conditions

_WORD_OPS = ("startswith", "endswith", "icontains", "contains", "in", "pmatch", "glob", "exists")
_FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")
_SYMBOL_OP = re.compile(r"==|!=|<=|>=|=|<|>")


def _number(value: object) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def _equal(actual: str | int, wanted: str) -> bool:
    a, b = _number(actual), _number(wanted)
    if a is not None and b is not None:
        return a == b
    return str(actual) == wanted


def compare(op: str, actual: str | int | None, value: str | list[str]) -> bool:
    """Falco's rule: a field without a value for this event makes every comparison false."""
    if op == "exists":
        return actual is not None
    if actual is None:
        return False
    text = str(actual)
    if op in ("=", "=="):
        return _equal(actual, str(value))
    if op == "!=":
        return not _equal(actual, str(value))
    if op in ("<", "<=", ">", ">="):
        a, b = _number(actual), _number(value)
        if a is None or b is None:
            return False
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    if op == "contains":
        return str(value) in text
    if op == "icontains":
        return str(value).lower() in text.lower()
    if op == "startswith":
        return text.startswith(str(value))
    if op == "endswith":
        return text.endswith(str(value))
    if op == "glob":
        return fnmatch.fnmatchcase(text, str(value))
    if op == "in":
        return any(_equal(actual, v) for v in value)
    if op == "pmatch":
        return any(text == v.rstrip("/") or text.startswith(v.rstrip("/") + "/") for v in value)
    raise AssertionError(op)


class Condition:
    """A parsed condition: ``evt.type = execve and not proc.name in (sh, bash)``."""

    def __init__(self, text: str, where: str, rules: RuleSet) -> None:
        self.text = text
        self.where = where
        self.rules = rules
        self.pos = 0
        self.test = self._parse_all()

    def fail(self, message: str) -> RuleError:
        shown = self.text if len(self.text) < 120 else self.text[:117] + "..."
        pointer = " " * min(self.pos, 119) + "^"
        return RuleError(f"{self.where}: {message}\n    {shown}\n    {pointer}")

    def _skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _keyword(self, word: str) -> bool:
        self._skip()
        end = self.pos + len(word)
        if self.text[self.pos : end] == word and (
            end == len(self.text) or self.text[end].isspace() or self.text[end] == "("
        ):
            self.pos = end
            return True
        return False

    def _parse_all(self) -> Test:
        if not self.text.strip():
            raise self.fail("the condition is empty")
        test = self._or()
        self._skip()
        if self.pos != len(self.text):
            raise self.fail("expected `and`, `or` or the end of the condition here")
        return test

    def _or(self) -> Test:
        parts = [self._and()]
        while self._keyword("or"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda e: any(p(e) for p in parts))

    def _and(self) -> Test:
        parts = [self._not()]
        while self._keyword("and"):
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else (lambda e: all(p(e) for p in parts))

    def _not(self) -> Test:
        if self._keyword("not"):
            inner = self._not()
            return lambda e: not inner(e)
        return self._primary()

    def _primary(self) -> Test:
        self._skip()
        if self.text.startswith("(", self.pos):
            self.pos += 1
            inner = self._or()
            self._skip()
            if not self.text.startswith(")", self.pos):
                raise self.fail("expected `)` here")
            self.pos += 1
            return inner
        match = _FIELD_RE.match(self.text, self.pos)
        if not match:
            raise self.fail("expected a field (proc.name), a macro, `not` or `(` here")
        name = match.group(0)
        if name in ("and", "or"):
            raise self.fail(f"`{name}` needs something on both sides")
        if name in FIELDS:
            self.pos = match.end()
            return self._comparison(name)
        if name in self.rules.macros:
            self.pos = match.end()
            return self.rules.macro(name, self.where)
        if "." in name:
            raise self.fail(
                f"unknown field {name}: this detector knows {', '.join(FIELDS)} "
                "(python3 detect.py fields)"
            )
        raise self.fail(f"{name} is neither a field nor a macro defined in this file")

    def _comparison(self, name: str) -> Test:
        self._skip()
        op = None
        symbol = _SYMBOL_OP.match(self.text, self.pos)
        if symbol:
            op = symbol.group(0)
            self.pos = symbol.end()
        else:
            for word in _WORD_OPS:
                if self._keyword(word):
                    op = word
                    break
        if op is None:
            raise self.fail(
                f"expected an operator after {name}: = != < <= > >= contains icontains "
                "startswith endswith glob in pmatch exists"
            )
        if op == "exists":
            return lambda e: compare("exists", e.get(name), "")
        if op in ("in", "pmatch"):
            values = self._list()
            return lambda e: compare(op, e.get(name), values)
        value = self._value()
        return lambda e: compare(op, e.get(name), value)

    def _value(self) -> str:
        self._skip()
        quoted = re.compile(r"'([^']*)'|\"((?:[^\"\\]|\\.)*)\"").match(self.text, self.pos)
        if quoted:
            self.pos = quoted.end()
            if quoted.group(1) is not None:
                return quoted.group(1)
            return str(json.loads('"' + quoted.group(2) + '"'))
        bare = re.compile(r"[^\s()]+").match(self.text, self.pos)
        if not bare or bare.group(0) in ("and", "or", "not"):
            raise self.fail("expected a value here")
        self.pos = bare.end()
        return bare.group(0)

    def _list(self) -> list[str]:
        self._skip()
        if not self.text.startswith("(", self.pos):
            raise self.fail("expected a list in parentheses here: (a, b, c)")
        self.pos += 1
        values: list[str] = []
        while True:
            self._skip()
            if self.text.startswith(")", self.pos):
                self.pos += 1
                return values
            quoted = re.compile(r"'([^']*)'|\"([^\"]*)\"").match(self.text, self.pos)
            if quoted:
                self.pos = quoted.end()
                values.append(quoted.group(1) if quoted.group(1) is not None else quoted.group(2))
            else:
                bare = re.compile(r"[^\s,()]+").match(self.text, self.pos)
                if not bare:
                    raise self.fail("expected a value, `,` or `)` here")
                self.pos = bare.end()
                word = bare.group(0)
                values += self.rules.list_items(word) if word in self.rules.lists else [word]
            self._skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith(")", self.pos):
                raise self.fail("expected `,` or `)` here")


# ---------------------------------------------------------------------------
# Rule files

OUTPUT_FIELD = re.compile(r"%([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)")
ENTRY_KEYS = {
    "rule": {"rule", "desc", "condition", "output", "priority", "enabled", "tags", "source"},
    "macro": {"macro", "condition"},
    "list": {"list", "items"},
    "required_engine_version": {"required_engine_version"},
}
NOT_HERE = {"append", "override", "exceptions", "required_plugin_versions"}


@dataclass
class Rule:
    name: str
    desc: str
    condition: Condition
    output: str
    priority: str
    enabled: bool
    tags: list[str]

    def render(self, event: Fields) -> str:
        def value(match: re.Match[str]) -> str:
            got = event.get(match.group(1))
            return NA if got is None or got == "" else str(got)

        return OUTPUT_FIELD.sub(value, self.output)


class RuleSet:
    """Lists, macros and rules of one file, checked as Falco checks them when it loads."""

    def __init__(self, text: str, path: str = "rules") -> None:
        self.path = path
        self.lists: dict[str, list[str]] = {}
        self.macros: dict[str, str] = {}
        self._macro_tests: dict[str, Test] = {}
        self._expanding: list[str] = []
        self.rules: list[Rule] = []
        try:
            items = parse_rules_yaml(text)
        except RuleError as exc:
            raise RuleError(f"{path}: {exc}") from exc
        if not items:
            raise RuleError(f"{path}: no rule in this file (it needs at least one `- rule:`)")
        kinds = []
        for item in items:
            kind = next((k for k in ENTRY_KEYS if k in item.values), None)
            where = f"{path}:{item.line}"
            if kind is None:
                raise RuleError(f"{where}: an entry starts with `- rule:`, `- macro:` or `- list:`")
            for key, line in item.lines.items():
                if key in NOT_HERE:
                    raise RuleError(
                        f"{path}:{line}: {key} is Falco's, but not in this lab's subset"
                    )
                if key not in ENTRY_KEYS[kind]:
                    known = ", ".join(sorted(ENTRY_KEYS[kind]))
                    raise RuleError(f"{path}:{line}: unknown key {key} in a {kind} ({known})")
            kinds.append((kind, item))
        for kind, item in kinds:
            where = f"{path}:{item.line}"
            if kind == "list":
                name = self._name(item, "list")
                values = item.values.get("items")
                if not isinstance(values, list):
                    raise RuleError(f"{where}: list {name} needs `items: [a, b, c]`")
                self.lists[name] = values
            elif kind == "macro":
                name = self._name(item, "macro")
                if name in FIELDS or "." in name:
                    raise RuleError(f"{where}: a macro's name cannot look like a field: {name}")
                self.macros[name] = self._text(item, "condition", where)
        for kind, item in kinds:
            if kind == "rule":
                self.rules.append(self._rule(item))
        for name in self.macros:
            self.macro(name, f"{path}: macro {name}")
        if not self.rules:
            raise RuleError(f"{path}: no rule in this file (it needs at least one `- rule:`)")
        if not self.enabled:
            raise RuleError(f"{path}: every rule is disabled (enabled: false)")

    def _name(self, item: Item, kind: str) -> str:
        name = item.values[kind]
        if not isinstance(name, str) or not name.strip():
            raise RuleError(f"{self.path}:{item.line}: {kind} needs a name")
        return name.strip()

    def _text(self, item: Item, key: str, where: str) -> str:
        value = item.values.get(key)
        if value is None:
            raise RuleError(f"{where}: missing `{key}:`")
        if not isinstance(value, str) or not value.strip():
            raise RuleError(f"{self.path}:{item.lines[key]}: `{key}:` needs text")
        return value.strip()

    def _rule(self, item: Item) -> Rule:
        name = self._name(item, "rule")
        where = f"{self.path}:{item.line} (rule {name!r})"
        for key in ("desc", "condition", "output", "priority"):
            self._text(item, key, where)
        cond_where = f"{self.path}:{item.lines['condition']} (condition of {name!r})"
        condition = Condition(self._text(item, "condition", where), cond_where, self)
        output = self._text(item, "output", where)
        for field_name in OUTPUT_FIELD.findall(output):
            if field_name not in FIELDS:
                raise RuleError(
                    f"{self.path}:{item.lines['output']}: unknown field %{field_name} in the "
                    "output (python3 detect.py fields)"
                )
        priority = self._text(item, "priority", where)
        if priority.lower() not in PRIORITIES:
            raise RuleError(
                f"{self.path}:{item.lines['priority']}: priority {priority} is not one of "
                "EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL, DEBUG"
            )
        enabled = str(item.values.get("enabled", "true")).lower()
        if enabled not in ("true", "false"):
            raise RuleError(f"{self.path}:{item.lines['enabled']}: enabled is true or false")
        source = item.values.get("source", "syscall")
        if source != "syscall":
            raise RuleError(f"{self.path}:{item.lines['source']}: only source: syscall is here")
        tags = item.values.get("tags", [])
        return Rule(
            name=name,
            desc=self._text(item, "desc", where),
            condition=condition,
            output=output,
            priority=PRIORITIES[priority.lower()],
            enabled=enabled == "true",
            tags=tags if isinstance(tags, list) else [tags],
        )

    def list_items(self, name: str, seen: tuple[str, ...] = ()) -> list[str]:
        if name in seen:
            raise RuleError(f"{self.path}: list {name} contains itself")
        values: list[str] = []
        for v in self.lists[name]:
            values += self.list_items(v, (*seen, name)) if v in self.lists else [v]
        return values

    def macro(self, name: str, where: str) -> Test:
        if name in self._macro_tests:
            return self._macro_tests[name]
        if name in self._expanding:
            chain = " -> ".join([*self._expanding, name])
            raise RuleError(f"{where}: macros use each other in a circle: {chain}")
        self._expanding.append(name)
        try:
            test = Condition(self.macros[name], f"{self.path}: macro {name}", self).test
        finally:
            self._expanding.pop()
        self._macro_tests[name] = test
        return test

    @property
    def enabled(self) -> list[Rule]:
        return [r for r in self.rules if r.enabled]


def load_rules(path: str) -> RuleSet:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise RuleError(f"{path}: {exc.strerror}") from exc
    return RuleSet(text, path)


# ---------------------------------------------------------------------------
# Traces

_LINE = re.compile(
    r"^(?:\[pid\s+(?P<bpid>\d+)\]|(?P<pid>\d+)(?=[\s<]))?(?:<(?P<comm>[^>]*)>)?\s*"
    r"(?:(?P<time>\d\d:\d\d:\d\d(?:\.\d+)?|\d{9,}\.\d+)\s+)?(?P<body>.*)$"
)
_CALL = re.compile(r"^([a-z_][a-z0-9_]*)\((.*)$")
_RESUMED = re.compile(r"^<\.\.\. ([a-z_][a-z0-9_]*) resumed>\s?(.*)$")
_RESULT = re.compile(r"\)\s+=\s+")
_RET = re.compile(r"^(-?\d+|0x[0-9a-fA-F]+|\?)(?:<[^>]*>)?(?:\s+(E[A-Z0-9]+)\b)?")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"(\.\.\.)?')
CLONES = {"clone", "clone3", "fork", "vfork"}
OPENS = {"open", "openat", "openat2", "creat"}
EXECS = {"execve", "execveat"}


def c_string(text: str) -> str:
    """A string as strace prints it (C escapes) as text."""
    try:
        raw = codecs.escape_decode(text.encode("latin-1", "backslashreplace"))[0]
    except ValueError:
        return text
    return bytes(raw).decode("utf-8", "replace")


@dataclass
class Proc:
    name: str = NA
    exepath: str = NA
    exe: str = NA
    args: str = ""
    parent: int | None = None


@dataclass
class Container:
    id: str = "host"
    name: str = "host"
    image: str | None = None
    pid: int | None = None

    def fields(self) -> Fields:
        repo, tag = None, None
        if self.image:
            repo, tag = self.image, "latest"
            if ":" in self.image.rsplit("/", 1)[-1]:
                repo, tag = self.image.rsplit(":", 1)
        return {
            "container.id": self.id,
            "container.name": self.name,
            "container.image": self.image,
            "container.image.repository": repo,
            "container.image.tag": tag,
        }


ELSEWHERE = Container(id="5d2f9a0c71be", name="shop-web-7f9c", image="registry.example/shop:1.4")


def container_named(name: str) -> Container:
    """A running container, as docker inspect sees it now."""
    try:
        res = subprocess.run(
            ["docker", "inspect", "-f", "{{.Id}} {{.State.Pid}} {{.Config.Image}}", name],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TraceError(f"cannot ask docker about {name}: {exc}") from exc
    parts = res.stdout.split()
    if res.returncode != 0 or len(parts) < 3:
        raise TraceError(f"no container {name}: {res.stderr.strip() or res.stdout.strip()}")
    pid = int(parts[1])
    if pid == 0:
        raise TraceError(f"{name} is not running (docker start {name}, or labtui up)")
    return Container(id=parts[0][:12], name=name, image=parts[2], pid=pid)


def live_proc(pid: int) -> Proc | None:
    """What /proc says about a process that is still running (the one strace attached to)."""
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as handle:
            name = handle.read().strip()
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = handle.read().decode("utf-8", "replace").split("\0")
    except OSError:
        return None
    try:
        exepath = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        exepath = NA
    argv = [a for a in argv if a] or [name]
    return Proc(name=name, exepath=exepath, exe=argv[0], args=" ".join(argv[1:]))


def _strings(text: str) -> list[str]:
    return [c_string(m.group(1)) for m in _STRING.finditer(text)]


def _execve_argv(args: str) -> tuple[str, list[str]]:
    first = _STRING.search(args)
    if not first:
        return NA, []
    path = c_string(first.group(1))
    rest = args[first.end() :]
    bracket = rest.find("[")
    argv: list[str] = []
    if bracket >= 0:
        pos = bracket + 1
        while True:
            m = _STRING.match(rest, pos)
            if not m:
                break
            argv.append(c_string(m.group(1)))
            pos = m.end()
            if rest.startswith(", ", pos):
                pos += 2
            else:
                break
    return path, argv


def _open_fields(name: str, args: str) -> Fields:
    strings = list(_STRING.finditer(args))
    if not strings:
        return {}
    path = c_string(strings[0].group(1))
    after = args[strings[0].end() :]
    flags = set(re.findall(r"O_[A-Z]+", after))
    write = name == "creat" or bool(flags & {"O_WRONLY", "O_RDWR"})
    read = name != "creat" and ("O_WRONLY" not in flags)
    directory, _, filename = path.rpartition("/")
    return {
        "fd.name": path,
        "fd.type": "file",
        "fd.directory": directory or ("/" if path.startswith("/") else "."),
        "fd.filename": filename,
        "evt.is_open_write": "true" if write else "false",
        "evt.is_open_read": "true" if read else "false",
    }


def _connect_fields(args: str) -> Fields:
    if "AF_UNIX" in args:
        paths = _strings(args)
        return {"fd.type": "unix", "fd.name": paths[0] if paths else NA}
    port = re.search(r"sin6?_port=htons\((\d+)\)", args)
    addr = re.search(r'inet_addr\("([^"]+)"\)', args) or re.search(
        r'inet_pton\(AF_INET6,\s*"([^"]+)"', args
    )
    if not port or not addr:
        return {}
    family = "ipv6" if "AF_INET6" in args else "ipv4"
    ip, number = addr.group(1), int(port.group(1))
    return {
        "fd.type": family,
        "fd.name": f"{ip}:{number}",
        "fd.sip": ip,
        "fd.rip": ip,
        "fd.sport": number,
        "fd.rport": number,
    }


@dataclass
class Trace:
    """Events of one strace recording, with the process tree strace followed."""

    container: Container = field(default_factory=Container)
    procs: dict[int, Proc] = field(default_factory=dict)
    root: int | None = None
    events: int = 0
    with_pids: bool = False
    pending: dict[int, tuple[str, str]] = field(default_factory=dict)
    cloning: list[int] = field(default_factory=list)

    def proc(self, pid: int) -> Proc:
        if pid in self.procs:
            return self.procs[pid]
        if self.root is None:
            self.root = pid
            live = live_proc(pid) if pid == self.container.pid else None
            self.procs[pid] = live or Proc()
            return self.procs[pid]
        parent = self.cloning.pop(0) if self.cloning else None
        if parent is not None and parent in self.procs:
            self.procs[pid] = replace(self.procs[parent], parent=parent)
        else:
            self.procs[pid] = Proc()
        return self.procs[pid]

    def feed(self, lines: Iterable[str]) -> Iterator[Fields]:
        for raw in lines:
            yield from self.line(raw.rstrip("\n"))

    def line(self, raw: str) -> Iterator[Fields]:
        if not raw.strip() or raw.startswith("strace: "):
            return
        m = _LINE.match(raw)
        if not m:
            return
        pid_text = m.group("pid") or m.group("bpid")
        if pid_text is not None:
            self.with_pids = True
            pid = int(pid_text)
        elif self.root is not None:
            pid = self.root
        else:
            pid = self.container.pid or 0
        body = m.group("body")
        proc = self.proc(pid)
        if m.group("comm"):
            proc.name = m.group("comm")
        if body.startswith(("+++", "---")):
            return
        resumed = _RESUMED.match(body)
        if resumed:
            name, head = resumed.group(1), self.pending.pop(pid, (resumed.group(1), ""))[1]
            text = head + resumed.group(2)
        else:
            call = _CALL.match(body)
            if not call:
                return
            name, text = call.group(1), call.group(2)
            if text.endswith("<unfinished ...>"):
                self.pending[pid] = (name, text[: -len("<unfinished ...>")])
                if name in CLONES:
                    self.cloning.append(pid)
                return
            if text.endswith("<detached ...>"):
                return
        found = list(_RESULT.finditer(text))
        if not found:
            return
        args, result = text[: found[-1].start()], text[found[-1].end() :]
        ret = _RET.match(result)
        rawres: int | None = None
        res = "SUCCESS"
        if ret:
            if ret.group(1) != "?":
                rawres = int(ret.group(1), 16 if ret.group(1).startswith("0x") else 10)
            if ret.group(2):
                res = ret.group(2)
                rawres = -getattr(errno, res, 1)
        ok = res == "SUCCESS"
        if name in CLONES and not resumed and ok:
            self.cloning.append(pid)
        elif name in CLONES and resumed and not ok and pid in self.cloning:
            self.cloning.remove(pid)  # no child after all
        extra: Fields = {}
        if name in EXECS and ok:
            path, argv = _execve_argv(args)
            if path != "/proc/self/exe":
                proc.exepath = path
            proc.name = m.group("comm") or os.path.basename(path)[:15]
            proc.exe = argv[0] if argv else path
            proc.args = " ".join(argv[1:])
        elif name == "prctl" and ok and args.startswith("PR_SET_NAME"):
            names = _strings(args)
            if names:
                proc.name = names[0][:15]
        elif name == "readlink" and ok and args.startswith('"/proc/self/exe"'):
            names = _strings(args)
            if len(names) > 1:
                proc.exepath = names[1]
        if name in OPENS:
            extra = _open_fields(name, args)
        elif name == "connect":
            extra = _connect_fields(args)
        self.events += 1
        parent = self.procs.get(proc.parent) if proc.parent is not None else None
        event: Fields = {
            "evt.type": name,
            "evt.dir": "<",
            "evt.res": res,
            "evt.rawres": rawres,
            "evt.args": args,
            "evt.time": m.group("time"),
            "evt.num": self.events,
            "evt.is_open_read": "false",
            "evt.is_open_write": "false",
            "proc.name": proc.name,
            "proc.exepath": proc.exepath,
            "proc.exe": proc.exe,
            "proc.args": proc.args,
            "proc.cmdline": f"{proc.name} {proc.args}".strip(),
            "proc.pname": parent.name if parent else None,
            "proc.pexepath": parent.exepath if parent else None,
            **self.container.fields(),
            **extra,
        }
        yield event


def read_lines(path: str) -> Iterator[str]:
    if path == "-":
        while True:
            line = sys.stdin.readline()
            if not line:
                return
            yield line
        return
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            yield from handle
    except OSError as exc:
        raise TraceError(
            f"{path}: {exc.strerror} (record it: sudo timeout 10 strace -f -tt -o {path} -p PID)"
        ) from exc


# ---------------------------------------------------------------------------
# Commands


def alert_line(rule: Rule, event: Fields) -> str:
    when = event.get("evt.time") or f"event {event.get('evt.num')}"
    return f"{when}: {rule.priority} {rule.render(event)}"


@dataclass
class Outcome:
    events: list[Fields]
    alerts: list[tuple[Rule, Fields]]
    trace: Trace


def evaluate(rules: RuleSet | None, path: str, container: Container, echo: bool = False) -> Outcome:
    trace = Trace(container=container)
    events: list[Fields] = []
    alerts: list[tuple[Rule, Fields]] = []
    for event in trace.feed(read_lines(path)):
        events.append(event)
        for rule in rules.enabled if rules else []:
            if rule.condition.test(event):
                alerts.append((rule, event))
                if echo:
                    print(alert_line(rule, event), flush=True)
    return Outcome(events, alerts, trace)


def describe(container: Container) -> str:
    return "the host" if container.id == "host" else container.name


def validate(outcome: Outcome, path: str, container: Container, expect: str) -> str:
    """Why this trace cannot serve as evidence of ``expect`` (raises), or what it shows."""
    trace = outcome.trace
    record = f"sudo timeout 10 strace -f -tt -o {path} -p {container.pid}"
    if not outcome.events:
        raise TraceError(f"{path} holds no system calls: record it again ({record})")
    if not trace.with_pids:
        raise TraceError(
            f"{path} has no process ids: record with -f (follow the processes it starts) "
            f"and -o FILE ({record})"
        )
    if container.pid is not None and container.pid not in trace.procs:
        seen = trace.root if trace.root is not None else "?"
        raise TraceError(
            f"{path} follows PID {seen}, but {container.name}'s first process is PID "
            f"{container.pid} now: record {container.name} ({record})"
        )
    if len(trace.procs) < 2:
        raise TraceError(
            f"{path} shows only one process: record with -f, for 10 seconds ({record})"
        )
    opens = [e for e in outcome.events if e["evt.type"] in OPENS]
    connects = [e for e in outcome.events if e["evt.type"] == "connect"]
    app_round = any(e.get("fd.sport") == 8080 for e in connects) and any(
        e.get("fd.name") == "/tmp/report.txt" and e.get("evt.is_open_write") == "true"
        for e in opens
    )
    if not app_round:
        raise TraceError(
            f"{path} does not cover one round of the app's loop (a wget to port 8080 and a "
            f"write to /tmp/report.txt, every 2 seconds): record for 10 seconds ({record})"
        )
    starts = [
        e
        for e in outcome.events
        if e["evt.type"] in EXECS
        and e["evt.res"] == "SUCCESS"
        and str(e.get("proc.exepath")).startswith("/tmp/")
    ]
    if expect == "miner" and not starts:
        raise TraceError(
            f"{path} does not show the miner starting (it starts every few seconds): "
            f"record for 10 seconds or more ({record})"
        )
    if expect == "app" and starts:
        raise TraceError(f"{path} shows a program started from /tmp: that is not {expect}")
    procs = len(trace.procs) - 1
    return (
        f"{path} follows {container.name} (PID {container.pid}) and {procs} processes it "
        f"started: {len(outcome.events)} system calls"
        + (f", the miner starting {len(starts)} time(s)" if starts else "")
    )


def cmd_run(args: argparse.Namespace) -> int:
    rules = load_rules(args.rules)
    container = container_named(args.container) if args.container else Container()
    outcome = evaluate(rules, args.trace, container, echo=True)
    count: dict[str, int] = {}
    for rule, _ in outcome.alerts:
        count[rule.name] = count.get(rule.name, 0) + 1
    per_rule = "; ".join(f"{n}: {c}" for n, c in count.items()) or "no rule fired"
    if container.id == "host":
        per_rule += "; without --container NAME the events count as the host's"
    print(
        f"-- {len(outcome.alerts)} alert(s) in {len(outcome.events)} system calls of "
        f"{len(outcome.trace.procs)} processes on {describe(container)} ({per_rule})"
    )
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    rules = load_rules(args.rules)
    names = ", ".join(repr(r.name) for r in rules.rules)
    print(
        f"ok: {args.rules}: {len(rules.rules)} rule(s) ({names}), "
        f"{len(rules.macros)} macro(s), {len(rules.lists)} list(s)"
    )
    return 0


def cmd_fields(_: argparse.Namespace) -> int:
    width = max(len(f) for f in FIELDS)
    for name, text in FIELDS.items():
        print(f"{name:<{width}}  {text}")
    return 0


def cmd_trace(args: argparse.Namespace) -> int:
    container = container_named(args.container)
    outcome = evaluate(None, args.trace, container)
    print("ok: " + validate(outcome, args.trace, container, args.expect))
    return 0


def cmd_expect(args: argparse.Namespace) -> int:
    rules = load_rules(args.rules)
    container = container_named(args.container)
    validate(evaluate(None, args.trace, container), args.trace, container, args.expect)
    shown = replace(ELSEWHERE, pid=container.pid) if args.elsewhere else container
    outcome = evaluate(rules, args.trace, shown)
    where = f"{describe(shown)} ({shown.image})" if args.elsewhere else describe(shown)
    for rule, event in outcome.alerts[:3]:
        print(alert_line(rule, event))
    n = len(outcome.alerts)
    if args.expect == "miner" and n:
        print(f"fires: {n} alert(s) on the miner's behaviour in {where}")
        return 0
    if args.expect == "miner":
        hint = (
            " (does the condition name the container? Detect the behaviour instead)"
            if args.elsewhere
            else ""
        )
        print(f"silent: no alert on {len(outcome.events)} system calls in {where}{hint}")
        return 1
    if n:
        print(f"fires on the normal app: {n} alert(s) on {where}'s everyday behaviour")
        return 1
    print(f"silent: no alert on {len(outcome.events)} system calls of the normal app in {where}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="detect.py",
        description="Falco-style rules over a recorded strace (see RULES.md).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="print the alerts RULES raise on TRACE")
    run.add_argument("rules")
    run.add_argument("trace", help="strace -f -o output, or - to read it from standard input")
    run.add_argument("--container", help="the container the trace was recorded in")
    run.set_defaults(func=cmd_run)
    lint = sub.add_parser("lint", help="check a rule file")
    lint.add_argument("rules")
    lint.set_defaults(func=cmd_lint)
    sub.add_parser("fields", help="the fields a condition can use").set_defaults(func=cmd_fields)
    trace = sub.add_parser("trace", help="check that TRACE records CONTAINER (lab check)")
    trace.add_argument("trace")
    trace.add_argument("--container", required=True)
    trace.add_argument("--expect", choices=("app", "miner"), required=True)
    trace.set_defaults(func=cmd_trace)
    expect = sub.add_parser("expect", help="does RULES fire on TRACE as it should (lab check)")
    expect.add_argument("rules")
    expect.add_argument("trace")
    expect.add_argument("--container", required=True)
    expect.add_argument("--expect", choices=("app", "miner"), required=True)
    expect.add_argument(
        "--elsewhere", action="store_true", help="as if recorded in another container"
    )
    expect.set_defaults(func=cmd_expect)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (RuleError, TraceError) as exc:
        print(f"error: {exc}")
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
