"""Can this machine run gVisor sandboxes? Probes for the needs of the gVisor labs.

A task's ``requires`` may name:

- ``gvisor``: ``runsc`` (on PATH) starts a sandbox here: ``runsc --network=none do
  true`` exits 0 (what a node's containerd shim will also need);
- ``docker-runsc``: Docker knows a runtime called ``runsc`` and runs a container
  with it (``docker run --rm --runtime runsc --network none IMAGE true``);
- ``gvisor-shim``: containerd's gVisor shim (``containerd-shim-runsc-v1``) can
  start here: it sets its own ``oom_score_adj`` to -999, which needs
  ``CAP_SYS_RESOURCE`` in the bounding set (kind nodes inherit the host's);
- ``containerd-config``: on a kubeadm node (``--cluster node``), the containerd the
  kubelet talks to reads ``/etc/containerd/config.toml``, the file a learner edits
  and ``down`` puts back (kind nodes always do).

Each probe runs once per process and its answer is kept: a sandbox start costs a
second or two. An answer is None when the need is met, else the reason.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import tomllib
from pathlib import Path

from labtui.drivers import shell

NEEDS = ("gvisor", "docker-runsc", "gvisor-shim", "containerd-config")
CAP_SYS_RESOURCE = 24
STATUS = Path("/proc/self/status")
CONTAINERD_CONFIG = "/etc/containerd/config.toml"
DEFAULT_CONTAINERD_SOCKET = "/run/containerd/containerd.sock"
KUBEADM_FLAGS = Path("/var/lib/kubelet/kubeadm-flags.env")
KUBELET_CONFIG = Path("/var/lib/kubelet/config.yaml")


def missing(need: str, node: bool = False) -> str | None:
    """Why ``need`` (one of NEEDS) is not met here; None when it is."""
    if need == "gvisor":
        return runsc_missing()
    if need == "docker-runsc":
        from labtui.drivers.docker import base_image

        return docker_runsc_missing(base_image())
    if need == "gvisor-shim":
        return shim_missing()
    if need == "containerd-config":
        return containerd_config_missing() if node else None
    raise ValueError(f"unknown gVisor need {need!r}")


def _first_error(text: str) -> str:
    """The line of a runsc or Docker error output that says what failed."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if "FATAL ERROR" in line or line.startswith(("docker:", "Error")):
            return re.sub(r"^.*FATAL ERROR:\s*", "", line)[:300]
    return (lines[-1] if lines else "no output")[:300]


@functools.cache
def runsc_missing() -> str | None:
    runsc = shell.which("runsc")
    if runsc is None:
        return "needs gVisor: runsc not found on PATH"
    argv = [runsc, "--network=none", "do", "true"]
    if os.geteuid() != 0:
        argv.insert(1, "--rootless")
    result = shell.run(argv, timeout=60)
    if result.ok:
        return None
    output = result.stderr + result.stdout
    why = "timed out after 60 s" if result.timed_out else _first_error(output)
    return f"needs gVisor: `{shlex.join(['runsc', *argv[1:]])}` fails on this machine: {why}"


@functools.cache
def docker_runsc_missing(image: str) -> str | None:
    info = shell.run(["docker", "info", "-f", "{{json .Runtimes}}"], timeout=20)
    if not info.ok:
        return None  # no Docker at all: the docker requirement says so
    if '"runsc"' not in info.stdout:
        return "needs Docker's runsc runtime: `docker info` lists no runtime called runsc"
    sandbox = ["--rm", "--pull=never", "--runtime", "runsc", "--network", "none"]
    run = shell.run(["docker", "run", *sandbox, image, "true"], timeout=90)
    if run.ok:
        return None
    text = run.stderr + run.stdout
    if "No such image" in text:
        return None  # nothing to learn without the lab image; `up` says it is missing
    why = "timed out after 90 s" if run.timed_out else _first_error(text)
    return f"needs Docker's runsc runtime to start a container: {why}"


def shim_missing() -> str | None:
    try:
        found = re.search(r"(?m)^CapBnd:\s*([0-9a-f]+)", STATUS.read_text())
    except OSError:
        return None
    if not found or int(found.group(1), 16) >> CAP_SYS_RESOURCE & 1:
        return None
    return (
        "needs CAP_SYS_RESOURCE for containerd-shim-runsc-v1: the shim sets its oom_score_adj "
        "to -999 when it starts, and this machine's capability bounding set lacks "
        "CAP_SYS_RESOURCE (no process here may lower an OOM score)"
    )


def _kubelet_endpoint() -> str:
    """The CRI socket the kubelet uses (kubeadm writes it as a flag or in config.yaml)."""
    try:
        flags = KUBEADM_FLAGS.read_text()
        found = re.search(r"--container-runtime-endpoint=(\S+?)\"?(?:\s|$)", flags)
        if found:
            return found.group(1).removeprefix("unix://")
    except OSError:
        pass
    try:
        found = re.search(
            r"(?m)^containerRuntimeEndpoint:\s*\"?([^\"\s]+)", KUBELET_CONFIG.read_text()
        )
        if found:
            return found.group(1).removeprefix("unix://")
    except OSError:
        pass
    return DEFAULT_CONTAINERD_SOCKET


def _config_of(argv: list[str]) -> str:
    for i, arg in enumerate(argv):
        if arg in ("--config", "-c") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    return CONTAINERD_CONFIG


def _socket_of(config: str) -> str:
    try:
        data = tomllib.loads(Path(config).read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return DEFAULT_CONTAINERD_SOCKET
    return str((data.get("grpc") or {}).get("address") or DEFAULT_CONTAINERD_SOCKET)


def containerd_processes() -> list[tuple[int, list[str]]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "containerd":
                continue
            argv = (entry / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        except OSError:
            continue
        found.append((int(entry.name), [a.decode(errors="replace") for a in argv]))
    return sorted(found)


@functools.cache
def containerd_config_missing() -> str | None:
    endpoint = _kubelet_endpoint()
    for pid, argv in containerd_processes():
        config = _config_of(argv)
        if os.path.realpath(_socket_of(config)) != os.path.realpath(endpoint):
            continue
        if os.path.realpath(config) == CONTAINERD_CONFIG:
            return None
        return (
            f"needs the node's containerd to read {CONTAINERD_CONFIG}: the kubelet's containerd "
            f"(pid {pid}, socket {endpoint}) runs with --config {config}"
        )
    # Not found from here (another mount namespace, systemd elsewhere): kubeadm's is assumed.
    return None
