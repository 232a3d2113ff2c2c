"""The container-sandbox-gvisor lab, and the probes that say where gVisor runs.

On an engine whose Docker knows the runtime runsc, the lab proves itself (`solve
--verify`, run as a learner runs it), `down` leaves nothing, and its checks catch the
near misses. Everywhere else the lab is unavailable with the reason and the install
line, never broken: the probes of labtui.engine.gvisor are held to that here with
stand-in programs (a runsc that fails as it does where its sandbox cannot start, a
Docker without the runtime), so these tests need neither Docker nor gVisor.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from labtui.drivers.docker import base_image
from labtui.engine import gvisor
from labtui.engine.requirements import task_missing
from labtui.engine.session import Session
from labtui.scenario.catalog import Catalog
from tests.conftest import skip_if_names_held
from tests.labs.test_container_labs import leftovers

LAB = "container-sandbox-gvisor"
CLUSTER_LAB = "runtimeclass-gvisor"


@pytest.fixture(autouse=True)
def fresh_probes() -> Iterator[None]:
    """Every probe keeps its answer per process: each test asks afresh."""
    caches = (
        gvisor.runsc_missing,
        gvisor.docker_runsc_missing,
        gvisor.containerd_config_missing,
    )
    for probe in caches:
        probe.cache_clear()
    yield
    for probe in caches:
        probe.cache_clear()


def stand_in(bin_dir: Path, name: str, script: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)


# --- the probes, with stand-in programs ------------------------------------------


def test_runsc_that_cannot_start_a_sandbox_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert gvisor.runsc_missing() == "needs gVisor: runsc not found on PATH"
    gvisor.runsc_missing.cache_clear()
    # what a runsc linked against the C library prints: its re-exec finds no loader in
    # the sandbox's empty chroot
    stand_in(
        tmp_path / "bin",
        "runsc",
        'echo "running container: creating container: cannot create sandbox: '
        'cannot read client sync file: waiting for sandbox to start: EOF" >&2\n'
        'echo "W1203 11:56:38 util.go:107] FATAL ERROR: error executing umounter: '
        'fork/exec /proc/self/exe: no such file or directory" >&2\nexit 128\n',
    )
    why = gvisor.runsc_missing()
    assert why is not None
    assert why.startswith("needs gVisor: `runsc ")
    assert "do true` fails on this machine: error executing umounter" in why
    gvisor.runsc_missing.cache_clear()
    stand_in(tmp_path / "bin", "runsc", 'echo "$@" > "${0%/*}/argv"\nexit 0\n')
    assert gvisor.runsc_missing() is None
    argv = (tmp_path / "bin" / "argv").read_text().split()
    assert argv[-3:] == ["--network=none", "do", "true"]
    assert ("--rootless" in argv) == (os.geteuid() != 0)


def test_docker_without_the_runtime_is_a_reason_not_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    monkeypatch.setenv("PATH", str(bin_dir))
    stand_in(bin_dir, "docker", 'echo \'{"runc":{"path":"runc"}}\'\n')
    assert gvisor.docker_runsc_missing("img") == (
        "needs Docker's runsc runtime: `docker info` lists no runtime called runsc"
    )
    gvisor.docker_runsc_missing.cache_clear()
    # registered, but its sandbox cannot start
    stand_in(
        bin_dir,
        "docker",
        'case "$1" in info) echo \'{"runc":{"path":"runc"},"runsc":{"path":"/x/runsc"}}\';;\n'
        'run) echo "docker: Error response from daemon: OCI runtime create failed: '
        'cannot create sandbox: EOF." >&2; exit 125;; esac\n',
    )
    why = gvisor.docker_runsc_missing("img")
    assert why == (
        "needs Docker's runsc runtime to start a container: docker: Error response from "
        "daemon: OCI runtime create failed: cannot create sandbox: EOF."
    )
    gvisor.docker_runsc_missing.cache_clear()
    # no lab image yet: nothing to learn, `up` says what is missing
    stand_in(
        bin_dir,
        "docker",
        'case "$1" in info) echo \'{"runsc":{"path":"/x/runsc"}}\';;\n'
        'run) echo "Unable to find image img locally" >&2\n'
        'echo "docker: Error response from daemon: No such image: img." >&2; exit 125;; esac\n',
    )
    assert gvisor.docker_runsc_missing("img") is None
    gvisor.docker_runsc_missing.cache_clear()
    stand_in(
        bin_dir,
        "docker",
        'case "$1" in info) echo \'{"runsc":{"path":"/x/runsc"}}\';;\n'
        'run) echo "$@" > "${0%/*}/argv";; esac\n',
    )
    assert gvisor.docker_runsc_missing("img") is None
    assert (bin_dir / "argv").read_text().split() == [
        "run", "--rm", "--pull=never", "--runtime", "runsc", "--network", "none", "img", "true",
    ]  # fmt: skip
    gvisor.docker_runsc_missing.cache_clear()
    # no Docker at all: the lab's docker requirement says so, not this probe
    stand_in(bin_dir, "docker", "exit 1\n")
    assert gvisor.docker_runsc_missing("img") is None


def test_the_shim_needs_cap_sys_resource(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    status = tmp_path / "status"
    monkeypatch.setattr(gvisor, "STATUS", status)
    status.write_text("Name:\tx\nCapBnd:\t000001fffeffffff\n")  # bit 24 cleared
    why = gvisor.shim_missing()
    assert why is not None and "CAP_SYS_RESOURCE" in why and "-999" in why
    status.write_text("Name:\tx\nCapBnd:\t000001ffffffffff\n")
    assert gvisor.shim_missing() is None


def containerd_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config_arg: list[str], socket: str
) -> None:
    """A node whose kubelet uses ``socket``, with one containerd started with ``config_arg``."""
    flags = tmp_path / "kubeadm-flags.env"
    flags.write_text(
        f'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix://{socket} --node-ip=192.0.2.2"\n'
    )
    monkeypatch.setattr(gvisor, "KUBEADM_FLAGS", flags)
    monkeypatch.setattr(gvisor, "KUBELET_CONFIG", tmp_path / "absent.yaml")
    monkeypatch.setattr(
        gvisor,
        "containerd_processes",
        lambda: [(31044, ["containerd", "--config", str(tmp_path / "docker.toml")]),
                 (32114, ["/usr/bin/containerd", *config_arg])],
    )  # fmt: skip
    (tmp_path / "docker.toml").write_text('[grpc]\n  address = "/var/run/docker/c.sock"\n')


def test_containerd_must_read_the_file_a_learner_edits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo_config = tmp_path / "containerd.toml"
    repo_config.write_text('version = 2\n[grpc]\n  address = "/run/labtui-containerd/c.sock"\n')
    containerd_node(
        tmp_path, monkeypatch, ["--config", str(repo_config)], "/run/labtui-containerd/c.sock"
    )
    assert gvisor.missing("containerd-config", node=False) is None  # kind: always
    assert gvisor.containerd_config_missing() == (
        "needs the node's containerd to read /etc/containerd/config.toml: the kubelet's "
        "containerd (pid 32114, socket /run/labtui-containerd/c.sock) runs with --config "
        f"{repo_config}"
    )
    gvisor.containerd_config_missing.cache_clear()
    # kubeadm's: containerd without --config reads /etc/containerd/config.toml
    containerd_node(tmp_path, monkeypatch, [], gvisor.DEFAULT_CONTAINERD_SOCKET)
    if Path(gvisor.CONTAINERD_CONFIG).exists():
        text = Path(gvisor.CONTAINERD_CONFIG).read_text()
        if "address" in text:
            pytest.skip("this machine's /etc/containerd/config.toml names its own socket")
    assert gvisor.containerd_config_missing() is None
    gvisor.containerd_config_missing.cache_clear()
    containerd_node(tmp_path, monkeypatch, ["-c", gvisor.CONTAINERD_CONFIG], "/nowhere.sock")
    assert gvisor.containerd_config_missing() is None  # not found from here: kubeadm's assumed


def test_kubelet_endpoint_from_its_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gvisor, "KUBEADM_FLAGS", tmp_path / "absent.env")
    config = tmp_path / "config.yaml"
    config.write_text('kind: KubeletConfiguration\ncontainerRuntimeEndpoint: ""\n')
    monkeypatch.setattr(gvisor, "KUBELET_CONFIG", config)
    assert gvisor._kubelet_endpoint() == gvisor.DEFAULT_CONTAINERD_SOCKET
    config.write_text("containerRuntimeEndpoint: unix:///run/k3s/containerd/containerd.sock\n")
    assert gvisor._kubelet_endpoint() == "/run/k3s/containerd/containerd.sock"


def test_a_missing_probe_ends_with_the_labs_install_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gvisor, "missing", lambda need, node=False: f"needs {need}: no")
    reasons = task_missing(["docker-runsc", "gvisor-shim"], install={"docker-runsc": "register it"})
    assert reasons == ["needs docker-runsc: no; install: register it", "needs gvisor-shim: no"]
    monkeypatch.setattr(gvisor, "missing", lambda need, node=False: None)
    assert task_missing(["docker-runsc", "gvisor", "containerd-config"]) == []


def test_every_task_of_both_labs_needs_a_working_gvisor() -> None:
    """Where gVisor cannot run, both labs are unavailable as a whole, with the reason."""
    for sid, needs in ((LAB, {"docker-runsc"}), (CLUSTER_LAB, {"gvisor", "gvisor-shim"})):
        entry = Catalog().find(sid)
        assert entry.scenario is not None, entry.problems
        for task in entry.scenario.tasks:
            assert needs <= set(task.requires), (sid, task.id)
    tools = Catalog().find(LAB).scenario.tools  # type: ignore[union-attr]
    assert "scripts/install-lab-tools.sh runsc" in tools["docker-runsc"]
    assert "/etc/docker/daemon.json" in tools["docker-runsc"]


RUNSC_SH = Path(__file__).parents[2] / "scripts" / "lab-tools" / "runsc.sh"


def test_the_tool_pin_builds_static_binaries_of_one_module_version() -> None:
    text = RUNSC_SH.read_text()
    assert "RUNSC_VERSION=0.0.0-20260905035102-160fafc42237" in text
    assert "CGO_ENABLED=0" in text  # the shim's build; runsc's is go_tool's, also static
    assert "gvisor.dev/gvisor/runsc@v$RUNSC_VERSION" in text
    assert "gvisor.dev/gvisor/shim@v$RUNSC_VERSION" in text


def test_docker_registration_keeps_the_rest_of_daemon_json(tmp_path: Path) -> None:
    conf = tmp_path / "etc" / "daemon.json"
    conf.parent.mkdir()
    conf.write_text('{"log-level": "warn", "runtimes": {"kata": {"path": "/opt/kata"}}}')
    script = (
        f"set -e; bin={tmp_path}/bin; python_bin={sys.executable}; . {RUNSC_SH}; "
        "pidof() { return 1; }; register_runsc_docker"
    )
    env = {**os.environ, "DOCKER_DAEMON_JSON": str(conf)}

    def register() -> str:
        res = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        return res.stdout

    assert register() == f"{conf}: runtime runsc -> {tmp_path}/bin/runsc\n"
    want = {
        "log-level": "warn",
        "runtimes": {"kata": {"path": "/opt/kata"}, "runsc": {"path": f"{tmp_path}/bin/runsc"}},
    }
    assert json.loads(conf.read_text()) == want
    # a second run, or a runsc the admin registered elsewhere: nothing changes
    conf.write_text('{"runtimes": {"runsc": {"path": "/usr/local/bin/runsc"}}}')
    assert "already registered (/usr/local/bin/runsc)" in register()
    assert json.loads(conf.read_text()) == {"runtimes": {"runsc": {"path": "/usr/local/bin/runsc"}}}
    # no daemon.json yet: one with just the runtime
    conf.unlink()
    register()
    assert json.loads(conf.read_text()) == {
        "runtimes": {"runsc": {"path": f"{tmp_path}/bin/runsc"}}
    }


# --- on the real engine ----------------------------------------------------------


def runsc_here() -> None:
    """Skip where Docker cannot run runsc containers, saying why; fail under LABTUI_REQUIRE_GVISOR=1."""
    why = gvisor.docker_runsc_missing(base_image())
    if why is None:
        return
    if os.environ.get("LABTUI_REQUIRE_GVISOR") == "1":
        pytest.fail(f"LABTUI_REQUIRE_GVISOR=1 but {why}", pytrace=False)
    pytest.skip(why)


def lab() -> Session:
    entry = Catalog().find(LAB)
    assert entry.scenario is not None, entry.problems
    return Session(entry.scenario, entry.folder)


def failing(session: Session, task: str, answer: str | None = None) -> list[str]:
    result = session.check(task, answer=answer, record=False)
    return [r.label for r in result.results if not r.passed]


@pytest.mark.docker
def test_lab_verifies_and_down_leaves_nothing() -> None:
    runsc_here()
    skip_if_names_held(LAB)
    for name in lab().scenario.container_names:
        assert name.startswith("gv-"), f"{name} lacks the lab prefix"
    res = subprocess.run(
        [sys.executable, "-m", "labtui", "solve", LAB, "--verify"],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"{LAB}: verified" in res.stdout
    assert "skipped" not in res.stdout
    assert leftovers(LAB) == []


@pytest.fixture
def session() -> Iterator[Session]:
    runsc_here()
    skip_if_names_held(LAB)
    s = lab()
    s.up()
    try:
        s.apply_solution("run-sandboxed")
        yield s
    finally:
        s.down()
    assert leftovers(LAB) == []


def docker(*argv: str) -> str:
    res = subprocess.run(["docker", *argv], capture_output=True, text=True, timeout=60)
    return res.stdout.strip()


@pytest.mark.docker
def test_answers_follow_the_live_containers(session: Session) -> None:
    host = os.uname().release
    sandboxed = docker("exec", "gv-sandboxed", "uname", "-r")
    assert sandboxed and sandboxed != host
    assert docker("inspect", "-f", "{{.HostConfig.Runtime}}", "gv-sandboxed") == "runsc"
    # the order matters, and the host's release twice is the runc container's only
    assert failing(session, "kernel-release", f"{sandboxed} {host}")
    assert failing(session, "kernel-release", f"{host} {host}")
    assert not failing(session, "kernel-release", f"  {host}   {sandboxed} ")
    # gv-runc may not read the host's log; gv-sandboxed reads the Sentry's
    assert failing(session, "kernel-log", "dmesg: klogctl: Operation not permitted")
    assert not failing(session, "kernel-log", "Starting gVisor...")
    # the host runs the Sentry for gv-sandboxed, the container's own program for gv-runc
    assert failing(session, "host-view", "sleep")
    assert not failing(session, "host-view", "runsc-sandbox")


@pytest.mark.docker
def test_the_profile_must_deny_every_form_and_runsc_must_ignore_it(session: Session) -> None:
    profile = session.lab_dir / "no-mkdir.json"
    # errno 13 (EACCES) instead of EPERM: runc's mkdir fails, but not as asked
    profile.write_text(
        '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"],'
        ' "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
    )
    assert failing(session, "seccomp-reach") == [
        "with the profile, mkdir fails with EPERM under runc and succeeds under runsc"
    ]
    profile.write_text(
        '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"],'
        ' "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
    )
    assert "the profile names both forms of the call and denies them" in failing(
        session, "seccomp-reach"
    )
    session.apply_solution("seccomp-reach")
    assert failing(session, "seccomp-reach") == []
