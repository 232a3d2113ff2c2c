"""The host-hardening lab on the node image built by scripts/build-node-image.sh.

On the real engine the lab proves itself (`solve --verify`), its checks fail on a
fresh node and catch the near misses a learner makes (a disabled service whose
socket still starts it, an sshd_config line a drop-in overrides, a sudo rule the
group still grants, an upgrade without a restart), and `down` leaves nothing but
the node image, which is a cached build product. The image itself holds real
pending updates with their packages in apt's cache.

Where the image was not built the lab tests skip saying how to build it (and fail
under LABTUI_REQUIRE_DOCKER=1, as CI builds it). Without Docker: a lab whose
``local_images`` are missing is unavailable with the build line, and `up` stops
before it makes anything.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from labtui.engine.requirements import Availability, image_missing
from labtui.engine.session import Session, read_record
from labtui.errors import EnvironmentUnavailable
from labtui.scenario.catalog import Catalog
from labtui.scenario.model import Scenario
from tests.conftest import REPO, skip_if_names_held
from tests.labs.test_container_labs import leftovers

LAB = "host-hardening"
NODE_IMAGE = "labtui/node:local"
SCRIPT = REPO / "scripts" / "build-node-image.sh"
RECIPE_LABEL = "labtui.node-image.recipe"


def lab() -> Session:
    entry = Catalog().find(LAB)
    assert entry.scenario is not None, entry.problems
    return Session(entry.scenario, entry.folder)


def node_image_problem() -> str | None:
    res = subprocess.run(
        ["docker", "image", "inspect", "-f", f'{{{{index .Config.Labels "{RECIPE_LABEL}"}}}}',
         NODE_IMAGE],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if res.returncode != 0:
        return f"{NODE_IMAGE} is missing: build it with scripts/build-node-image.sh"
    recipe = hashlib.sha256(SCRIPT.read_bytes()).hexdigest()[:16]
    if res.stdout.strip() != recipe:
        return f"{NODE_IMAGE} is from another recipe: rebuild it with scripts/build-node-image.sh"
    return None


@pytest.fixture
def node_image() -> None:
    problem = node_image_problem()
    if problem:
        if os.environ.get("LABTUI_REQUIRE_DOCKER") == "1":
            pytest.fail(f"LABTUI_REQUIRE_DOCKER=1 but {problem}", pytrace=False)
        pytest.skip(problem)


@pytest.fixture
def fresh(node_image: None) -> Iterator[Session]:
    skip_if_names_held(LAB)
    session = lab()
    session.up()
    try:
        in_node("sh", "-c", "until [ -e /run/node-init.done ]; do sleep 0.2; done", timeout=60)
        yield session
    finally:
        session.down()


def in_node(*argv: str, timeout: int = 120) -> str:
    res = subprocess.run(
        ["docker", "exec", "-e", "DEBIAN_FRONTEND=noninteractive", "hh-node", *argv],
        capture_output=True, text=True, timeout=timeout, check=True,
    )  # fmt: skip
    return res.stdout


def failing(session: Session, task: str) -> list[str]:
    result = session.check(task, record=False)
    return [r.label for r in result.results if not r.passed]


# --- on the real engine -----------------------------------------------------------


@pytest.mark.docker
def test_solve_verify_exits_0_and_down_leaves_only_the_node_image(node_image: None) -> None:
    skip_if_names_held(LAB)
    res = subprocess.run(
        [sys.executable, "-m", "labtui", "solve", LAB, "--verify"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"{LAB}: verified" in res.stdout
    assert leftovers(LAB) == []
    assert node_image_problem() is None, "down must keep the node image"


@pytest.mark.docker
def test_every_check_fails_on_a_fresh_node(fresh: Session) -> None:
    for task in fresh.scenario.tasks:
        result = fresh.check(task.id, record=False)
        assert [r.label for r in result.results if r.passed] == [], task.id
    attrs = fresh.docker.inspect("hh-node")
    assert attrs is not None
    assert attrs["HostConfig"]["NetworkMode"] == "none"
    assert not attrs["HostConfig"]["Privileged"]
    ports = in_node("ss", "-Htuln")
    for port in (":21 ", ":22 ", ":111 "):
        assert port in ports, ports


@pytest.mark.docker
def test_checks_catch_the_near_misses(fresh: Session) -> None:
    s = fresh
    # rpcbind.socket disabled, the service still enabled: it comes back at boot
    in_node("service", "vsftpd", "stop")
    in_node("service", "rpcbind", "stop")
    in_node("systemctl", "disable", "vsftpd", "rpcbind.socket")
    assert failing(s, "close-ports") == [
        "rpcbind does not start at boot (neither rpcbind.service nor rpcbind.socket enabled)"
    ]
    # a removed package keeps its configuration files
    in_node("apt-get", "remove", "-y", "vsftpd")
    assert "vsftpd is purged (no ii or rc in dpkg-query)" in failing(s, "purge-packages")
    # PasswordAuthentication no below the Include: cloud-init's drop-in still wins
    in_node("sh", "-c", "printf '%s\\n' 'PasswordAuthentication no' >> /etc/ssh/sshd_config")
    in_node("sed", "-i", "s/^PermitRootLogin yes$/PermitRootLogin no/", "/etc/ssh/sshd_config")
    assert failing(s, "harden-sshd") == [
        "sshd -T: passwordauthentication no",
        "The running sshd offers only public keys (it was reloaded)",
    ]
    # the right configuration, not yet reloaded
    in_node("rm", "/etc/ssh/sshd_config.d/50-cloud-init.conf")
    assert failing(s, "harden-sshd") == [
        "The running sshd offers only public keys (it was reloaded)"
    ]
    # out of the group sudo, but systemctl with any arguments: systemctl edit is a root shell
    in_node("gpasswd", "-d", "deploy", "sudo")
    rule = "deploy ALL=(root) NOPASSWD: /usr/bin/systemctl"
    in_node("sh", "-c", f"echo '{rule}' > /etc/sudoers.d/90-deploy")
    edit = "deploy cannot run systemctl edit (an editor as root is a root shell)"
    assert failing(s, "restrict-sudo") == [
        edit,
        "The sudoers files are valid and deploy may run systemctl restart kubelet as root "
        "without a password",
    ]
    # the right rule, but the group sudo still grants everything
    in_node("sh", "-c", f"echo '{rule} restart kubelet' > /etc/sudoers.d/90-deploy")
    in_node("gpasswd", "-a", "deploy", "sudo")
    assert failing(s, "restrict-sudo") == [
        "deploy cannot run a shell as root (sudo -l -U deploy /bin/bash is refused)",
        edit,
    ]
    # a guess that is not one of sshd's libraries
    assert not s.check("find-outdated", "tzdata", record=False).passed
    listed = in_node("sh", "-c", "apt list --upgradable 2>/dev/null | grep -- -security")
    pending = {line.split("/")[0] for line in listed.splitlines()}
    sshd_loads = pending & {"libssl3", "zlib1g", "libpam0g", "liblzma5", "libzstd1"}
    # upgraded, sshd not restarted: it still maps the replaced libraries
    in_node("apt-get", "upgrade", "-y", timeout=300)
    (updates,) = s.check("apply-updates", record=False).results
    assert not updates.passed
    assert "still runs the libraries the update replaced" in updates.message, updates
    # what was pending before the upgrade is still the answer after it
    for package in sorted(sshd_loads):
        assert s.check("find-outdated", package, record=False).passed, package


@pytest.mark.docker
def test_the_node_image_holds_real_pending_updates_in_its_cache(node_image: None) -> None:
    script = (
        "apt list --upgradable 2>/dev/null | tail -n +2 | wc -l; "
        "apt-get -s -o Debug::NoLocking=1 upgrade | grep -c '^Inst '; "
        "ls /var/cache/apt/archives/*.deb | wc -l; "
        "cat /etc/apt/sources.list; test ! -e /etc/ssh/ssh_host_rsa_key && echo no-host-keys"
    )
    res = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--entrypoint", "sh", NODE_IMAGE,
         "-c", script],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    upgradable, installs, cached, *rest = res.stdout.splitlines()
    assert int(upgradable) > 0, "no pending update: the lab's last tasks would have nothing to do"
    assert int(installs) == int(upgradable)
    assert int(cached) >= int(upgradable), "every pending update must be in apt's cache"
    assert "deb http://deb.debian.org/debian-security bookworm-security main" in rest
    assert rest[-1] == "no-host-keys", "each container makes its own SSH host keys"


# --- without Docker ---------------------------------------------------------------


def local_image_lab(tmp_path: Path) -> tuple[Scenario, Path]:
    scenario = Scenario.model_validate(
        {
            "format_version": 1,
            "id": "local-image-lab",
            "title": "t",
            "topic": "host",
            "requires": ["docker"],
            "local_images": {"labtui-test/absent:never": "scripts/build-it.sh"},
            "environment": {
                "containers": [{"name": "lil-node", "image": "labtui-test/absent:never"}]
            },
            "tasks": [
                {
                    "id": "t",
                    "title": "t",
                    "checks": [{"kind": "file", "path": "x", "exists": True}],
                }
            ],
        }
    )
    folder = tmp_path / "local-image-lab"
    folder.mkdir()
    return scenario, folder


class NoImages:
    """A Docker engine that answers and has none of the images asked for."""

    asked: list[str]

    def __init__(self) -> None:
        self.asked = []

    def ping(self) -> None:
        pass

    def image_exists(self, image: str) -> bool:
        self.asked.append(image)
        return False


def test_a_missing_local_image_makes_the_lab_unavailable_with_its_build_line(
    tmp_path: Path,
) -> None:
    scenario, _ = local_image_lab(tmp_path)
    engine = NoImages()
    available = Availability(docker_error=None, docker=engine)  # type: ignore[arg-type]
    reason = image_missing("labtui-test/absent:never", "scripts/build-it.sh")
    assert available.missing(scenario) == [reason]
    assert "build it: scripts/build-it.sh" in reason
    available.missing(scenario)
    assert engine.asked == ["labtui-test/absent:never"], "asked once, then remembered"
    # without Docker the reason is Docker, not the image
    assert Availability(docker_error="down").missing(scenario) == ["needs docker: down"]


def test_up_stops_before_making_anything_when_a_local_image_is_missing(tmp_path: Path) -> None:
    scenario, folder = local_image_lab(tmp_path)
    session = Session(scenario, folder, docker=NoImages())  # type: ignore[arg-type]
    with pytest.raises(EnvironmentUnavailable, match=r"build it: scripts/build-it\.sh"):
        session.up()
    assert read_record(scenario.id) is None
    assert not session.lab_dir.exists()


def test_local_images_need_docker() -> None:
    with pytest.raises(ValueError, match="add docker to requires"):
        Scenario.model_validate(
            {
                "format_version": 1,
                "id": "x",
                "title": "t",
                "topic": "host",
                "local_images": {"labtui/node:local": "build it"},
                "tasks": [{"id": "t", "title": "t", "checks": [{"kind": "file", "path": "x"}]}],
            }
        )


def test_the_lab_builds_on_the_node_image_and_says_how_to_get_it() -> None:
    scenario = lab().scenario
    assert NODE_IMAGE in scenario.local_images
    assert "scripts/build-node-image.sh" in scenario.local_images[NODE_IMAGE]
    (image,) = scenario.environment.images
    assert image.dockerfile.startswith(f"FROM {NODE_IMAGE}\n")
    assert [c.image for c in scenario.environment.containers] == [image.name]
