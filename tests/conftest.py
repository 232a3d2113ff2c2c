"""Shared fixtures: an isolated data dir (and so owner) per test, and the real Docker engine.

Docker-backed tests are marked ``docker``. Where no engine answers they skip,
saying why, unless LABTUI_REQUIRE_DOCKER=1 (CI), where they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"
BASE_IMAGE = os.environ.get("LABTUI_BASE_IMAGE", "labtui/base:local")


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own progress, sessions and lab directories.

    A data directory is also an owner on the Docker engine (``labtui.state.owner``):
    a test's `down` and `clean` touch only the labs it made, never those of another
    test or learner using the same engine.
    """
    d = tmp_path / "labtui-data"
    monkeypatch.setenv("LABTUI_DATA_DIR", str(d))
    monkeypatch.setenv("LABTUI_BASE_IMAGE", BASE_IMAGE)
    monkeypatch.delenv("LABTUI_SCENARIOS_PATH", raising=False)
    # A context the user exported for their own labs must not turn tests into cluster mode.
    monkeypatch.delenv("LABTUI_CONTEXT", raising=False)
    monkeypatch.delenv("LABTUI_CLUSTER", raising=False)
    # A learner named by an earlier test's `--learner` must not follow into this one.
    from labtui.state import paths

    paths.use_learner(None)
    return d


def _docker_problem() -> str | None:
    try:
        import docker

        client = docker.from_env(timeout=5)
        client.ping()
        try:
            client.images.get(BASE_IMAGE)
        except docker.errors.ImageNotFound:
            return f"base image {BASE_IMAGE} is missing (make base-image)"
        finally:
            client.close()
    except Exception as exc:
        return f"Docker engine not reachable: {type(exc).__name__}: {exc}"
    return None


_problem: list[str | None] = []


def docker_problem() -> str | None:
    if not _problem:
        _problem.append(_docker_problem())
    return _problem[0]


def kind_problem() -> str | None:
    import shutil

    if shutil.which("kind") is None:
        return "needs a real kind cluster: `kind` is not on PATH (kind and its node images cannot be had here)"
    return docker_problem()


_node: list[str | None] = []


def node_cluster_problem() -> str | None:
    """Why this machine is not a kubeadm control-plane node the tests can use (make cluster)."""
    if not _node:
        import subprocess

        from labtui.engine import node_target

        why = node_target.unavailable()
        if why is None:
            res = subprocess.run(
                ["kubectl", "--kubeconfig", str(node_target.ADMIN_CONF), "get", "--raw=/readyz"],
                capture_output=True,
                text=True,
                timeout=30,
            )
            if res.returncode != 0:
                why = f"the cluster does not answer: {res.stderr.strip()[:200]}"
        _node.append(why)
    return _node[0]


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("kind") is not None:
        reason = kind_problem()
        if reason:
            pytest.skip(reason)
    if item.get_closest_marker("node_cluster") is not None:
        reason = node_cluster_problem()
        if reason:
            if os.environ.get("LABTUI_REQUIRE_CLUSTER") == "1":
                pytest.fail(f"LABTUI_REQUIRE_CLUSTER=1 but {reason}", pytrace=False)
            pytest.skip(f"needs a kubeadm cluster on this machine (make cluster): {reason}")
    if item.get_closest_marker("docker") is None:
        return
    problem = docker_problem()
    if problem is None:
        return
    if os.environ.get("LABTUI_REQUIRE_DOCKER") == "1":
        pytest.fail(f"LABTUI_REQUIRE_DOCKER=1 but {problem}", pytrace=False)
    pytest.skip(problem)


@pytest.fixture
def docker_client() -> Iterator[object]:
    import docker

    client = docker.from_env(timeout=30)
    yield client
    client.close()


def skip_if_names_held(scenario_id: str) -> None:
    """A built-in lab's container names are fixed, so it runs once per engine.

    When another learner's lab (another test run on a shared engine) holds them,
    the test skips saying so; where the engine is the test's own
    (LABTUI_REQUIRE_DOCKER=1, CI) that is a failure.
    """
    from labtui.drivers.docker import DockerDriver
    from labtui.scenario.catalog import Catalog
    from labtui.state.owner import owner_id

    entry = Catalog().find(scenario_id)
    assert entry.scenario is not None, entry.problems
    me = owner_id()
    names = set(entry.scenario.container_names)
    held = sorted({n for c in DockerDriver().claims() if c.owner != me for n in c.names} & names)
    if not held:
        return
    problem = f"another learner's lab on this engine holds {', '.join(held)}"
    if os.environ.get("LABTUI_REQUIRE_DOCKER") == "1":
        pytest.fail(f"LABTUI_REQUIRE_DOCKER=1 but {problem}", pytrace=False)
    pytest.skip(problem)
