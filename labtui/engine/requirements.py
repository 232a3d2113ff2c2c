"""Can this machine run a scenario? Each missing requirement comes with the reason."""

from __future__ import annotations

from dataclasses import dataclass, field

from labtui.drivers import shell
from labtui.drivers.docker import DockerDriver
from labtui.errors import LabError
from labtui.scenario.model import Requirement, Scenario


@dataclass
class Availability:
    """What this machine offers; probed once, then asked per scenario."""

    docker_error: str | None = None
    tools: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def probe(cls, docker: DockerDriver | None = None) -> Availability:
        docker = docker or DockerDriver(timeout=5)
        try:
            docker.ping()
            error = None
        except LabError as exc:
            error = exc.message
        return cls(error, {name: shell.which(name) is not None for name in ("kind", "kubectl")})

    def missing(self, scenario: Scenario) -> list[str]:
        """Why ``scenario`` cannot run here, e.g. ``needs kind: not found on PATH``; empty when it can."""
        reasons: list[str] = []
        needs = set(scenario.requires)
        if needs & {Requirement.docker, Requirement.kind} and self.docker_error:
            reasons.append(f"needs docker: {self.docker_error}")
        if Requirement.kind in needs:
            reasons += [f"needs {t}: not found on PATH" for t in ("kind", "kubectl") if not self.tools.get(t)]
        if Requirement.cluster in needs and not self.tools.get("kubectl"):
            reasons.append("needs kubectl: not found on PATH")
        return reasons
