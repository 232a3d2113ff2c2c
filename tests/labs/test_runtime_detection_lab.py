"""The runtime-detection lab: strace on two containers, Falco-style rules over the traces.

On the real engine the lab proves itself (`solve --verify`) and `down` leaves nothing;
its checks catch the near misses: a rule that also fires on the normal app, a rule
tied to the container's name, a trace of the wrong container, without -f, or of a
container that has since restarted. Without strace its practical tasks are
unavailable and say how to install it.

Without Docker, the lab's detector (detect.py, shipped to learners) is held to what
it documents: rule files read as YAML reads them, Falco's condition semantics, and
strace's line forms.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from labtui.engine.session import Session
from labtui.engine.verify import verify
from labtui.scenario.catalog import Catalog
from tests.conftest import SCENARIOS, skip_if_names_held
from tests.labs import unproven
from tests.labs.lab_scripts import load_pack_module
from tests.labs.test_container_labs import leftovers

LAB = "runtime-detection"
FOLDER = SCENARIOS / LAB
PRACTICAL = ("trace-app", "trace-miner", "write-rule")

can_trace = pytest.mark.skipif(
    shutil.which("strace") is None or os.geteuid() != 0,
    reason="needs strace (apt-get install strace) and root: strace -p attaches to "
    "container processes, which belong to root on the host",
)


def lab() -> Session:
    entry = Catalog().find(LAB)
    assert entry.scenario is not None, entry.problems
    return Session(entry.scenario, entry.folder)


def load_detect() -> ModuleType:
    return load_pack_module("labtui_lab_detect", FOLDER / "detect.py")


detect = load_detect()


def solution_rules() -> str:
    entry = Catalog().find(LAB)
    assert entry.scenario is not None
    task = next(t for t in entry.scenario.tasks if t.id == "write-rule")
    assert task.solution is not None
    return task.solution.files["rules/miner.yaml"]


def failing(session: Session, task: str) -> list[str]:
    result = session.check(task, record=False)
    return [r.label for r in result.results if not r.passed]


def record(session: Session, *containers: str, seconds: int = 10) -> None:
    """Trace the containers side by side, as the learner does one after the other."""
    running = []
    for name in containers:
        pid = session.templates.render(f"{{containers.{name}.pid}}")
        out = session.lab_dir / f"{name.removeprefix('det-')}.trace"
        argv = ["timeout", str(seconds), "strace", "-f", "-tt", "-o", str(out), "-p", pid]
        running.append(subprocess.Popen(argv, stderr=subprocess.DEVNULL))
    for proc in running:
        proc.wait(timeout=seconds + 30)


@pytest.fixture
def traced() -> Iterator[Session]:
    skip_if_names_held(LAB)
    session = lab()
    session.up()
    try:
        record(session, "det-app", "det-miner")
        yield session
    finally:
        session.down()


# --- on the real engine ---------------------------------------------------------


@pytest.mark.docker
@can_trace
def test_lab_verifies_and_down_leaves_nothing() -> None:
    skip_if_names_held(LAB)
    session = lab()
    for name in session.scenario.container_names:
        assert name.startswith("det-"), f"{name} lacks the lab prefix"
    report = verify(session.scenario, session.folder)
    problems = unproven(report, strict=True)
    assert report.ok and not problems, problems or report.error
    assert leftovers(LAB) == []


@pytest.mark.docker
def test_up_then_down_leaves_nothing() -> None:
    skip_if_names_held(LAB)
    session = lab()
    session.up()
    try:
        for c in session.scenario.environment.containers:
            attrs = session.docker.inspect(c.name)
            assert attrs is not None and attrs["State"]["Running"], f"{c.name} is not running"
            assert attrs["HostConfig"]["NetworkMode"] == "none"
        for shipped in ("detect.py", "RULES.md", "rules/spawned-process.yaml"):
            assert (session.lab_dir / shipped).is_file(), shipped
        # what the learner leaves behind: a trace and a rule file
        (session.lab_dir / "app.trace").write_text("1 execve(...) = 0\n")
        session.apply_solution("write-rule")
    finally:
        session.down()
    assert leftovers(LAB) == []


@pytest.mark.docker
@can_trace
def test_rules_must_catch_the_behaviour_and_spare_the_app(traced: Session) -> None:
    rules = traced.lab_dir / "rules" / "miner.yaml"
    fires, silent, elsewhere = (
        "your rules fire on the miner in det-miner's trace",
        "your rules stay silent on det-app's normal behaviour",
        "your rules still fire when the same behaviour runs in another container "
        "(behaviour, not a name)",
    )
    # the starter rule: every exec in a container, the app's included
    rules.write_text((traced.lab_dir / "rules" / "spawned-process.yaml").read_text())
    assert failing(traced, "write-rule") == [silent]

    def rule(condition: str) -> str:
        return (
            f"- rule: R\n  desc: d\n  condition: {condition}\n"
            "  output: alert (proc=%proc.name container=%container.name)\n  priority: WARNING\n"
        )

    # tied to the container instead of the behaviour
    rules.write_text(rule("evt.type = execve and container.name = det-miner"))
    assert failing(traced, "write-rule") == [elsewhere]
    # writes under /tmp: the app's report and backup too
    rules.write_text(
        rule("evt.type = openat and fd.name startswith /tmp/ and evt.is_open_write = true")
    )
    assert failing(traced, "write-rule") == [silent]
    # a miner by its usual name, which this one does not use
    rules.write_text(rule("evt.type = execve and proc.name = xmrig"))
    assert failing(traced, "write-rule") == [fires, elsewhere]
    # a broken file fails every check
    rules.write_text(rule("evt.type = connect and fd.sport ="))
    assert len(failing(traced, "write-rule")) == 4
    # one behavioural signal is enough
    for condition in (
        "evt.type = connect and fd.sport = 3333",
        "evt.type = execve and proc.exepath startswith /tmp/",
    ):
        rules.write_text(rule(condition))
        assert failing(traced, "write-rule") == [], condition
    rules.write_text(solution_rules())
    assert failing(traced, "write-rule") == []


@pytest.mark.docker
@can_trace
def test_traces_must_come_from_the_running_container_with_its_children(traced: Session) -> None:
    app, miner = traced.lab_dir / "app.trace", traced.lab_dir / "miner.trace"
    assert failing(traced, "trace-app") == failing(traced, "trace-miner") == []
    recorded = miner.read_text()

    miner.write_text(app.read_text())  # det-app's trace: the wrong process, and no miner
    assert failing(traced, "trace-miner")
    # without -f: no PIDs, and none of the processes the loop starts
    miner.write_text("".join(line.split(" ", 1)[1] for line in recorded.splitlines(True)))
    out = subprocess.run(
        ["python3", "detect.py", "trace", "miner.trace", "--container", "det-miner",
         "--expect", "miner"],
        cwd=traced.lab_dir, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 1 and "record with -f" in out.stdout, out.stdout
    miner.write_text(recorded)
    assert failing(traced, "trace-miner") == []

    # the container restarts: a new first process, the old trace is no evidence of it
    subprocess.run(["docker", "restart", "-t", "0", "det-app"], check=True, timeout=60)
    assert failing(traced, "trace-app")


def test_without_strace_the_practical_tasks_say_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python = shutil.which("python3")
    assert python is not None
    (tmp_path / "python3").symlink_to(python)
    monkeypatch.setenv("PATH", str(tmp_path))  # python3 and nothing else
    session = lab()
    install = session.scenario.tools["strace"]
    for task in PRACTICAL:
        assert session.task_missing(task) == [
            f"needs strace: not found on PATH; install: {install}"
        ]
    assert session.available_task_ids == [
        "spot-the-difference",
        "where-falco-runs",
        "detect-or-stop",
    ]
    result = session.check("trace-app")
    assert result.unavailable and not result.passed


# --- the detector, without Docker -------------------------------------------------


def as_yaml_reads_it(value: Any) -> Any:
    if isinstance(value, list):
        return [str(v) for v in value]
    return " ".join(str(value).split())


def rule_texts() -> dict[str, str]:
    md = (FOLDER / "RULES.md").read_text()
    example = md.split("```yaml\n", 1)[1].split("```", 1)[0]
    return {
        "rules/spawned-process.yaml": (FOLDER / "rules" / "spawned-process.yaml").read_text(),
        "the solution's rules/miner.yaml": solution_rules(),
        "RULES.md's example": example,
    }


@pytest.mark.parametrize("name", sorted(rule_texts()))
def test_shipped_rule_files_read_as_yaml_reads_them(name: str) -> None:
    text = rule_texts()[name]
    ours = [
        {k: as_yaml_reads_it(v) for k, v in i.values.items()} for i in detect.parse_rules_yaml(text)
    ]
    theirs = [{k: as_yaml_reads_it(v) for k, v in i.items()} for i in yaml.safe_load(text)]
    assert ours == theirs
    detect.RuleSet(text, name)  # and the detector accepts them


def test_rules_md_documents_every_field() -> None:
    md = (FOLDER / "RULES.md").read_text()
    assert [f for f in detect.FIELDS if f"`{f}`" not in md] == []


def test_yaml_mistakes_are_reported_with_their_line() -> None:
    good = (
        "- rule: R\n  desc: d\n  condition: evt.type = execve\n  output: o\n  priority: WARNING\n"
    )
    assert detect.RuleSet(good, "r.yaml").rules[0].priority == "Warning"
    cases = {
        good.replace("  condition", "   condition"): "line 3",  # indented too deep
        good.replace("output: o", "output: Miner: %proc.name"): "line 4",  # `: ` unquoted
        good.replace("output: o", "output: o %proc.nme"): "r.yaml:4",
        good.replace("WARNING", "LOUD"): "r.yaml:5",
        good.replace("  desc: d\n", ""): "missing `desc:`",
        good.replace("execve", "execve and proc.pid = 1"): "unknown field proc.pid",
        good.replace("evt.type = execve", "spawned_process"): "neither a field nor a macro",
        good + "  exceptions: []\n": "not in this lab's subset",
        good + "  enabled: false\n": "every rule is disabled",
    }
    for text, expected in cases.items():
        with pytest.raises(detect.RuleError, match=expected.replace("(", r"\(")):
            detect.RuleSet(text, "r.yaml")


def test_conditions_follow_falco() -> None:
    text = """\
