"""Kubernetes manifests: the one reader of multi-document YAML/JSON files and ``List`` kinds.

Every document, and every item of a ``List`` (or of a typed list such as
``PodList``), comes with where it was read: file, line, document and item. So
whoever reads a manifest (the NetworkPolicy engine, the cluster driver that
applies a lab's objects) can say ``file:line (document N): what is wrong``.

Reading follows the API server's strict field validation where it applies to
every object: a field written twice in one mapping is an error (PyYAML would
silently keep the last), and so is an unknown field of a ``List``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from labtui.errors import InvalidInput

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
TYPE_META = ("apiVersion", "kind")
LIST_FIELDS = (*TYPE_META, "metadata", "items")
STRICT = "unknown field (kubectl apply rejects it: strict field validation)"


@dataclass(frozen=True)
class Source:
    """Where something was read: file, 0-based document (and List item), 1-based line.

    Shown as ``file:line (document N)`` so an editor or terminal can jump to it.
    """

    file: str
    document: int
    item: int | None = None
    line: int | None = None

    def __str__(self) -> str:
        place = f"document {self.document + 1}"
        if self.item is not None:
            place += f", item {self.item + 1}"
        at = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{at} ({place})"


class ManifestError(InvalidInput):
    """A manifest that cannot be read the way Kubernetes would; says where."""

    def __init__(self, where: Source | str, path: str, message: str, hint: str = "") -> None:
        field = f"{path}: " if path else ""
        super().__init__(f"{where}: {field}{message}", hint)
        self.where = where


# --------------------------------------------------------------------------- YAML with lines


class LinedMapping(dict[Any, Any]):
    """A YAML mapping that remembers its line and the line of each of its keys (1-based)."""

    line: int | None = None
    key_lines: dict[Any, int]


class LinedSequence(list[Any]):
    """A YAML sequence that remembers its line (1-based)."""

    line: int | None = None


class _Loader(yaml.SafeLoader):
    """``SafeLoader`` that keeps lines and rejects a key written twice in one mapping.

    PyYAML keeps the last of two equal keys; strict field validation rejects the
    object ("duplicate field"), and a second ``ingress:`` silently replacing the
    first is exactly the kind of misreading a lab must not do.
    """


class _DuplicateField(yaml.YAMLError):
    def __init__(self, key: Any, mark: yaml.Mark) -> None:
        super().__init__(f"duplicate field {key!r}")
        self.key = key
        self.mark = mark


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Iterator[LinedMapping]:
    data = LinedMapping()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            seen = key in data.key_lines
        except TypeError:
            continue  # an unhashable key: construct_mapping below says so
        if seen:
            raise _DuplicateField(key, key_node.start_mark)
        data.key_lines[key] = key_node.start_mark.line + 1
    data.update(loader.construct_mapping(node))


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> Iterator[LinedSequence]:
    data = LinedSequence()
    data.line = node.start_mark.line + 1
    yield data
    data.extend(loader.construct_sequence(node))


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def line_of(value: Any) -> int | None:
    """The line a mapping or sequence was read from (None for a scalar)."""
    return value.line if isinstance(value, LinedMapping | LinedSequence) else None


def kind_of(value: Any) -> str:
    """What a value is, in words, for "expected X, got Y"."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"{type(value).__name__} {value!r}"


# --------------------------------------------------------------------------- documents


def manifest_files(paths: Iterable[str | Path]) -> list[tuple[Path, bool]]:
    """Files named directly, plus every YAML/JSON file under named directories (sorted).

    Hidden files and directories under a named directory (``.node-before.json``,
    an editor's ``.policy.yaml.swp``) are not manifests and are left out. The flag
    says the file was named directly: only then is a document that is not an object
    at all (a JSON list of flows, say) an error rather than skipped.
    """
    out: list[tuple[Path, bool]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(
                (p, False)
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in MANIFEST_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            out.append((path, True))
        else:
            raise InvalidInput(
                f"{path}: no such file or directory",
                "give manifest files or directories that exist",
            )
    return out


def documents(path: Path, label: str | None = None) -> Iterator[tuple[Source, Any]]:
    """Each document of a file with its location; ``List`` kinds expand to their items."""
    shown = label or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{shown}: cannot read: {exc}") from None
    yield from text_documents(text, shown)


def text_documents(text: str, shown: str) -> Iterator[tuple[Source, Any]]:
    """Each document of ``text`` (named ``shown`` in errors) with its location."""
    index = 0
    try:
        for data in yaml.load_all(text, Loader=_Loader):
            index += 1
            if data is None:
                continue
            source = Source(shown, index - 1, line=line_of(data))
            if isinstance(data, dict) and is_list(data):
                yield from _list_items(source, data)
            else:
                yield source, data
    except _DuplicateField as exc:
        raise ManifestError(
            Source(shown, index, line=exc.mark.line + 1),
            "",
            f"field {exc.key!r} appears twice in one mapping",
            "keep one: the API server rejects a duplicate field (strict field validation), "
            "and YAML readers silently keep only the last",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        at = f" (column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ManifestError(
            Source(shown, index, line=line),
            "",
            f"not valid YAML{at}: {problem}",
            "fix the indentation or quoting at that line",
        ) from None


def kube_objects(text: str, shown: str = "manifest") -> list[dict[str, Any]]:
    """Every object of ``text``, each one required to be a Kubernetes object (to apply it)."""
    out: list[dict[str, Any]] = []
    for source, data in text_documents(text, shown):
        if not isinstance(data, dict) or any(key not in data for key in TYPE_META):
            raise ManifestError(
                source,
                "",
                "not a Kubernetes object (needs apiVersion and kind)",
                "every document or List item is one object with apiVersion, kind and metadata",
            )
        out.append(data)
    return out


def is_list(data: dict[str, Any]) -> bool:
    """``kind: List``, or a typed list (``PodList``...); a custom kind that merely ends in
    "List" without ``items`` is an object of its own."""
    kind = str(data.get("kind", ""))
    return kind == "List" or (kind.endswith("List") and "items" in data)


def _list_items(source: Source, data: dict[str, Any]) -> Iterator[tuple[Source, Any]]:
    """The items of a ``List`` (or typed list such as ``PodList``), each with its own place."""
    key_lines: dict[Any, int] = getattr(data, "key_lines", {})
    for key in data:
        if key not in LIST_FIELDS:
            near = difflib.get_close_matches(str(key), LIST_FIELDS, n=1)
            hint = f"did you mean {near[0]}?" if near else f"allowed here: {', '.join(LIST_FIELDS)}"
            raise ManifestError(
                replace(source, line=key_lines.get(key, source.line)), str(key), STRICT, hint
            )
    items = data.get("items")
    items_line = key_lines.get("items", source.line)
    if items is None:
        return
    if not isinstance(items, list):
        raise ManifestError(
            replace(source, line=items_line),
            "items",
            f"expected a list, got {kind_of(items)}",
            "start each element with '- '",
        )
    # Typed lists (PodList from `kubectl get pods -o yaml` of the API) omit items' kind.
    item_kind = str(data["kind"])[: -len("List")]
    for n, item in enumerate(items):
        if item_kind and isinstance(item, dict) and "kind" not in item:
            typed = LinedMapping({"kind": item_kind, **item})
            typed.line = line_of(item)
            typed.key_lines = getattr(item, "key_lines", {})
            item = typed
        yield replace(source, item=n, line=line_of(item) or items_line), item
