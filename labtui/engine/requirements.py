"""Can this machine run a scenario? Each missing requirement comes with the reason."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from labtui.drivers import shell
from labtui.drivers.docker import DockerDriver
from labtui.engine import gvisor
from labtui.engine.clusters import ClusterChoice
from labtui.errors import LabError
from labtui.names import PKI_NODE_ENV
from labtui.scenario.model import Requirement, Scenario


@dataclass
class Availability:
    """What this machine offers; probed once, then asked per scenario."""

    docker_error: str | None = None
    tools: dict[str, bool] = field(default_factory=dict)
    # Where Kubernetes labs run: kind clusters, this kubeadm node, or a shared cluster.
    choice: ClusterChoice = field(default_factory=ClusterChoice)
    docker: DockerDriver | None = None
    # Whether each local image (``local_images``) is on the engine, asked once.
    images: dict[str, bool] = field(default_factory=dict)

    @property
    def context(self) -> str | None:
        """The shared cluster's kube context (``--context``); None for kind and node."""
        return self.choice.context

    @classmethod
    def probe(cls, docker: DockerDriver | None = None, cluster: str | None = None) -> Availability:
        """``cluster`` as given on the command line; ``LABTUI_CLUSTER`` stands in for it."""
        from labtui.engine.clusters import chosen_cluster

        docker = docker or DockerDriver(timeout=5)
        try:
            docker.ping()
            error = None
        except LabError as exc:
            error = exc.message
        tools = {name: shell.which(name) is not None for name in ("kind", "kubectl")}
        return cls(error, tools, chosen_cluster(cluster), docker)

    def missing(self, scenario: Scenario) -> list[str]:
        """Why ``scenario`` cannot run here, e.g. ``needs kind: not found on PATH``; empty when it can."""
        reasons: list[str] = []
        needs = set(scenario.requires)
        if self.context and needs & {Requirement.kind, Requirement.cluster}:
            return context_missing(scenario, self)
        node = self.choice.mode == "node"
        if node and needs & {Requirement.kind, Requirement.cluster}:
            reasons += node_missing()
            needs -= {Requirement.kind}
        if needs & {Requirement.docker, Requirement.kind} and self.docker_error:
            reasons.append(f"needs docker: {self.docker_error}")
        elif scenario.local_images:
            docker = self.docker or DockerDriver(timeout=5)
            for image, how in scenario.local_images.items():
                if image not in self.images:
                    self.images[image] = image_here(docker, image)
                if not self.images[image]:
                    reasons.append(image_missing(image, how))
        if Requirement.kind in needs:
            reasons += [
                f"needs {t}: not found on PATH"
                for t in ("kind", "kubectl")
                if not self.tools.get(t)
            ]
        if Requirement.cluster in needs and not self.tools.get("kubectl"):
            reasons.append("needs kubectl: not found on PATH")
        # `up` copies these into a lab image: without one there is no lab at all.
        reasons += task_missing(
            [p for image in scenario.environment.images for p in image.host_programs],
            install=scenario.tools,
        )
        if not reasons and scenario.tasks:
            # A lab none of whose tasks can run here is as unavailable as one that says so.
            per_task = [
                task_missing(list(t.requires), self.docker_error, scenario.tools, node)
                for t in scenario.tasks
            ]
            if all(per_task):
                reasons = list(dict.fromkeys(r for rs in per_task for r in rs))
        return reasons


def image_here(docker: DockerDriver, image: str) -> bool:
    try:
        return docker.image_exists(image)
    except LabError:
        return False


def image_missing(image: str, how: str) -> str:
    return f"needs image {image}: not on this Docker engine; build it: {how}"


def images_missing(docker: DockerDriver, images: Mapping[str, str]) -> list[str]:
    """Why a lab's ``local_images`` are not here, each with how to build it."""
    return [image_missing(i, how) for i, how in images.items() if not image_here(docker, i)]


@dataclass
class TaskNeeds:
    """Why each task of a lab cannot run here, asked once per task and kept."""

    docker: DockerDriver
    install: dict[str, str] = field(default_factory=dict)
    node: bool = False
    _missing: dict[str, list[str]] = field(default_factory=dict)

    def missing(self, task_id: str, needs: list[str]) -> list[str]:
        if not needs:
            return []
        if task_id not in self._missing:
            docker_error = None
            if {"docker", "kind"} & set(needs):
                try:
                    self.docker.ping()
                except LabError as exc:
                    docker_error = exc.message
            self._missing[task_id] = task_missing(needs, docker_error, self.install, self.node)
        return self._missing[task_id]


