"""Regenerate docs/tour.md: drive the real app in tmux through the PID-namespace lab.

Runs ``labtui`` in a detached tmux session (100x30) against the real Docker
engine, presses keys as a learner would (including shell handoffs, where the
learner types docker commands), captures the pane after each step and writes
the screens with short captions. Answers are read from what the shell showed.
Removes c1/c2 afterwards with ``labtui down``. Refuses to start when containers
named c1 or c2 already exist.

    .venv/bin/python docs/tour.py
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SESSION = "tour"
DATA = "/tmp/tour-data"
ENV = f"LABTUI_BASE_IMAGE=labtui/base:local LABTUI_DATA_DIR={DATA}"
LAB = "pid-namespace-sharing"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def keys(*names: str, wait: float = 0.8) -> None:
    for name in names:
        tmux("send-keys", "-t", SESSION, name)
        time.sleep(0.15)
    time.sleep(wait)


def type_line(text: str, wait: float = 1.5) -> None:
    tmux("send-keys", "-t", SESSION, "-l", text)
    tmux("send-keys", "-t", SESSION, "Enter")
    time.sleep(wait)


def capture() -> str:
    lines = tmux("capture-pane", "-p", "-t", SESSION).rstrip("\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).rstrip("\n")


def main() -> None:
    taken = subprocess.run(
        ["docker", "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True, check=True
    ).stdout.split()
    if {"c1", "c2"} & set(taken):
        sys.exit("containers named c1/c2 exist already: the tour needs those names")
    shutil.rmtree(DATA, ignore_errors=True)
    steps: list[tuple[str, str]] = []

    def shot(caption: str) -> str:
        screen = capture()
        steps.append((caption, screen))
        return screen

    tmux("new", "-d", "-s", SESSION, "-x", "100", "-y", "30", f"{ENV} {REPO}/.venv/bin/labtui")
    try:
        time.sleep(3)
        shot(
            "`labtui` opens the catalog: every scenario grouped by topic, with difficulty, minutes, "
            "requirements and status. Labs that need kind are dimmed with the reason."
        )
        keys(*"share")
        shot("Typing filters the catalog.")
        keys("Enter", wait=2.5)
        if "environment up" not in capture():
            raise SystemExit("the lab did not start (are c1/c2 in use?):\n" + capture())
        shot(
            "Enter opens the lab: tasks on the left (`t` hides them), the current task's "
            "instructions, the check results below, the environment in the status line and the "
            "keys in the footer. A key the footer has no room for still works, and `?` lists "
            "every key."
        )
        keys("c", wait=2)
        shot(
            "`c` checks the task. Nothing is done yet, so each check says what it expected and what "
            "it found."
        )
        keys("h")
        shot("`h` reveals the first hint (hints are counted in the progress).")
        keys("s", wait=1.5)
        type_line("clear", wait=0.5)
        type_line("echo $LAB_SCENARIO $LAB_DIR", wait=0.5)
        type_line("docker run -d --name c1 labtui/base:local sleep 1d", wait=2)
        type_line("docker exec c1 ps aux")
        shot(
            "`s` suspends the app and opens the learner's shell in the lab directory, with "
            "`LAB_SCENARIO` and `LAB_DIR` set and the lab's name in the prompt."
        )
        type_line("exit", wait=3)
        shot("Leaving the shell resumes the app, which checks the current task at once: passed.")
        keys("n")
        keys("s", wait=1.5)
        type_line("clear", wait=0.5)
        type_line("docker run -d --name c2 --pid=container:c1 labtui/base:local sleep 9d", wait=2)
        type_line("docker exec c2 ps aux; docker exec c1 ps aux", wait=2)
        shot(
            "`n` moves to task 2; in a second lab shell the learner starts c2 in c1's PID namespace."
        )
        type_line("exit", wait=3)
        shot("Back in the app, task 2's four checks pass.")
        keys("n")
        keys("c")
        keys(*"13", wait=0.5)
        shot(
            "Task 3 asks for a number. `c` on an answer task without an answer opens the answer input."
        )
        keys("Enter", wait=2)
        shot(
            "A wrong answer: the results say so; the expected value stays hidden until solved. The "
            "answer is shown as typed (data, never markup)."
        )
        keys("a", "C-a", "C-k")
        keys("1", "Enter", wait=2)
        shot("The right answer passes.")
        keys("n")
        keys("s", wait=1.5)
        type_line("clear", wait=0.5)
        type_line("docker inspect -f '{{.State.Pid}}' c1", wait=1.5)
        type_line("docker exec c2 cat /proc/1/root/etc/hostname", wait=2)
        shell = shot(
            "Tasks 4 and 5 need values from the environment: the host PID of c1's `sleep 1d`, "
            "and c1's hostname read through `/proc/1/root` from inside c2."
        )
        numbers = re.findall(r"^(\d+)$", shell, re.MULTILINE)
        hostnames = re.findall(r"^([0-9a-f]{12})$", shell, re.MULTILINE)
        type_line("exit", wait=1.5)
        keys(*numbers[0], wait=0.3)
        shot("Back from the shell, task 4 has no answer yet, so the answer input opens.")
        keys("Enter", wait=2)
        shot("Task 4 passes.")
        keys("n", "a")
        keys(*hostnames[0], "Enter", wait=2)
        shot("Task 5 passes.")
        keys("n")
        shot("Task 6 is a question about what was learned.")
        keys("a", "b", "Enter", wait=2.5)
        shot(
            "All tasks pass: the summary shows the time taken, hints used, solutions revealed and "
            "what was learned."
        )
        keys("Enter", wait=1.5)
        shot("Enter goes back to the catalog, where the lab is now done.")
        keys("C-e", wait=4)
        shot(
            "`ctrl+e` opens the environment screen (doctor): Docker, kind, kubectl, clusters and "
            "leftovers of labs, with actions to take one down or clean everything."
        )
        keys("q", wait=1)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True, check=False)
        subprocess.run(
            [f"{REPO}/.venv/bin/labtui", "down", LAB],
            capture_output=True,
            check=False,
            env={**os.environ, "LABTUI_BASE_IMAGE": "labtui/base:local", "LABTUI_DATA_DIR": DATA},
        )
        # Whatever `docker run` printed in the tour's shells is the tour's own: make sure it is gone.
        made = {
            m for _, screen in steps for m in re.findall(r"^([0-9a-f]{64})$", screen, re.MULTILINE)
        }
        if made:
            subprocess.run(["docker", "rm", "-f", *sorted(made)], capture_output=True, check=False)
    write(steps)


def write(steps: list[tuple[str, str]]) -> None:
    out = [
        "# A tour of labtui",
        "",
        "The screens below are the real app in a 100x30 terminal, driven through the",
        "*Share a PID namespace* lab with tmux (`send-keys`) and captured with",
        "`capture-pane` after each step, against a real Docker engine. Regenerate with",
        "`.venv/bin/python docs/tour.py`.",
        "",
        "```",
        f"tmux new -d -s tour -x 100 -y 30 '{ENV} .venv/bin/labtui'",
        "```",
        "",
    ]
    for n, (caption, screen) in enumerate(steps, 1):
        out += [f"**{n}.** {caption}", "", "```text", screen, "```", ""]
    out += [
        "Afterwards the lab's containers are removed:",
        "",
        "```",
        f"{ENV} .venv/bin/labtui down {LAB}",
        "```",
        "",
    ]
    (REPO / "docs" / "tour.md").write_text("\n".join(out))


if __name__ == "__main__":
    main()
