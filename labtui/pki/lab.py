"""The PKI of a lab: generated into the lab directory on up, or read from a kind node.

Set ``LABTUI_PKI_NODE=<cluster>-control-plane`` (or ``environment.pki.node``) and the
same tasks read the node's real ``/etc/kubernetes`` through ``docker exec``;
``LABTUI_PKI_NODE=local`` reads this machine's, on a kubeadm control-plane node.
Tasks that need the generated PKI's planted faults (``requires: [generated-pki]``)
are then skipped: a real node has none on purpose.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from labtui.errors import InvalidInput
from labtui.names import PKI_NODE_ENV
from labtui.pki.files import LabFiles
from labtui.pki.generate import GeneratedPki, generate
from labtui.pki.layout import ClusterParams, Faults, PkiError

if TYPE_CHECKING:
    from labtui.drivers.docker import DockerDriver
    from labtui.scenario.model import PkiSpec, Scenario


# ``LABTUI_PKI_NODE=local``: this machine is the control-plane node.
LOCAL_NODE = "local"


def node_name(spec: PkiSpec | None, render: Callable[[str], str]) -> str | None:
    """The node container to read from, or None for the generated files."""
    env = os.environ.get(PKI_NODE_ENV, "").strip()
    if env:
        return env
    if spec is not None and spec.node:
        return render(spec.node)
    return None


def params_of(spec: PkiSpec) -> ClusterParams:
    return ClusterParams(
        node_name=spec.node_name,
        advertise_address=spec.advertise_address,
        kubernetes_version=spec.kubernetes_version,
    )


def prepare(
    lab_dir: Path, spec: PkiSpec, fresh: bool, render: Callable[[str], str]
) -> GeneratedPki | None:
    """Generate the PKI on up (kept as it is when the lab is already up); nothing in node mode."""
    if node_name(spec, render) is not None:
        return None
    root = (lab_dir / spec.dir).resolve()
    if not root.is_relative_to(lab_dir.resolve()):
        raise InvalidInput(f"pki.dir {spec.dir!r} points outside the lab directory")
    if not fresh and (root / "pki" / "ca.crt").exists():
        return None
    try:
        return generate(
            root,
            params_of(spec),
            Faults(tuple(spec.expired), tuple(spec.wrong_ca), tuple(spec.missing_san)),
        )
    except PkiError as exc:
        raise InvalidInput(f"environment.pki: {exc}") from None


def pki_dir(scenario: Scenario) -> str:
    """Lab-relative ``.../pki`` of the scenario (etc/kubernetes/pki by default)."""
    spec = scenario.environment.pki
    return f"{(spec.dir if spec else 'etc/kubernetes').strip('/')}/pki"


def lab_files(
    scenario: Scenario, lab_dir: Path, docker: DockerDriver, render: Callable[[str], str]
) -> LabFiles:
    node = node_name(scenario.environment.pki, render)
    if node is None:
        return LabFiles(lab_dir)
    if node == LOCAL_NODE:
        from labtui.pki.files import LocalFiles

        return LabFiles(lab_dir, LocalFiles(Path("/"), "this node's /etc/kubernetes"))
    from labtui.drivers.node import DockerExecFiles

    return LabFiles(lab_dir, DockerExecFiles(docker, node))
