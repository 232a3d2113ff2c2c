"""Images a lab builds on up: labelled, removed on down, never half-left after a failed build."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from labtui.drivers.docker import DockerDriver
from labtui.engine.session import Session, read_record
from labtui.errors import LabError
from labtui.scenario.catalog import Catalog
from labtui.state.owner import owner_id
from tests.conftest import BASE_IMAGE

pytestmark = pytest.mark.docker

SCENARIO = """\
format_version: 1
id: img-lab
title: Images
topic: containers
requires: [docker]
environment:
  images:
    - name: labtui-img-lab/good:t
      dockerfile: |
        FROM {base_image}
        ENV GREETING=hello
    - name: labtui-img-lab/second:t
      dockerfile: |
        FROM {base_image}
        RUN {second_run}
  containers:
    - name: img-lab-box
      image: labtui-img-lab/good:t
      command: [sleep, 1d]
      network: none
tasks:
  - id: t
    title: T
    checks:
      - kind: exec
        container: img-lab-box
        command: [sh, -c, "echo $GREETING"]
        stdout_contains: hello
"""


def session(tmp_path: Path, second_run: str) -> Session:
    folder = tmp_path / "pack" / "img-lab"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scenario.yaml").write_text(SCENARIO.replace("{second_run}", second_run))
    entry = Catalog([tmp_path / "pack"], include_builtin=False).find("img-lab")
    assert entry.scenario is not None, entry.problems
    return Session(entry.scenario, entry.folder)


def test_images_are_built_labelled_and_removed(tmp_path: Path) -> None:
    s = session(tmp_path, "true")
    driver = DockerDriver()
    try:
        s.up()
        assert driver.image_exists("labtui-img-lab/good:t")
        assert driver.image_exists("labtui-img-lab/second:t")
        assert len(driver.labelled_images("img-lab")) == 2
        assert s.check("t").passed
    finally:
        report = s.down()
    assert len(report.images) == 2
    assert driver.labelled_images("img-lab") == []
    assert not driver.image_exists("labtui-img-lab/good:t")
    assert driver.inspect("img-lab-box") is None


def test_a_failing_build_says_why_and_leaves_nothing(tmp_path: Path) -> None:
    s = session(tmp_path, "echo broken-step >&2 && exit 3")
    driver = DockerDriver()
    with pytest.raises(LabError) as info:
        s.up()
    assert "labtui-img-lab/second:t" in info.value.message
    assert driver.labelled_images("img-lab") == []
    assert driver.inspect("img-lab-box") is None
    assert read_record("img-lab") is None


def test_two_removals_at_once_both_end_without_error() -> None:
    """A second `down` (or `docker rm`) racing ours: neither raises, the container is gone."""
    import threading

    driver = DockerDriver()
    name = f"img-lab-race-{uuid.uuid4().hex[:8]}"
    driver.run("img-lab", name, BASE_IMAGE, ["sleep", "1d"], owner=owner_id(), network_mode="none")
    outcomes: list[object] = []

    def remove() -> None:
        try:
            outcomes.append(DockerDriver().remove(name, grace=1))
        except LabError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=remove) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(isinstance(o, bool) for o in outcomes), outcomes
    assert True in outcomes
    assert driver.inspect(name) is None
