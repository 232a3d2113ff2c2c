"""The mtls-between-containers lab on the real engine, on both lab images.

`solve --verify` proves each task fails before its solution and passes after it;
the near misses prove the handshake checks are exact: a server that asks for a
client certificate without enforcing it, or that does not demand one, is caught.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from labtui.drivers import shell
from labtui.drivers.docker import DockerDriver
from labtui.engine.requirements import Availability
from labtui.engine.session import Session, read_record
from labtui.scenario.catalog import Catalog
from labtui.state.owner import owner_id
from tests.conftest import BASE_IMAGE, skip_if_names_held

LAB = "mtls-between-containers"
IMAGE = "labtui-mtls/openssl:v1"
OFFICIAL_LIKE = os.environ.get("LABTUI_OFFICIAL_LIKE_IMAGE", "labtui/busybox-official-like:local")
WAIT_LISTEN = (
    "i=0; until grep -q '0100007F:20FB 00000000:0000 0A' /proc/net/tcp; "
    "do i=$((i+1)); [ $i -lt 50 ] || exit 1; sleep 0.2; done"
)


def lab() -> Session:
    entry = Catalog().find(LAB)
    assert entry.scenario is not None, entry.problems
    return Session(entry.scenario, entry.folder)


def leftovers() -> list[str]:
    """Everything of this test's lab still on the engine or on disk."""
    driver = DockerDriver()
    me = owner_id()
    found = [f"container {c.name}" for c in driver.labelled(LAB, me)]
    found += [f"container {n}" for n in lab().scenario.container_names if driver.inspect(n)]
    found += [f"image {i}" for i in driver.labelled_images(LAB, me)]
    if driver.image_exists(IMAGE):
        found.append(f"image {IMAGE}")
    found += [f"claim {c.volume}" for c in driver.claims(LAB, me)]
    if lab().lab_dir.exists():
        found.append(f"lab dir {lab().lab_dir}")
    if read_record(LAB) is not None:
        found.append("session record")
    return found


def needs_openssl() -> None:
    if shell.which("openssl") is None:
        pytest.skip("openssl is not installed here (the lab is unavailable)")


def test_without_openssl_the_lab_is_unavailable_with_its_install_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = shell.which
    monkeypatch.setattr(shell, "which", lambda name: None if name == "openssl" else real(name))
    reasons = Availability(docker_error=None).missing(lab().scenario)
    assert reasons and reasons[0].startswith("needs openssl: not found on PATH; install: apt-get")


@pytest.mark.docker
@pytest.mark.parametrize("image", [BASE_IMAGE, OFFICIAL_LIKE])
def test_solve_verify_on_each_lab_image(image: str, monkeypatch: pytest.MonkeyPatch) -> None:
    needs_openssl()
    if subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode:
        pytest.skip(f"{image} is missing (make base-image)")
    skip_if_names_held(LAB)
    monkeypatch.setenv("LABTUI_BASE_IMAGE", image)
    res = subprocess.run(
        [sys.executable, "-m", "labtui", "--trust", "solve", LAB, "--verify"],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert f"{LAB}: verified" in res.stdout
    assert leftovers() == []


@pytest.fixture
def served() -> Iterator[Session]:
    """The lab with the PKI made and the TLS-only server and the client running."""
    needs_openssl()
    skip_if_names_held(LAB)
    session = lab()
    session.up()
    try:
        session.apply_solution("make-pki")
        session.apply_solution("serve-tls")
        yield session
    finally:
        session.down()
    assert leftovers() == []


def docker(*argv: str) -> str:
    res = subprocess.run(["docker", *argv], capture_output=True, text=True, timeout=60, check=True)
    return res.stdout.strip()


def restart_server(session: Session, *flags: str) -> None:
    docker("rm", "-f", "mtls-server")
    docker(
        "run", "-d", "--name", "mtls-server", "--network", "container:mtls-pod",
        "-v", f"{session.lab_dir}/server:/tls:ro", IMAGE,
        "openssl", "s_server", "-accept", "127.0.0.1:8443",
        "-cert", "/tls/server.crt", "-key", "/tls/server.key", "-www", *flags,
    )  # fmt: skip
    docker("exec", "mtls-client", "sh", "-c", WAIT_LISTEN)


def failing(session: Session, task: str) -> list[str]:
    return [r.label for r in session.check(task, record=False).results if not r.passed]


@pytest.mark.docker
def test_only_a_server_that_demands_and_enforces_passes(served: Session) -> None:
    session = served
    assert failing(session, "serve-tls") == []
    # The client's files and the server's CA, as the solution makes them, then variants.
    session.apply_solution("require-client-certs")
    assert failing(session, "require-client-certs") == []

    restart_server(session, "-Verify", "1", "-CAfile", "/tls/ca.crt")
    assert failing(session, "require-client-certs") == [
        "a client with a self-signed certificate is refused"
    ], "a server that logs a verify error but serves the look-alike passed"

    restart_server(session, "-verify", "1", "-CAfile", "/tls/ca.crt", "-verify_return_error")
    assert failing(session, "require-client-certs") == ["a client without a certificate is refused"]

    # A server that trusts another issuer refuses the client the lab CA signed.
    restart_server(session, "-Verify", "1", "-CAfile", "/tls/server.crt", "-verify_return_error")
    accepted = "a client with a certificate signed by the lab CA is accepted, and the server sees CN=billing"
    assert accepted in failing(session, "require-client-certs")
