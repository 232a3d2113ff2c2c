"""The choice check kind, and the security-principles quiz that is built on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from labtui.checks.choice import BadAnswer, order, parse_answer
from labtui.cli import main
from labtui.engine.session import Session
from labtui.scenario.catalog import Catalog
from labtui.scenario.loader import load_text
from labtui.scenario.model import ChoiceCheck, ChoiceOption, Scenario
from labtui.state.progress import ProgressStore
from tests.conftest import SCENARIOS


def _check(**extra: object) -> ChoiceCheck:
    options = [
        ChoiceOption(id="alpha", text="A", correct=True, feedback="alpha is right"),
        ChoiceOption(id="beta", text="B", feedback="beta is wrong because B"),
        ChoiceOption(id="gamma", text="C", feedback="gamma is wrong because C"),
        ChoiceOption(id="delta", text="D", feedback=""),
    ]
    return ChoiceCheck.model_validate({"kind": "choice", "options": options, **extra})


def test_order_is_deterministic_and_differs_between_learners() -> None:
    check = _check()
    first = [s.option.id for s in order(check, "ada", "lab", "t1")]
    assert first == [s.option.id for s in order(check, "ada", "lab", "t1")]
    assert sorted(first) == ["alpha", "beta", "delta", "gamma"]
    orders = {
        tuple(s.option.id for s in order(check, f"learner{i}", "lab", "t1")) for i in range(20)
    }
    assert len(orders) > 1, "every learner got the same order"
    assert [s.letter for s in order(check, "ada", "lab", "t1")] == ["a", "b", "c", "d"]


def test_no_shuffle_keeps_the_written_order() -> None:
    check = _check(shuffle=False)
    assert [s.option.id for s in order(check, "x", "lab", "t")] == [
        "alpha",
        "beta",
        "gamma",
        "delta",
    ]


@pytest.mark.parametrize(
    ("answer", "picked"),
    [("b", ["beta"]), ("A, c", ["alpha", "gamma"]), ("c a", ["alpha", "gamma"]), ("b)", ["beta"])],
)
def test_parse_letters_and_ids(answer: str, picked: list[str]) -> None:
    shown = order(_check(shuffle=False), "x", "lab", "t")
    assert [s.option.id for s in parse_answer(answer, shown)] == picked
    assert [s.option.id for s in parse_answer(",".join(picked), shown)] == picked


def test_parse_rejects_unknown_options() -> None:
    shown = order(_check(shuffle=False), "x", "lab", "t")
    with pytest.raises(BadAnswer, match="'e' is not an option: answer with letters a-d"):
        parse_answer("e", shown)
    with pytest.raises(BadAnswer, match="'nope' is not an option"):
        parse_answer("nope", shown)


def test_model_rejects_inconsistent_options() -> None:
    base = {"kind": "choice", "options": [{"id": "aa", "text": "x"}, {"id": "bb", "text": "y"}]}
    with pytest.raises(ValueError, match="mark at least one option correct"):
        ChoiceCheck.model_validate(base)
    dup = {"kind": "choice", "options": [{"id": "aa", "text": "x", "correct": True}] * 2}
    with pytest.raises(ValueError, match="'aa' is used twice"):
        ChoiceCheck.model_validate(dup)
    two = {
        "kind": "choice",
        "multiple": False,
        "options": [
            {"id": "aa", "text": "x", "correct": True},
            {"id": "bb", "text": "y", "correct": True},
        ],
    }
    with pytest.raises(ValueError, match="multiple is false but 2 options are correct"):
        ChoiceCheck.model_validate(two)
    one_letter = {
        "kind": "choice",
        "options": [{"id": "a", "text": "x", "correct": True}, {"id": "bb", "text": "y"}],
    }
    with pytest.raises(ValueError, match="should match pattern"):
        ChoiceCheck.model_validate(one_letter)


def test_loader_reports_where_a_choice_is_wrong() -> None:
    text = """format_version: 1
id: quiz
title: Quiz
topic: principles
tasks:
  - id: q1
    title: Q1
    checks:
      - kind: choice
        options:
          - {id: yes-one, text: "Yes"}
          - {id: no-one, text: "No", feedbak: typo}
