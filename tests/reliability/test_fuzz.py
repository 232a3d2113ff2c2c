"""Bad input: random and hostile scenario YAML, progress files and learner answers.

Fault: random structures, wrong types, huge strings, deep nesting, YAML bombs,
random bytes, answers full of shell metacharacters, newlines, ANSI escapes, 1 MB.
Asserts: the loader and the progress store return errors and never raise
anything else, never execute anything, and stay within a time and memory bound;
answers are compared as data and printed escaped.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labtui.scenario.loader import LoadResult, load_text
from labtui.state.progress import Progress, ProgressStore
from tests.conftest import REPO, SCENARIOS

REAL = (SCENARIOS / "pid-namespace-sharing" / "scenario.yaml").read_text()

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=50),
    st.sampled_from(["docker", "container", "command", "exec", "answer", "file", "{base_image}", "{x.y}"]),
)
keys = st.one_of(
    st.sampled_from(["format_version", "id", "title", "topic", "tasks", "checks", "kind", "name", "command",
                     "equals", "field", "environment", "containers", "solution", "run", "hints", "expected"]),
    st.text(max_size=12),
)
structures = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                             st.dictionaries(keys, inner, max_size=6)),
                          max_leaves=40)


def loads_safely(text: str) -> LoadResult:
    start = time.monotonic()
    result = load_text(text, "fuzz.yaml")
    assert time.monotonic() - start < 5
    assert isinstance(result, LoadResult)
    assert result.ok or result.problems
    for p in result.problems:
        assert p.line >= 1 and p.col >= 1 and p.message
    return result


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structures)
def test_random_structures(data: Any) -> None:
    loads_safely(yaml.safe_dump(data))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_random_text(text: str) -> None:
    loads_safely(text)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_real_scenario(data: st.DataObject) -> None:
    lines = REAL.splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["drop", "dup", "replace", "indent"]))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "replace":
            lines[i] = data.draw(st.text(max_size=30))
        else:
            lines[i] = "  " + lines[i]
    loads_safely("\n".join(lines))


@pytest.mark.parametrize(
    "text",
    [
        "a: &a [" + ",".join(["x"] * 50) + "]\n" + "".join(
            f"{n}: &{n} [" + ",".join([f"*{p}"] * 50) + "]\n" for p, n in zip("abcdefg", "bcdefgh", strict=True)
        ),
        "a: " + "[" * 100_000,
        "a: " + "{a: " * 3000 + "1" + "}" * 3000,
        "title: " + "x" * 900_000,
        "tasks: [" + ",".join(["{id: a, title: b, checks: [{kind: file, path: p}]}"] * 20_000) + "]",
        "!!python/object/apply:os.system ['touch /tmp/labtui-pwned']",
        "\x00\x01\x02",
    ],
    ids=["billion-laughs", "deep-seq", "deep-map", "huge-string", "many-tasks", "python-tag", "binary"],
)
def test_hostile_documents_stay_bounded(text: str) -> None:
    tracemalloc.start()
    try:
        loads_safely(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 400 * 1024 * 1024
    assert not Path("/tmp/labtui-pwned").exists()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=300), structures.map(lambda d: json.dumps(d).encode())))
def test_random_progress_files(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(raw)
    store = ProgressStore("fuzz", path=path)
    progress = store.load()
    assert isinstance(progress, Progress)
    if store.warnings:
        assert not path.exists(), "an unreadable file must be moved aside, not overwritten"
        assert list(tmp_path.glob("p.json.corrupt-*"))
    for f in tmp_path.glob("p.json*"):
        f.unlink()


HOSTILE_ANSWERS = [
    "1; touch {marker}",
    "$(touch {marker})",
    "`touch {marker}`",
    "1\ntouch {marker}",
    "\x1b[2J\x1b[31mred\x1b[0m",
    "[bold]markup[/bold]",
    "x" * 1_000_000,
]


@pytest.mark.parametrize("answer", HOSTILE_ANSWERS, ids=["semicolon", "subshell", "backticks", "newline",
                                                          "ansi", "markup", "1MB"])
def test_hostile_answers_are_data(tmp_path: Path, answer: str) -> None:
    marker = tmp_path / "pwned"
    text = answer.replace("{marker}", str(marker))
    proc = subprocess.run(
        [sys.executable, "-m", "labtui", "check", "pid-namespace-sharing", "--task", "pid-inside", "--answer", "-"],
        input=text, capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert proc.returncode in (1, 3)
    assert not marker.exists()
    assert "\x1b" not in proc.stdout and "Traceback" not in proc.stderr
    assert len(proc.stdout) < 10_000
