"""The catalog as an option list: scenarios grouped by topic, filtered as the learner types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from textual.binding import Binding
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from labtui.scenario.model import Topic

TOPICS = tuple(t.value for t in Topic)
BROKEN_PREFIX = "broken:"


@dataclass
class CatalogRow:
    """What the catalog shows about one scenario; built off the UI thread."""

    id: str
    title: str
    topic: str = ""
    difficulty: str = ""
    minutes: int = 0
    requires: list[str] = field(default_factory=list)
    passed: int = 0
    total: int = 0
    started: bool = False
    problems: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    key: str = ""
    task_ids: list[str] = field(default_factory=list)

    CACHED: ClassVar[tuple[str, ...]] = (
        "id",
        "title",
        "topic",
        "difficulty",
        "minutes",
        "requires",
        "total",
        "problems",
        "key",
        "task_ids",
    )

    def to_cache(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.CACHED}

    @classmethod
    def from_cache(cls, data: dict[str, Any], progress: dict[str, dict[str, Any]]) -> CatalogRow:
        row = cls(**{name: data[name] for name in cls.CACHED if name in data})
        sp = progress.get(row.id)
        tasks = sp.get("tasks", {}) if sp else {}
        row.started = sp is not None
        row.passed = sum(
            1 for t in row.task_ids if isinstance(tasks.get(t), dict) and tasks[t].get("passed")
        )
        return row

    @property
    def broken(self) -> bool:
        return bool(self.problems)

    @property
    def status(self) -> str:
        if self.total and self.passed == self.total:
            return "done"
        if self.passed or self.started:
            return f"in progress {self.passed} of {self.total}"
        return "not started"

    @property
    def short_status(self) -> str:
        """The status in a narrow catalog's column: ``3 of 7 done`` for one in progress."""
        status = self.status
        return f"{self.passed} of {self.total} done" if status.startswith("in progress") else status

    def matches(self, query: str) -> bool:
        haystack = " ".join(
            [self.id, self.title, self.topic, self.difficulty, *self.requires, self.status]
        ).casefold()
        return all(word in haystack for word in query.casefold().split())


def _fit(text: str, width: int) -> str:
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


# Below this many cells (an 80-column terminal) the status is said shorter and the title
# gets the cells the other columns give up.
NARROW_BELOW = 96


def row_content(row: CatalogRow, width: int) -> Content:
    """One scenario as aligned columns, with a second dim line saying why it cannot run."""
    narrow = width < NARROW_BELOW
    status_w, diff_w, min_w, req_w = (12, 13, 8, 7) if narrow else (22, 13, 8, 10)
    status = row.short_status if narrow else row.status
    title_w = max(width - status_w - diff_w - min_w - req_w - 4, 12)
    status_style = {"done": "$success", "not started": "$text-muted"}.get(status, "$warning")
    dim = bool(row.missing)
    base = "dim" if dim else ""
    parts: list[str | tuple[str, str] | Content] = [
        (_fit(row.title, title_w).ljust(title_w) + " ", f"bold {base}".strip()),
        (_fit(row.difficulty, diff_w - 1).ljust(diff_w), base),
        (f"{row.minutes:>3} min ", base),
        (_fit(",".join(row.requires), req_w - 1).ljust(req_w), base),
        (_fit(status, status_w), "dim" if dim else status_style),
    ]
    for reason in row.missing:
        # As wide as the row above it (indent included), so it never wraps.
        parts.append(("\n  " + _fit(reason, width - 5), "dim italic"))
    return Content.assemble(*parts)


def broken_content(row: CatalogRow, width: int) -> Content:
    parts: list[str | tuple[str, str] | Content] = [
        (_fit(f"{row.title} ({row.id})", width), "bold $error"),
    ]
    for problem in row.problems:
        parts.append(("\n  " + _fit(problem, width - 5), "$error"))
    return Content.assemble(*parts)


class CatalogList(OptionList):
    """Scenario options; ids are scenario ids, broken ones prefixed with ``broken:``."""

    BINDINGS = [Binding("enter", "select", "Open", id="catalog.open")]

    def show(self, rows: list[CatalogRow], query: str = "") -> None:
        width = max(self.app.size.width - 4, 40)
        keep = self.highlighted_option.id if self.highlighted_option else None
        options: list[Option] = []
        shown = [r for r in rows if r.matches(query)]
        for topic in TOPICS:
            group = [r for r in shown if r.topic == topic and not r.broken]
            if not group:
                continue
            options.append(
                Option(
                    Content.assemble((topic.upper().replace("-", " "), "bold $accent")),
                    disabled=True,
                )
            )
            options += [Option(row_content(r, width), id=r.id) for r in group]
        broken = [r for r in shown if r.broken]
        if broken:
            options.append(
                Option(Content.assemble(("BROKEN SCENARIOS", "bold $error")), disabled=True)
            )
            options += [Option(broken_content(r, width), id=BROKEN_PREFIX + r.key) for r in broken]
        self.set_options(options)
        ids = [o.id for o in options if o.id]
        if not ids:
            return
        target = keep if keep in ids else ids[0]
        self.highlighted = self.get_option_index(target)
