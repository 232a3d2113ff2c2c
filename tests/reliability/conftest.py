"""A private Docker engine that tests may stop and start without disturbing anyone else.

It runs its own dockerd (own socket, data root and exec root) with the lab image
loaded from the main engine. Tests point labtui at it with DOCKER_HOST.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import BASE_IMAGE, docker_problem


class PrivateEngine:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.sock = root / "docker.sock"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"unix://{self.sock}"

    @property
    def env(self) -> dict[str, str]:
        return {"DOCKER_HOST": self.host}

    def docker(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["docker", "-H", self.host, *args], capture_output=True, text=True,
                              check=check, timeout=60)

    def start(self) -> None:
        log = open(self.root / "dockerd.log", "ab")  # noqa: SIM115 (kept open for the daemon's life)
        self.proc = subprocess.Popen(
            ["dockerd", "-H", self.host, "--data-root", str(self.root / "data"),
             "--exec-root", str(self.root / "exec"), "--pidfile", str(self.root / "docker.pid"),
             "--bridge=none", "--iptables=false", "--ip-masq=false", "--shutdown-timeout", "1"],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.docker("version", check=False).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("private dockerd did not start: " + (self.root / "dockerd.log").read_text()[-2000:])

    def stop(self) -> None:
        """Stop the engine the way `systemctl stop docker` does (SIGTERM, then wait)."""
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def labelled(self) -> list[str]:
        out = self.docker("ps", "-a", "--filter", "label=labtui.scenario", "--format", "{{.Names}}").stdout
        return out.split()

    def claims(self) -> list[str]:
        """The labs holding container names on this engine (labelled volumes)."""
        return self.docker("volume", "ls", "-q", "--filter", "label=labtui.scenario").stdout.split()


@pytest.fixture(scope="session")
def private_engine() -> Iterator[PrivateEngine]:
    problem = docker_problem()
    if problem:
        if os.environ.get("LABTUI_REQUIRE_DOCKER") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    if shutil.which("dockerd") is None:
        pytest.skip("dockerd is not installed")
    root = Path(tempfile.mkdtemp(prefix="labtui-engine-", dir="/tmp"))
    engine = PrivateEngine(root)
    engine.start()
    save = subprocess.Popen(["docker", "save", BASE_IMAGE], stdout=subprocess.PIPE)
    subprocess.run(["docker", "-H", engine.host, "load"], stdin=save.stdout, check=True, capture_output=True)
    save.wait()
    try:
        yield engine
    finally:
        if engine.proc is None:
            engine.start()
        ids = engine.docker("ps", "-aq").stdout.split()
        if ids:
            engine.docker("rm", "-f", *ids, check=False)
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def running_engine(private_engine: PrivateEngine) -> PrivateEngine:
    if private_engine.proc is None:
        private_engine.start()
    return private_engine


def write_pack(root: Path, scenario_id: str, containers: int = 2, solution_sleep: float = 0) -> Path:
    """A pack with one scenario: N labelled containers, an exec check, and a learner-made container."""
    run: list[list[str]] = [["sleep", str(solution_sleep)]] if solution_sleep else []
    run.append(["docker", "run", "-d", "--name", f"{scenario_id}-learner", "{base_image}", "sleep", "1d"])
    scenario = {
        "format_version": 1,
        "id": scenario_id,
        "title": "Reliability",
        "topic": "containers",
        "requires": ["docker"],
        "environment": {
            "containers": [{"name": f"{scenario_id}-{i}", "command": ["sleep", "1d"]} for i in range(containers)]
        },
        "tasks": [
            {
                "id": "made",
                "title": "Make the learner container",
                "checks": [
                    {"kind": "container", "name": f"{scenario_id}-learner", "running": True},
                    {"kind": "exec", "container": f"{scenario_id}-0", "command": ["cat", "/etc/passwd"],
                     "stdout_contains": "root"},
                ],
                "solution": {"run": run},
            }
        ],
        "cleanup": {"containers": [f"{scenario_id}-learner"]},
    }
    folder = root / scenario_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scenario.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    return root