- list: pool_ports
  items: [3333, more_ports]
- list: more_ports
  items: [4444]
- macro: pool
  condition: fd.sport in (pool_ports)
"""
    rules = detect.RuleSet(
        text + "- rule: R\n  desc: d\n  condition: pool\n  output: o\n  priority: INFO\n"
    )

    def test(condition: str, event: dict[str, Any]) -> bool:
        return bool(detect.Condition(condition, "t", rules).test(event))

    connect = {"evt.type": "connect", "fd.sport": 4444, "fd.name": "127.0.0.1:4444"}
    execve = {"evt.type": "execve", "proc.exepath": "/tmp/x/kworker", "fd.sport": None}
    assert test("pool", connect) and not test("pool", execve)
    # a field without a value makes a comparison false, even !=; `not` turns it true
    assert not test("fd.sport != 3333", execve)
    assert test("not fd.sport = 3333", execve)
    assert test("fd.sport exists", connect) and not test("fd.sport exists", execve)
    # not > and > or
    assert test("evt.type = connect or evt.type = execve and fd.sport = 1", connect)
    assert not test("(evt.type = connect or evt.type = execve) and fd.sport = 1", connect)
    assert test("not evt.type = execve and fd.sport > 4000", connect)
    assert test("proc.exepath pmatch (/tmp, /dev/shm)", execve)
    assert not test("proc.exepath pmatch (/tm)", execve)
    assert test("proc.exepath glob '/tmp/*/kworker' and evt.type=execve", execve)
    assert test('fd.name endswith ":4444" and fd.sport >= 4444', connect)


TRACE = """\
100 12:00:00.000001 wait4(-1,  <unfinished ...>
100 12:00:00.000002 <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 7
100 12:00:00.000003 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD <unfinished ...>
101 12:00:00.000004 set_robust_list(0xc2066a0, 24 <unfinished ...>
100 12:00:00.000005 <... clone resumed>, child_tidptr=0xc206690) = 8
101 12:00:00.000006 <... set_robust_list resumed>) = 0
101 12:00:00.000007 openat(AT_FDCWD, "/tmp/kworker", O_WRONLY|O_CREAT|O_TRUNC, 0100755) = 4
101 12:00:00.000008 execve("/tmp/kworker", ["nc", "127.0.0.1", "3333"], 0xc209568 /* 5 vars */) = 0
101 12:00:00.000009 connect(3, {sa_family=AF_INET, sin_port=htons(3333), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 ECONNREFUSED (Connection refused)
101 12:00:00.000010 +++ exited with 1 +++
100 12:00:00.000011 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=8} ---
100 12:00:00.000012 clone(child_stack=NULL, flags=SIGCHLD) = 9
102 12:00:00.000013 execve("/proc/self/exe", ["wget", "-q", "http://127.0.0.1:8080/"], 0x1 /* 5 vars */) = 0
102 12:00:00.000014 prctl(PR_SET_NAME, "wget") = 0
102 12:00:00.000015 connect(3, {sa_family=AF_INET6, sin6_port=htons(8080), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0
"""


def events(trace: str, root: Any = None) -> list[dict[str, Any]]:
    t = detect.Trace(container=detect.Container(id="0123456789ab", name="c", image="i/x:1"))
    if root is not None:
        t.procs[100] = root
        t.root = 100
    return list(t.feed(trace.splitlines()))


def test_strace_lines_become_events_of_the_right_process() -> None:
    sh = detect.Proc(name="sh", exepath="/bin/busybox", exe="sh", args="-c loop")
    got = events(TRACE, root=sh)
    assert [e["evt.type"] for e in got] == [
        "wait4", "clone", "set_robust_list", "openat", "execve", "connect", "clone",
        "execve", "prctl", "connect",
    ]  # fmt: skip
    opened, execve, refused = got[3], got[4], got[5]
    assert (opened["proc.name"], opened["fd.name"], opened["evt.is_open_write"]) == (
        "sh",
        "/tmp/kworker",
        "true",
    )
    assert (opened["fd.directory"], opened["fd.filename"]) == ("/tmp", "kworker")
    # the execve event already shows the new program
    assert (execve["proc.name"], execve["proc.exepath"], execve["proc.exe"]) == (
        "kworker",
        "/tmp/kworker",
        "nc",
    )
    assert (execve["proc.cmdline"], execve["proc.pname"]) == ("kworker 127.0.0.1 3333", "sh")
    assert (refused["fd.sip"], refused["fd.sport"], refused["fd.name"]) == (
        "127.0.0.1",
        3333,
        "127.0.0.1:3333",
    )
    assert (refused["evt.res"], refused["evt.rawres"], refused["fd.type"]) == (
        "ECONNREFUSED",
        -111,
        "ipv4",
    )
    assert refused["evt.time"] == "12:00:00.000009"
    assert (refused["container.id"], refused["container.image.repository"]) == (
        "0123456789ab",
        "i/x",
    )
    # busybox re-executing itself: "exe" at the execve, renamed by prctl, binary inherited
    wget_exec, wget_connect = got[7], got[9]
    assert (wget_exec["proc.name"], wget_exec["proc.exepath"]) == ("exe", "/bin/busybox")
    assert (wget_connect["proc.name"], wget_connect["fd.name"], wget_connect["fd.type"]) == (
        "wget",
        "::1:8080",
        "ipv6",
    )


def test_other_strace_forms_are_read_too() -> None:
    # strace writing to stderr (-f without -o) and -Y (process names after the PID)
    stderr = TRACE.replace("101 ", "[pid   101] ").replace("100 ", "")
    assert [e["proc.name"] for e in events(stderr) if e["evt.type"] == "execve"] == [
        "kworker",
        "exe",
    ]
    named = TRACE.replace("101 ", "101<kworker> ").replace("100 ", "100<sh> ")
    got = events(named.replace(" 12:00:00.0000", " 1700000000.0000"))
    assert got[0]["proc.name"] == "sh" and got[3]["proc.name"] == "kworker"
    assert got[0]["evt.time"] == "1700000000.000002"  # when the call returned


def test_alerts_render_falco_style() -> None:
    rules = detect.RuleSet(solution_rules(), "miner.yaml")
    sh = detect.Proc(name="sh", exepath="/bin/busybox", exe="sh")
    alerts = [
        detect.alert_line(r, e)
        for e in events(TRACE, root=sh)
        for r in rules.enabled
        if r.condition.test(e)
    ]
    assert alerts == [
        "12:00:00.000008: Critical Binary executed from a temporary directory (proc=kworker "
        "exe=/tmp/kworker argv0=nc cmdline=kworker 127.0.0.1 3333 parent=sh container=c "
        "id=0123456789ab image=i/x:1)",
        "12:00:00.000009: Critical Connection to a mining pool port (proc=kworker "
        "exe=/tmp/kworker connection=127.0.0.1:3333 result=ECONNREFUSED container=c)",
    ]


def test_a_live_stream_is_read_as_it_comes(tmp_path: Path) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text(
        "- rule: Pool\n  desc: d\n  condition: evt.type = connect and fd.sport = 3333\n"
        "  output: pool (proc=%proc.name container=%container.id)\n  priority: ALERT\n"
    )
    proc = subprocess.Popen(
        [sys.executable, str(FOLDER / "detect.py"), "run", str(rules), "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        lines = TRACE.splitlines(True)
        proc.stdin.writelines(lines[:9])
        proc.stdin.flush()
        # the alert comes while the stream is still open, as strace goes on
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        assert ready, "no alert before the stream ended"
        assert (
            proc.stdout.readline() == "12:00:00.000009: Alert pool (proc=kworker container=host)\n"
        )
        proc.stdin.writelines(lines[9:])
        proc.stdin.close()
        assert "-- 1 alert(s)" in proc.stdout.read()
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
