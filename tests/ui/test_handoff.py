"""The lab shell: command, directory, environment and prompt, checked with a real bash."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from labtui.engine.handoff import choose_shell, prompt_prefix, shell_handoff
from labtui.scenario.catalog import Catalog
from labtui.scenario.model import Scenario

from .conftest import PACK


def scenario(scenario_id: str) -> Scenario:
    entry = Catalog([PACK], include_builtin=False).find(scenario_id)
    assert entry.scenario is not None
    return entry.scenario


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_gets_an_rcfile_that_keeps_the_learners_bashrc_and_prefixes_the_prompt(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text('export FROM_BASHRC=yes\nPS1="me$ "\n')
    lab = tmp_path / "lab"
    bash = shutil.which("bash")
    assert bash is not None
    handoff = shell_handoff(
        scenario("ui-basics"),
        lab,
        {"LABTUI_BASE_IMAGE": "img"},
        environ={"SHELL": bash, "HOME": str(home)},
    )
    assert handoff.argv[:2] == [bash, "--rcfile"] and handoff.argv[-1] == "-i"
    assert handoff.cwd == lab
    assert handoff.env["LAB_SCENARIO"] == "ui-basics" and handoff.env["LAB_DIR"] == str(lab)
    assert handoff.env["LABTUI_BASE_IMAGE"] == "img"
    assert "KUBECONFIG" not in handoff.env
    handoff.prepare()
    assert lab.is_dir()
    probe = 'printf "%s|%s|%s|%s" "$PS1" "$FROM_BASHRC" "$LAB_SCENARIO" "$PWD"'
    res = subprocess.run(
        [*handoff.argv, "-c", probe],
        cwd=handoff.cwd,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin", **handoff.env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert res.stdout == f"(lab:ui-basics) me$ |yes|ui-basics|{lab}", res.stderr


def test_the_command_line_starts_the_same_shell_elsewhere(tmp_path: Path) -> None:
    lab = tmp_path / "my lab"
    handoff = shell_handoff(scenario("ui-basics"), lab, environ={"SHELL": "/bin/sh"})
    line = handoff.command_line()
    words = shlex.split(line)
    assert words[:4] == ["cd", str(lab), "&&", "env"]
    assert f"LAB_DIR={lab}" in words and "LAB_SCENARIO=ui-basics" in words
    assert f"PS1={prompt_prefix('ui-basics')}$ " in words
    assert words[-2:] == ["/bin/sh", "-i"]


def test_zsh_gets_a_zdotdir_that_sources_the_learners_zshrc(tmp_path: Path) -> None:
    handoff = shell_handoff(
        scenario("ui-basics"),
        tmp_path / "lab",
        environ={"SHELL": "/usr/bin/zsh", "HOME": "/home/me"},
    )
    if handoff.argv[0] != "/usr/bin/zsh":
        pytest.skip("zsh is not installed here")
    rc = Path(handoff.env["ZDOTDIR"]) / ".zshrc"
    assert handoff.files[rc].startswith("[ -f /home/me/.zshrc ] && . /home/me/.zshrc")
    assert "PROMPT='(lab:ui-basics) '" in handoff.files[rc]


def test_cluster_labs_get_a_kubeconfig(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    handoff = shell_handoff(scenario("ui-cluster"), lab, environ={"SHELL": "/bin/sh"})
    assert handoff.env["KUBECONFIG"] == str(lab / "kubeconfig")
    given = shell_handoff(
        scenario("ui-cluster"), lab, {"KUBECONFIG": "/k/config"}, environ={"SHELL": "/bin/sh"}
    )
    assert given.env["KUBECONFIG"] == "/k/config"


def test_shell_choice_falls_back_when_shell_is_unset_or_missing() -> None:
    fallback = choose_shell({})
    assert Path(fallback).name in ("bash", "sh")
    assert choose_shell({"SHELL": "/no/such/shell"}) == fallback
    assert choose_shell({"SHELL": "/bin/sh"}) == "/bin/sh"
