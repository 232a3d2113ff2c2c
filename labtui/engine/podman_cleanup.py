"""Podman objects a learner makes during a lab: remembered at ``up``, removed at ``down``.

Podman has no labels the learner would think to add, and its images carry no
time of arrival, so ownership is decided by what existed before: at ``up`` the
names declared in ``cleanup.podman`` that already exist are written to the lab
directory; ``down`` removes the declared names that are not on that list. Without
the list (the lab was never up) nothing is removed.
"""

from __future__ import annotations

import json
from pathlib import Path

from labtui.drivers import podman
from labtui.scenario.model import Scenario
from labtui.scenario.templates import TemplateContext
from labtui.state.files import write_atomic

BEFORE = ".podman-before.json"


def _declared(scenario: Scenario, templates: TemplateContext) -> tuple[list[str], list[str]]:
    spec = scenario.cleanup.podman
    return list(spec.containers), [templates.render(i) for i in spec.images]


def remember(scenario: Scenario, lab_dir: Path, templates: TemplateContext) -> None:
    """Write which declared podman names exist now; kept from the first ``up`` on."""
    containers, images = _declared(scenario, templates)
    path = lab_dir / BEFORE
    if not (containers or images) or path.exists() or not podman.available():
        return
    before = {
        "containers": [n for n in containers if podman.container_exists(n)],
        "images": [n for n in images if podman.image_exists(n)],
    }
    write_atomic(path, json.dumps(before))


def tear_down(scenario: Scenario, lab_dir: Path, templates: TemplateContext) -> list[str]:
    """Remove what the learner made with podman during the lab; returns what went."""
    containers, images = _declared(scenario, templates)
    try:
        before = json.loads((lab_dir / BEFORE).read_text())
    except (OSError, ValueError):
        return []
    if not podman.available():
        return []
    removed: list[str] = []
    for name in containers:
        ours = name not in before.get("containers", []) and podman.container_exists(name)
        if ours and podman.remove_container(name):
            removed.append(f"podman container {name}")
    for name in images:
        ours = name not in before.get("images", []) and podman.image_exists(name)
        if ours and podman.remove_image(name):
            removed.append(f"podman image {name}")
    return removed