"""
    result = load_text(text, "quiz.yaml")
    assert not result.ok
    problems = [str(p) for p in result.problems]
    assert any(
        "quiz.yaml:12:" in p and "feedbak" in p and "unknown field" in p for p in problems
    ), problems


def _principles() -> tuple[Scenario, Path]:
    entry = Catalog.discover().find("security-principles")
    assert entry.scenario is not None, entry.problems
    return entry.scenario, entry.folder


def _session(tmp_path: Path, learner: str = "ada") -> Session:
    scenario, folder = _principles()
    store = ProgressStore(learner, path=tmp_path / f"{learner}.json")
    return Session(scenario, folder, store=store)


def test_every_wrong_option_of_the_quiz_gives_its_feedback(tmp_path: Path) -> None:
    session = _session(tmp_path)
    scenario = session.scenario
    quizzes = [(t, c) for t in scenario.tasks for c in t.checks if isinstance(c, ChoiceCheck)]
    assert len(quizzes) >= 6
    wrong_seen = 0
    for task, check in quizzes:
        shown = order(check, "ada", scenario.id, task.id)
        for s in shown:
            if s.option.correct:
                continue
            assert s.option.feedback.strip(), f"{task.id}/{s.option.id} has no feedback"
            result = session.check(task.id, answer=s.letter, record=False)
            assert not result.passed
            message = result.results[0].message
            assert f"{s.letter}) is not right" in message
            assert " ".join(s.option.feedback.split())[:60] in " ".join(message.split())
            wrong_seen += 1
        right = ",".join(s.letter for s in shown if s.option.correct)
        assert session.check(task.id, answer=right, record=False).passed, task.id
    assert wrong_seen == sum(not o.correct for _, c in quizzes for o in c.options) == 17


def test_incomplete_and_overfull_answers(tmp_path: Path) -> None:
    session = _session(tmp_path)
    task = session.task("principles-chain")
    check = task.checks[0]
    assert isinstance(check, ChoiceCheck) and check.is_multiple
    shown = order(check, "ada", "security-principles", task.id)
    right = [s.letter for s in shown if s.option.correct]
    partial = session.check(task.id, answer=right[0], record=False)
    assert not partial.passed
    assert "not complete: 2 more option(s) are right" in partial.results[0].message
    single = session.task("attack-surface")
    both = session.check(single.id, answer="a,b", record=False)
    assert not both.passed and both.results[0].message == "pick exactly one option"
    empty = session.check(single.id, record=False)
    assert "no answer yet: answer with one letter" in empty.results[0].message
    assert "a) " in empty.results[0].message and "d) " in empty.results[0].message


def test_headless_check_with_letters(tmp_path: Path) -> None:
    scenario, _ = _principles()
    task = scenario.task("cni-requirements")
    check = task.checks[0]
    assert isinstance(check, ChoiceCheck)
    shown = order(check, "ada", scenario.id, task.id)
    right = ",".join(s.letter for s in shown if s.option.correct)
    wrong = next(s.letter for s in shown if not s.option.correct)
    runner = CliRunner()
    args = ["--learner", "ada", "check", "security-principles", "--task", task.id]
    ok = runner.invoke(main, [*args, "--answer", right])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(main, [*args, "--answer", wrong])
    assert bad.exit_code == 1
    assert f"{wrong}) is not right" in bad.output


def test_security_principles_verifies() -> None:
    result = CliRunner().invoke(main, ["solve", "security-principles", "--verify"])
    assert result.exit_code == 0, result.output
    assert "security-principles: verified" in result.output
    assert (SCENARIOS / "security-principles" / "scenario.yaml").is_file()


def test_practical_answer_is_computed_from_the_listing(tmp_path: Path) -> None:
    session = _session(tmp_path)
    session.up()
    try:
        listing = session.lab_dir / "storefront" / "ss-tlnp.txt"
        assert not session.check("unnecessary-port", answer="9901", record=False).passed
        assert session.check("unnecessary-port", answer="2222", record=False).passed
        # The answer follows the data: move sshd and the expected port moves with it.
        listing.write_text(listing.read_text().replace("0.0.0.0:2222", "0.0.0.0:2200"))
        assert session.check("unnecessary-port", answer="2200", record=False).passed
    finally:
        session.down()
