"""80x24 is a first-class size: the lab, the catalog and the exam fit it, and nothing is out of reach."""

from __future__ import annotations

from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Static

from labtui.engine.exam import Exam, plan_exam
from labtui.ui.commands import LabCommands
from labtui.ui.screens.exam import ExamApp, ExamScreen
from labtui.ui.screens.lab import LabScreen
from labtui.ui.widgets.catalog_list import CatalogRow, row_content
from labtui.ui.widgets.footer import FittingFooter, FooterKey
from labtui.ui.widgets.lab_widgets import TaskList
from labtui.ui.widgets.markdown import STEP, CodeBlock

from .conftest import LONG_PACK, make_app, settle

SMALL = (80, 24)
LARGE = (160, 45)

# What a learner uses all the time stays in the footer at 80 columns.
EVERYDAY = {"check", "next_task", "hint", "answer", "shell", "toggle_tasks", "back", "help"}


async def open_long_lab(pilot: Any) -> LabScreen:
    await settle(pilot)
    pilot.app.open_scenario("ui-long")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LabScreen)
    return screen


def shown_actions(screen: LabScreen) -> set[str]:
    return {k.action for k in screen.query(FooterKey) if k.display}


@pytest.mark.asyncio
async def test_task_list_takes_under_a_third_of_80_columns_one_line_a_task() -> None:
    app = make_app(pack=LONG_PACK)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_long_lab(pilot)
        tasks = screen.query_one(TaskList)
        assert tasks.outer_size.width == 24
        # Three tasks, two of them with titles three times the list's width: three lines.
        assert tasks.option_count == 3
        assert tasks.virtual_size.height == 3
        # Before a check the checks panel takes the three lines it needs, not nine.
        assert screen.query_one("#results", Static).outer_size.height == 3


@pytest.mark.asyncio
async def test_task_list_wraps_long_titles_when_there_is_room() -> None:
    app = make_app(pack=LONG_PACK)
    async with app.run_test(size=LARGE) as pilot:
        screen = await open_long_lab(pilot)
        tasks = screen.query_one(TaskList)
        assert tasks.outer_size.width == 38
        assert tasks.virtual_size.height > 3


@pytest.mark.asyncio
async def test_t_hides_and_shows_the_task_list() -> None:
    app = make_app(pack=LONG_PACK)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_long_lab(pilot)
        tasks = screen.query_one(TaskList)
        assert app.focused is tasks

        await pilot.press("t")
        await settle(pilot)
        assert not tasks.display
        assert screen.query_one("#lab-main").outer_size.width == 80
        assert isinstance(app.focused, VerticalScroll)
        # The keys still move through the tasks with the list hidden.
        await pilot.press("n")
        await settle(pilot)
        assert screen.task_id == "socket"

        # The choice holds for the next lab opened.
        await pilot.press("escape")
        await settle(pilot)
        screen = await open_long_lab(pilot)
        assert not screen.query_one(TaskList).display

        await pilot.press("t")
        await settle(pilot)
        tasks = screen.query_one(TaskList)
        assert tasks.display and app.focused is tasks
        assert tasks.outer_size.width == 24


@pytest.mark.asyncio
async def test_the_tasks_key_has_an_id_a_footer_key_and_a_palette_command() -> None:
    app = make_app(pack=LONG_PACK)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_long_lab(pilot)
        binding = next(b for b in screen.BINDINGS if getattr(b, "action", "") == "toggle_tasks")
        assert getattr(binding, "id", None) == "lab.tasks"
        assert "toggle_tasks" in shown_actions(screen)
        commands = LabCommands(screen)._commands()
        tasks_command = next(c for c in commands if c.name == "Tasks")
        assert "(t)" in tasks_command.help
        await tasks_command.run()
        await settle(pilot)
        assert not screen.query_one(TaskList).display


