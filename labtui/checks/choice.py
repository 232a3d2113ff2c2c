"""The ``choice`` check: a multiple-choice question answered by letter or by option id.

Each learner sees the options in an order of their own (a hash of learner,
scenario, task and option id, so it is the same on every run and on every
Python version), labelled a, b, c … in that order. A learner answers with those
letters (``b`` or ``a,c``); solutions and answer files use the option ids, which
do not depend on the learner. Ids have two characters or more, so a single
letter is always a position.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass

from labtui.checks.base import CheckContext, Outcome, register
from labtui.errors import LabError
from labtui.scenario.model import ChoiceCheck, ChoiceOption

LETTERS = string.ascii_lowercase


@dataclass(frozen=True)
class Shown:
    """An option as one learner sees it."""

    letter: str
    option: ChoiceOption


def order(check: ChoiceCheck, learner: str, scenario_id: str, task_id: str) -> list[Shown]:
    """The options in this learner's order, each with the letter the learner sees."""
    options = list(check.options)
    if check.shuffle:
        seed = f"{learner}\0{scenario_id}\0{task_id}\0"
        options.sort(key=lambda o: hashlib.sha256((seed + o.id).encode()).hexdigest())
    return [Shown(LETTERS[i], o) for i, o in enumerate(options)]


def shown_for(check: ChoiceCheck, ctx: CheckContext) -> list[Shown]:
    """The options as the context's learner sees them; the order depends on who asks."""
    if ctx.learner is None:
        raise LabError(
            "a choice check needs to know the learner: their options come in their order"
        )
    return order(check, ctx.learner, ctx.scenario.id, ctx.task.id)


class BadAnswer(ValueError):
    """The answer names no option, or names one twice."""


def parse_answer(answer: str, shown: list[Shown]) -> list[Shown]:
    """``"b"``, ``"a, c"``, ``"A C"`` or option ids -> the options picked, in the order shown."""
    by_letter = {s.letter: s for s in shown}
    by_id = {s.option.id: s for s in shown}
    picked: list[Shown] = []
    for token in (t for t in re.split(r"[\s,;]+", answer.strip().casefold()) if t):
        token = token.rstrip(").")
        hit = by_letter.get(token) if len(token) == 1 else by_id.get(token)
        if hit is None:
            last = shown[-1].letter
            raise BadAnswer(f"{token!r} is not an option: answer with letters a-{last}")
        if hit not in picked:
            picked.append(hit)
    return sorted(picked, key=lambda s: s.letter)


def render_options(shown: list[Shown]) -> str:
    return "\n".join(f"{s.letter}) {s.option.text}" for s in shown)


def _letters(items: list[Shown]) -> str:
    return ",".join(s.letter for s in items) or "(none)"


@register("choice")
def choice_check(check: ChoiceCheck, ctx: CheckContext) -> Outcome:
    shown = shown_for(check, ctx)
    right = [s for s in shown if s.option.correct]
    how = "letters, e.g. a,c" if check.is_multiple else "one letter"
    if ctx.answer is None or not ctx.answer.strip():
        return Outcome(
            False,
            f"no answer yet: answer with {how}\n{render_options(shown)}",
            "an answer",
            "none",
        )
    try:
        picked = parse_answer(ctx.answer, shown)
    except BadAnswer as exc:
        return Outcome(False, str(exc), how, ctx.answer.strip())
    if not check.is_multiple and len(picked) > 1:
        return Outcome(False, "pick exactly one option", "one letter", _letters(picked))
    if picked == right:
        notes = [s.option.feedback.strip() for s in picked if s.option.feedback.strip()]
        return Outcome(
            True, " ".join(["right.", *notes]) if notes else "right", actual=_letters(picked)
        )
    wrong = [s for s in picked if not s.option.correct]
    missed = [s for s in right if s not in picked]
    lines = [
        f"{s.letter}) is not right: {s.option.feedback.strip() or 'think again about what it would change.'}"
        for s in wrong
    ]
    if missed and not wrong:
        lines.append(f"not complete: {len(missed)} more option(s) are right")
    # Which right option was missed stays unsaid: the feedback explains, it does not reveal.
    return Outcome(False, "\n".join(lines), "the right option(s)", _letters(picked))
