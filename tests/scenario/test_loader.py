"""The loader: every problem of a file at once, each with file:line:col and a path."""

from __future__ import annotations

import time
from pathlib import Path

from labtui.scenario.loader import MAX_NODES, load_file, load_text
from tests.conftest import SCENARIOS

GOOD = """\
format_version: 1
id: demo
title: Demo
topic: containers
requires: [docker]
tasks:
  - id: one
    title: One
    checks:
      - kind: container
        name: c1
        running: true
"""

THREE_MISTAKES = """\
format_version: 1
id: demo
title: Demo
topic: containers
requires: [docker]
colour: blue
tasks:
  - id: one
    title: One
    checks:
      - kind: container
        name: c1
        running: true
      - kind: command
        command: [echo, hi]
        timeout: soon
  - title: Two
    checks:
      - kind: command
        command: [echo, hi]
"""


def write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "demo"
    folder.mkdir()
    path = folder / "scenario.yaml"
    path.write_text(text)
    return path


def test_builtin_scenarios_load() -> None:
    for path in sorted(SCENARIOS.glob("*/scenario.yaml")):
        result = load_file(path)
        assert result.ok, [str(p) for p in result.problems]


def test_good_file_loads(tmp_path: Path) -> None:
    result = load_file(write(tmp_path, GOOD))
    assert result.ok
    assert result.scenario is not None and result.scenario.tasks[0].checks[0].kind == "container"


def test_three_mistakes_reported_at_once_with_positions(tmp_path: Path) -> None:
    path = write(tmp_path, THREE_MISTAKES)
    result = load_file(path)
    assert not result.ok
    lines = sorted(str(p) for p in result.problems)
    assert lines == sorted(
        [
            f"{path}:6:1: colour: unknown field (check the spelling; `labtui schema` lists the fields)",
            f"{path}:16:18: tasks[0].checks[1].timeout: Input should be a valid number, "
            "unable to parse string as a number",
            f"{path}:17:5: tasks[1].id: required field is missing",
        ]
    )


def test_yaml_syntax_error_has_position(tmp_path: Path) -> None:
    result = load_file(write(tmp_path, "id: [unclosed\ntitle: x\n"))
    assert len(result.problems) == 1
    p = result.problems[0]
    assert p.line >= 1 and "invalid YAML" in p.message


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    result = load_file(write(tmp_path, GOOD + "title: Again\n"))
    assert any("duplicate key 'title'" in str(p) and ":13:1:" in str(p) for p in result.problems)


def test_billion_laughs_is_bounded() -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
    prev = "a"
    for name in "bcdefghij":
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]\n"
        prev = name
    start = time.monotonic()
    result = load_text(bomb, "bomb.yaml")
    assert time.monotonic() - start < 2
    assert any(f"more than {MAX_NODES} values" in p.message for p in result.problems)


def test_deep_nesting_is_bounded() -> None:
    result = load_text("a: " + "[" * 5000 + "]" * 5000, "deep.yaml")
    assert result.problems and not result.ok


def test_python_tags_are_not_constructed() -> None:
    result = load_text("id: !!python/object/apply:os.system ['echo pwned']\n", "tag.yaml")
    assert not result.ok
    assert "is not allowed" in result.problems[0].message


def test_top_level_must_be_mapping() -> None:
    assert "mapping" in load_text("- a\n- b\n", "list.yaml").problems[0].message
    assert "empty" in load_text("", "empty.yaml").problems[0].message


def test_include_must_stay_inside_the_folder(tmp_path: Path) -> None:
    text = GOOD.replace("tasks:", "environment:\n  include: [../../etc/passwd, /etc/hosts]\ntasks:")
    result = load_file(write(tmp_path, text))
    messages = [p.message for p in result.problems]
    assert any("outside the scenario folder" in m for m in messages)
    assert any("absolute" in m for m in messages)


def test_union_tag_is_not_in_the_path(tmp_path: Path) -> None:
    text = GOOD.replace("running: true", "running: true\n        equals: 3")
    result = load_file(write(tmp_path, text))
    assert [p.path for p in result.problems] == ["tasks[0].checks[0]"]
    assert "need a field" in result.problems[0].message


def test_unknown_check_kind(tmp_path: Path) -> None:
    result = load_file(write(tmp_path, GOOD.replace("kind: container", "kind: magic")))
    assert result.problems and result.problems[0].path == "tasks[0].checks[0]"
    assert result.problems[0].line == 10


def test_docker_checks_need_docker_requirement(tmp_path: Path) -> None:
    result = load_file(write(tmp_path, GOOD.replace("requires: [docker]", "requires: [local]")))
    assert any("add docker to requires" in p.message for p in result.problems)


def test_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    path.write_bytes(b"id: \xff\xfe\n")
    assert "not UTF-8" in load_file(path).problems[0].message