@pytest.mark.asyncio
async def test_the_footer_fits_80_columns() -> None:
    app = make_app(pack=LONG_PACK)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_long_lab(pilot)
        footer = screen.query_one(FittingFooter)
        assert footer.max_scroll_x == 0
        palette = next(k for k in footer.query(FooterKey) if k.has_class("-command-palette"))
        shown = [k for k in footer.query(FooterKey) if k.display and k is not palette]
        assert all(k.region.right <= palette.region.x for k in shown)
        assert palette.region.right <= 80
        assert shown_actions(screen) >= EVERYDAY
        assert footer.left_out == ["previous_task", "solution", "reset", "quit"]

        # A key out of the footer still works.
        await pilot.press("n", "p")
        await settle(pilot)
        assert screen.task_id == "runtime"


@pytest.mark.asyncio
async def test_the_footer_shows_every_key_when_there_is_room() -> None:
    app = make_app(pack=LONG_PACK)
    async with app.run_test(size=LARGE) as pilot:
        screen = await open_long_lab(pilot)
        assert screen.query_one(FittingFooter).left_out == []


@pytest.mark.asyncio
async def test_the_environment_footer_fits_80_columns() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)
        footer = app.screen.query_one(FittingFooter)
        assert footer.max_scroll_x == 0
        shown = {k.action for k in footer.query(FooterKey) if k.display}
        assert shown >= {"down", "clean", "back", "help"}


async def open_exam(pilot: Any) -> ExamScreen:
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ExamScreen) and screen.phase == "running"
    return screen


@pytest.mark.asyncio
async def test_the_exam_gives_the_task_text_most_of_80_columns() -> None:
    exam = Exam(plan_exam("security-principles"), "ada", minutes=20)
    try:
        async with ExamApp(exam).run_test(size=SMALL) as pilot:
            screen = await open_exam(pilot)
            # The lab's narrow task list: the task's text keeps the rest of the screen.
            assert screen.query_one("#exam-items").outer_size.width == 24
            assert screen.query_one("#exam-task").size.width >= 40
    finally:
        exam.close()


@pytest.mark.asyncio
async def test_the_exam_task_list_keeps_its_width_when_there_is_room() -> None:
    exam = Exam(plan_exam("security-principles"), "ada", minutes=20)
    try:
        async with ExamApp(exam).run_test(size=LARGE) as pilot:
            screen = await open_exam(pilot)
            assert screen.query_one("#exam-items").outer_size.width == 38
    finally:
        exam.close()


@pytest.mark.asyncio
async def test_a_code_block_wider_than_the_screen_scrolls_by_keys() -> None:
    app = make_app(pack=LONG_PACK)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_long_lab(pilot)
        diagram, command = screen.query_one("#instructions").query(CodeBlock)
        assert diagram.too_wide and command.too_wide
        assert diagram.scrollbar_size_horizontal == 1

        # Tab goes from the task list to the instructions, then to the first wide block.
        await pilot.press("tab", "tab")
        await pilot.pause()
        assert app.focused is diagram
        await pilot.press("right")
        await pilot.pause()
        assert diagram.scroll_x == STEP
        await pilot.press("end")
        await pilot.pause()
        assert diagram.scroll_x == diagram.max_scroll_x
        await pilot.press("home")
        await pilot.pause()
        assert diagram.scroll_x == 0
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is command


@pytest.mark.asyncio
async def test_a_code_block_that_fits_is_passed_by() -> None:
    app = make_app(pack=LONG_PACK)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_long_lab(pilot)
        await pilot.press("n")
        await settle(pilot)
        (block,) = screen.query_one("#instructions").query(CodeBlock)
        assert not block.too_wide
        assert block.scrollbar_size_horizontal == 0
        await pilot.press("tab", "tab")
        await pilot.pause()
        assert app.focused is not block


def test_a_narrow_catalog_gives_the_title_the_room() -> None:
    row = CatalogRow(
        "x",
        "Read the certificates of kubeadm",
        topic="host",
        difficulty="intermediate",
        minutes=30,
        requires=["docker"],
        passed=3,
        total=7,
        started=True,
    )
    narrow = row_content(row, 76).plain
    assert len(narrow) <= 76
    assert narrow.startswith("Read the certificates of kubeadm ")
    assert narrow.rstrip().endswith("3 of 7 done")
    wide = row_content(row, 156).plain
    assert wide.rstrip().endswith("in progress 3 of 7")
