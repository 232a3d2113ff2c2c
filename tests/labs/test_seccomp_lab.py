"""The seccomp-profiles lab on the real engine: its checks catch the near misses a learner makes.

`solve --verify` (tests/labs/test_container_labs.py) proves that each task fails
before its solution and passes after it. These tests prove the checks are exact:
an errno other than EPERM, a profile naming one form of chmod, an app that no
longer does its job, and an AppArmor answer that does not match this host.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from labtui.engine.session import Session
from labtui.scenario.catalog import Catalog
from tests.conftest import skip_if_names_held

pytestmark = pytest.mark.docker

LAB = "seccomp-profiles"
APP = 'i=0; while true; do i=$((i+1)); echo "report $i at $(date)" > /tmp/report.txt; sleep 2; done'


@pytest.fixture
def session() -> Iterator[Session]:
    skip_if_names_held(LAB)
    entry = Catalog().find(LAB)
    assert entry.scenario is not None, entry.problems
    s = Session(entry.scenario, entry.folder)
    s.up()
    try:
        yield s
    finally:
        s.down()


def docker(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *argv], capture_output=True, text=True, timeout=60, check=check
    )


def profile(names: list[str], errno: int) -> str:
    rule = {"names": names, "action": "SCMP_ACT_ERRNO", "errnoRet": errno}
    return json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [rule]})


def failing(session: Session, task: str, answer: str | None = None) -> list[str]:
    """The descriptions of the task's checks that fail now."""
    result = session.check(task, answer=answer)
    return [r.label for r in result.results if not r.passed]


def restart_app(session: Session, *command: str) -> None:
    docker("rm", "-f", "sc-app")
    docker(
        "run", "-d", "--name", "sc-app", "--network", "none",
        "--security-opt", f"seccomp={session.lab_dir / 'no-chmod.json'}",
        session.templates.render("{base_image}"), *command,
    )  # fmt: skip


def test_only_eperm_for_every_form_of_chmod_passes(session: Session) -> None:
    path = session.lab_dir / "no-chmod.json"
    path.write_text(profile(["chmod", "fchmod", "fchmodat"], errno=13))
    assert failing(session, "write-profile") == [
        "under the profile, a container still writes a file but chmod fails with EPERM"
    ], "EACCES (Permission denied) passed for EPERM"
    # busybox calls chmod(2): a filter naming only that form stops this image, not others
    path.write_text(profile(["chmod"], errno=1))
    assert failing(session, "write-profile") == [
        "the profile names every form of the call (chmod, fchmod, fchmodat)"
    ]
    path.write_text(profile(["chmod", "fchmod", "fchmodat", "fchmodat2"], errno=1))
    assert failing(session, "write-profile") == []


def test_the_app_must_still_do_its_job_under_the_profile(session: Session) -> None:
    session.apply_solution("write-profile")
    restart_app(session, "sleep", "1d")
    assert failing(session, "run-with-profile") == [
        "with chmod blocked, the app still writes a new report every 2 seconds"
    ]
    restart_app(session, "sh", "-c", APP)
    assert failing(session, "run-with-profile") == []
    # a deny-list replaces Docker's default profile: unshare now behaves as with no filter
    status = docker("exec", "sc-app", "grep", "^Seccomp:", "/proc/1/status").stdout
    assert status.split() == ["Seccomp:", "2"]
    loose = docker("exec", "sc-loose", "unshare", "-U", "true", check=False).returncode
    assert docker("exec", "sc-app", "unshare", "-U", "true", check=False).returncode == loose


def test_answers_follow_this_host(session: Session) -> None:
    loose = docker("exec", "sc-loose", "unshare", "-U", "true", check=False).returncode
    assert failing(session, "default-vs-unconfined", "sc-app")
    assert not failing(session, "default-vs-unconfined", "sc-loose" if loose == 0 else "none")
    options = docker("info", "-f", "{{json .SecurityOptions}}").stdout
    right, wrong = (
        ("docker-default", "none") if "name=apparmor" in options else ("none", "docker-default")
    )
    assert failing(session, "apparmor-on-this-host", wrong), (
        f"the AppArmor task passed with {wrong!r} where docker info says {options}"
    )
    assert not failing(session, "apparmor-on-this-host", right)


def test_the_apparmor_practice_is_unavailable_without_apparmor_never_passed() -> None:
    from labtui.engine.requirements import APPARMOR_ENABLED

    if APPARMOR_ENABLED.exists():
        pytest.skip("this kernel has AppArmor: the task runs here")
    entry = Catalog().find("seccomp-profiles")
    assert entry.scenario is not None
    session = Session(entry.scenario, entry.folder)
    assert session.task_missing("apparmor-deny-write") == [
        "needs AppArmor: this kernel has none (no /sys/module/apparmor)"
    ]
    assert "apparmor-deny-write" not in session.available_task_ids