APPARMOR_ENABLED = Path("/sys/module/apparmor/parameters/enabled")


def _kernel_feature_missing(need: str) -> str | None:
    """Kernel features a task may need; a program of the same name would prove nothing.

    ``apparmor``: the kernel must have AppArmor enabled (``apparmor_parser`` can be
    installed on a kernel without it, where no profile can ever be loaded).
    """
    if need == "apparmor":
        try:
            enabled = APPARMOR_ENABLED.read_text().strip() == "Y"
        except OSError:
            enabled = False
        return None if enabled else "needs AppArmor: this kernel has none (no /sys/module/apparmor)"
    return None


KERNEL_FEATURES = ("apparmor",)


# A task's ``requires`` entry for the kubeadm control-plane node (``--cluster node``).
NODE_NEED = "node"
# A task that works on the faults planted in the generated PKI (kubeadm-certificates).
GENERATED_PKI = "generated-pki"


def node_missing() -> list[str]:
    """Why this machine is not a kubeadm control-plane node labs can use (``--cluster node``)."""
    from labtui.engine import node_target

    reasons = []
    why = node_target.unavailable()
    if why:
        reasons.append(f"needs the kubeadm node (--cluster node): {why}")
    if shell.which("kubectl") is None:
        reasons.append("needs kubectl: not found on PATH")
    return reasons


def task_missing(
    needs: list[str],
    docker_error: str | None = None,
    install: Mapping[str, str] | None = None,
    node: bool = False,
) -> list[str]:
    """Why a task's own ``requires`` cannot be met here; empty when it can.

    ``docker``, ``kind`` and ``cluster`` name environments; ``apparmor`` a kernel
    feature; ``gvisor``, ``docker-runsc``, ``gvisor-shim`` and ``containerd-config``
    probes of labtui.engine.gvisor; any other entry is a program that must be on PATH
    (``ctr``, ``podman``). The install line, when the scenario gives one in ``tools``,
    ends the reason.
    ``node`` is the kubeadm control-plane node this runs on, and only with
    ``--cluster node`` (the ``node`` argument).
    """
    reasons: list[str] = []
    for need in needs:
        if need == GENERATED_PKI:
            if os.environ.get(PKI_NODE_ENV, "").strip():
                reasons.append(
                    "needs the lab's generated certificates: with LABTUI_PKI_NODE they are a "
                    "real node's, where nothing is expired or wrongly signed on purpose"
                )
            continue
        if need == NODE_NEED:
            reasons += (
                node_missing()
                if node
                else [
                    "needs the kubeadm node target: run on a control-plane node with --cluster node"
                ]
            )
            continue
        if need in KERNEL_FEATURES:
            why = _kernel_feature_missing(need)
            if why:
                reasons.append(why)
            continue
        if need in gvisor.NEEDS:
            why = gvisor.missing(need, node)
            if why:
                how = (install or {}).get(need)
                reasons.append(why + (f"; install: {how}" if how else ""))
            continue
        if need in (Requirement.docker, Requirement.kind) and docker_error:
            reasons.append(f"needs docker: {docker_error}")
        if need == Requirement.kind:
            reasons += [
                f"needs {t}: not found on PATH"
                for t in ("kind", "kubectl")
                if shell.which(t) is None
            ]
        elif need == Requirement.cluster:
            if shell.which("kubectl") is None:
                reasons.append("needs kubectl: not found on PATH")
        elif need not in (Requirement.docker, Requirement.local) and shell.which(need) is None:
            how = (install or {}).get(need)
            reasons.append(
                f"needs {need}: not found on PATH" + (f"; install: {how}" if how else "")
            )
    return list(dict.fromkeys(reasons))


def context_missing(scenario: Scenario, available: Availability) -> list[str]:
    """On an existing cluster (``--context``) a lab needs kubectl and must fit in one namespace."""
    from labtui.engine.clusters import context_unavailable

    reasons: list[str] = []
    if Requirement.docker in scenario.requires and available.docker_error:
        reasons.append(f"needs docker: {available.docker_error}")
    if not available.tools.get("kubectl"):
        reasons.append("needs kubectl: not found on PATH")
    why = context_unavailable(scenario)
    if why:
        reasons.append(why)
    return reasons
