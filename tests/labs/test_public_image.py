"""Every Docker lab on an image built like the public default one (official busybox).

The official image has only buildroot's users (no UID 1000, no ``app``), ``/tmp``
mode 1777 and nothing else of ours. CI cannot pull it, so
``scripts/build-base-image.sh --like-official`` builds the same layout offline,
and each lab must prove itself on it as it does on labtui's own image.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from labtui.engine.verify import verify
from labtui.scenario.catalog import Catalog
from labtui.scenario.model import Requirement
from tests.conftest import SCENARIOS
from tests.labs import unproven

pytestmark = pytest.mark.docker

OFFICIAL_LIKE = os.environ.get("LABTUI_OFFICIAL_LIKE_IMAGE", "labtui/busybox-official-like:local")
DOCKER_LABS = sorted(
    e.scenario.id
    for e in Catalog().entries()
    if e.scenario is not None
    and Requirement.docker in e.scenario.requires
    # Labs on an image of their own (host-hardening's Debian node) never use the base image.
    and not e.scenario.local_images
)


def in_image(*argv: str) -> str:
    res = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", OFFICIAL_LIKE, *argv],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return res.stdout


@pytest.fixture(autouse=True)
def official_like(monkeypatch: pytest.MonkeyPatch) -> None:
    res = subprocess.run(
        ["docker", "image", "inspect", OFFICIAL_LIKE], capture_output=True, timeout=30
    )
    if res.returncode != 0:
        why = f"{OFFICIAL_LIKE} is missing (scripts/build-base-image.sh --like-official {OFFICIAL_LIKE})"
        if os.environ.get("LABTUI_REQUIRE_DOCKER") == "1":
            pytest.fail(why, pytrace=False)
        pytest.skip(why)
    monkeypatch.setenv("LABTUI_BASE_IMAGE", OFFICIAL_LIKE)


def test_the_stand_in_has_the_official_layout() -> None:
    passwd = in_image("cat", "/etc/passwd")
    uids = {line.split(":")[2] for line in passwd.splitlines() if line.count(":") >= 6}
    assert uids == {"0", "1", "2", "3", "4", "8", "33", "37", "65534"}, passwd
    assert "1000" not in uids and ":app:" not in passwd
    assert in_image("stat", "-c", "%a", "/tmp").strip() == "1777"


@pytest.mark.parametrize("scenario_id", DOCKER_LABS)
def test_lab_verifies_on_the_public_default_layout(scenario_id: str) -> None:
    entry = Catalog().find(scenario_id)
    assert entry.scenario is not None
    if scenario_id == "container-sandbox-gvisor":
        from tests.labs.test_gvisor_lab import runsc_here

        runsc_here()  # Docker with runsc registered, or a skip saying why
    report = verify(entry.scenario, entry.folder)
    problems = unproven(report)
    assert report.ok, problems or report.error


# Facts that hold only for labtui's own image: a named user 1000, its home.
OWN_IMAGE_ONLY = [
    re.compile(r"uid=1000\(app\)"),
    re.compile(r"\b(user|called|calls|named)\s+`?app`?(?![-\w])", re.I),
    re.compile(r"/home/app"),
    re.compile(r"labtui/base:local"),
]


@pytest.mark.parametrize(
    "path", sorted(SCENARIOS.glob("*/scenario.yaml")), ids=lambda p: Path(p).parent.name
)
def test_lab_texts_claim_nothing_only_our_image_has(path: Path) -> None:
    text = path.read_text()
    found = [m.group(0) for rx in OWN_IMAGE_ONLY for m in rx.finditer(text)]
    assert not found, f"{path.parent.name} states facts of labtui's own image only: {found}"
