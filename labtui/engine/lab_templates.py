"""What a lab's templates and commands know about it: ``{lab_dir}``, ``{containers.web.id}``, ``$KUBECONFIG``.

Templates fill instructions, hints, files and check arguments; the environment
variables go to solution commands, host checks and the learner's shell.
"""

from __future__ import annotations

from pathlib import Path

from labtui.checks.base import ClusterTarget
from labtui.drivers.docker import DockerDriver, base_image
from labtui.engine import clusters
from labtui.errors import LabError
from labtui.names import BASE_IMAGE_ENV
from labtui.scenario.model import Scenario
from labtui.scenario.templates import TemplateContext


def lab_env(scenario: Scenario, lab_dir: Path, cluster: ClusterTarget | None) -> dict[str, str]:
    """Variables for solution commands, host checks and the learner's shell."""
    return {
        "LAB_SCENARIO": scenario.id,
        "LAB_DIR": str(lab_dir),
        BASE_IMAGE_ENV: base_image(),
        **clusters.session_env(cluster),
    }


def lab_templates(
    scenario: Scenario,
    lab_dir: Path,
    learner: str,
    docker: DockerDriver,
    cluster: ClusterTarget | None,
) -> TemplateContext:
    ctx = TemplateContext(
        {
            "base_image": base_image(),
            "scenario_id": scenario.id,
            "lab_dir": str(lab_dir),
            "learner": learner,
        }
    )
    ctx.add_resolver("containers", lambda parts: container_value(docker, parts))
    clusters.add_templates(ctx, scenario, cluster)
    return ctx


def container_value(docker: DockerDriver, parts: list[str]) -> str:
    """``{containers.NAME.FIELD}``: id, short_id, name, pid, image or status of a container."""
    if len(parts) != 2:
        raise LabError(f"use {{containers.NAME.FIELD}}, not {{containers.{'.'.join(parts)}}}")
    name, attr = parts
    attrs = docker.inspect(name)
    if attrs is None:
        raise LabError(f"container {name} does not exist")
    values = {
        "id": attrs.get("Id", ""),
        "short_id": str(attrs.get("Id", ""))[:12],
        "name": str(attrs.get("Name", "")).lstrip("/"),
        "pid": str(attrs.get("State", {}).get("Pid", "")),
        "image": attrs.get("Config", {}).get("Image", ""),
        "status": attrs.get("State", {}).get("Status", ""),
    }
    if attr not in values:
        raise LabError(f"unknown container field {attr!r}; use one of {', '.join(values)}")
    return str(values[attr])
