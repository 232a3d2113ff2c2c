"""Preflight and leftovers: what this machine can run, and what labtui left behind.

``diagnose`` never raises: every probe becomes an item with a status and, when
something is wrong, what to do. ``clean`` removes everything labtui created for
the caller (the data directory's owner, see ``labtui.state.owner``) and nothing
else; other learners' labs on a shared engine are counted, and removed only by
``clean(everyone=True)`` (``labtui clean --all``), as are labs an older labtui
made without an owner.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Literal

from labtui.drivers import shell
from labtui.drivers.docker import (
    LABEL,
    START_HINT,
    DockerDriver,
    base_image,
    created_at,
)
from labtui.drivers.kind import KIND_INSTALL, KUBECTL_INSTALL
from labtui.engine.clusters import ClusterChoice, chosen_cluster
from labtui.engine.session import (
    CREATED_SLACK,
    Session,
    active_records,
    owned_by,
    record_path,
)
from labtui.errors import LabError
from labtui.names import BASE_IMAGE_ENV
from labtui.scenario.catalog import Catalog, UnknownScenario
from labtui.state import paths
from labtui.state.owner import owner_id

Status = Literal["ok", "warn", "fail", "info"]


@dataclass
class Item:
    name: str
    status: Status
    detail: str
    fix: str = ""


@dataclass
class Leftover:
    kind: Literal["container", "image", "session"]
    name: str
    scenario: str
    detail: str = ""


@dataclass
class Diagnosis:
    items: list[Item] = field(default_factory=list)
    leftovers: list[Leftover] = field(default_factory=list)
    docker_ok: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "items": [asdict(i) for i in self.items],
            "leftovers": [asdict(x) for x in self.leftovers],
            "docker": self.docker_ok,
        }

    def item(self, name: str) -> Item | None:
        return next((i for i in self.items if i.name == name), None)


def _tool(name: str, version_argv: list[str], fix: str, missing_status: Status = "warn") -> Item:
    path = shell.which(name)
    if path is None:
        return Item(name, missing_status, "not found on PATH", fix)
    res = shell.run(version_argv, timeout=5)
    first = (res.stdout or res.stderr).strip().splitlines()
    return Item(name, "ok", f"{path} ({first[0] if first else 'version unknown'})")


def diagnose(docker: DockerDriver | None = None, cluster: str | None = None) -> Diagnosis:
    """``cluster``: ``--cluster``/``--context`` as given (``LABTUI_CLUSTER`` and
    ``LABTUI_CONTEXT`` stand in for it)."""
    docker = docker or DockerDriver(timeout=5)
    out = Diagnosis()
    try:
        version = docker.ping()
        out.docker_ok = True
        out.items.append(Item("docker", "ok", f"engine {version} answers"))
    except LabError as exc:
        out.items.append(Item("docker", "fail", exc.message, START_HINT))
    image = base_image()
    if out.docker_ok:
        try:
            present = docker.image_exists(image)
            out.items.append(
                Item("base image", "ok", f"{image} is present")
                if present
                else Item(
                    "base image",
                    "warn",
                    f"{image} is not on this machine (it is pulled on first use)",
                    f"`docker pull {image}`, or offline: `make base-image` and {BASE_IMAGE_ENV}=labtui/base:local",
                )
            )
        except LabError as exc:
            out.items.append(Item("base image", "fail", exc.message))
    out.items.append(_tool("kind", ["kind", "version"], KIND_INSTALL))
    out.items.append(
        _tool(
            "kubectl",
            ["kubectl", "version", "--client"],
            KUBECTL_INSTALL,
        )
    )
    if shell.which("kind"):
        res = shell.run(["kind", "get", "clusters"], timeout=10)
        ours = [c for c in res.stdout.split() if c.startswith("labtui-")]
        out.items.append(
            Item("clusters", "info", ", ".join(ours) if ours else "no labtui clusters")
        )
    out.items += cluster_items(out.docker_ok, docker, chosen_cluster(cluster))
    me = owner_id()
    out.items.append(Item("data", "info", f"{paths.learner_dir()} (owner id {me})"))
    records = {rec.scenario: rec for rec in active_records()}
    for rec in records.values():
        out.leftovers.append(
            Leftover("session", rec.scenario, rec.scenario, f"up since {rec.started_at}")
        )
    others = 0
    if out.docker_ok:
        with contextlib.suppress(LabError):
            for c in docker.labelled():
                if owned_by(c.owner, me, records.get(c.scenario)):
                    out.leftovers.append(Leftover("container", c.name, c.scenario, c.status))
                else:
                    others += 1
            for lab_image in docker.lab_images():
                if owned_by(lab_image.owner, me, records.get(lab_image.scenario)):
                    out.leftovers.append(Leftover("image", lab_image.name, lab_image.scenario))
                else:
                    others += 1
    if out.leftovers:
        out.items.append(
            Item(
                "leftovers",
                "warn",
                f"{len(out.leftovers)} lab resources exist",
                "`labtui down ID` for one lab, `labtui clean` for all of yours",
            )
        )
    else:
        out.items.append(Item("leftovers", "ok", "nothing left behind"))
    if others:
        out.items.append(
            Item(
                "others",
                "info",
                f"{others} containers and images of other learners' labs on this engine "
                "(or of an older labtui); left alone",
                "`labtui clean --all` removes every learner's labs, if none is in use",
            )
        )
    return out


@dataclass
class CleanReport:
    removed: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Other learners' lab objects (or an older labtui's) that were not the caller's to remove.
    others: list[str] = field(default_factory=list)


def clean(
    catalog: Catalog,
    docker: DockerDriver | None = None,
    everyone: bool = False,
    cluster: str | None = None,
) -> CleanReport:
    """Remove the caller's labs: labelled containers and images, learner-made containers, lab state.

    ``everyone`` removes every learner's labs on the engine, and those of an older
    labtui; other learners' lab state lives in their own data directories.
    ``context``: the existing cluster (``--context``) whose lab namespaces go too.
    """
    docker = docker or DockerDriver()
    me = owner_id()
    report = CleanReport()
    records = {rec.scenario: rec for rec in active_records()}
    for rec in records.values():
        try:
            entry = catalog.find(rec.scenario)
        except UnknownScenario:
            entry = None
        if entry is not None and entry.scenario is not None:
            down = Session(entry.scenario, entry.folder, docker=docker, cluster=cluster).down()
            report.removed += [f"container {n}" for n in down.removed]
            report.left += [f"container {n} (not made by labtui)" for n in down.left]
            report.left += [f"container {n} (another learner's lab)" for n in down.others]
        else:
            record_path(rec.scenario).unlink(missing_ok=True)
            shutil.rmtree(paths.lab_dir(rec.scenario), ignore_errors=True)
        report.removed.append(f"session {rec.scenario}")

    def ours(owner: str | None, scenario: str) -> bool:
        return everyone or owned_by(owner, me, records.get(scenario))

    for claim in docker.claims():
        if not ours(claim.owner, claim.scenario):
            continue
        for name in claim.names:
            if _made_in_lab(docker, name, claim.since):
                docker.remove(name, grace=1)
                report.removed.append(f"container {name}")
        if docker.release(claim.volume):
            report.removed.append(f"claim of lab {claim.scenario} on {', '.join(claim.names)}")
    for c in docker.labelled():
        if not ours(c.owner, c.scenario):
            report.others.append(f"container {c.name}")
        elif docker.remove(c.id, grace=1):
            report.removed.append(f"container {c.name}")
    for image in docker.lab_images():
        if not ours(image.owner, image.scenario):
            report.others.append(f"image {image.name}")
        elif docker.remove_image(image.id):
            report.removed.append(f"image {image.name}")
    return report


def _made_in_lab(docker: DockerDriver, name: str, since: datetime | None) -> bool:
    """An unlabelled container the learner made while the lab held its name."""
    attrs = docker.inspect(name)
    if attrs is None or since is None or LABEL in (attrs.get("Config", {}).get("Labels") or {}):
        return False
    made = created_at(attrs)
    return made is not None and made >= since - CREATED_SLACK


def cluster_items(docker_ok: bool, docker: DockerDriver, choice: ClusterChoice) -> list[Item]:
    """Whether the cluster labs can run here (in kind clusters, on this kubeadm node, or on
    a shared cluster's context); when not, each missing piece and how to get it."""
    target = Item(
        "target",
        "info",
        f"{choice} (--cluster kind|node|context:NAME, or LABTUI_CLUSTER)",
    )
    if choice.mode == "node":
        return [target, *node_items()]
    context = choice.context
    if context:
        return [target, *context_items(context)]
    return [target, *kind_items(docker_ok, docker)]


def node_items() -> list[Item]:
    """The kubeadm control-plane node labtui runs on: its admin kubeconfig, the API, the node."""
    from labtui.engine import node_target

    why = node_target.unavailable()
    if why:
        return [
            Item("cluster labs", "fail", f"--cluster node: {why}", "use --cluster kind on a laptop")
        ]
    if shell.which("kubectl") is None:
        return [
            Item(
                "cluster labs",
                "fail",
                "--cluster node needs kubectl: not found on PATH",
                KUBECTL_INSTALL,
            )
        ]
    res = shell.run(
        ["kubectl", "--kubeconfig", str(node_target.ADMIN_CONF), "get", "nodes", "--no-headers"],
        timeout=15,
    )
    if not res.ok:
        return [
            Item(
                "cluster labs",
                "fail",
                f"the cluster does not answer: {(res.stderr or res.stdout).strip()[:200]}",
                "is the kubelet running? `crictl ps --name kube-apiserver` on this node",
            )
        ]
    nodes = [line.split()[:2] for line in res.stdout.splitlines() if line.strip()]
    items = [
        Item(
            "cluster labs",
            "ok",
            "kubeadm node: " + ", ".join(f"{n[0]} {n[1]}" for n in nodes if len(n) == 2),
        )
    ]
    holder = node_target.holder()
    if holder:
        items.append(
            Item(
                "API server settings",
                "warn",
                f"the API server runs with lab {holder}'s settings (original in "
                f"{node_target.BACKUP_MANIFEST})",
                f"`labtui down {holder}` restores it",
            )
        )
    return items


def context_items(context: str) -> list[Item]:
    if shell.which("kubectl") is None:
        return [
            Item(
                "cluster labs",
                "fail",
                f"--context {context} needs kubectl: not found on PATH",
                KUBECTL_INSTALL,
            )
        ]
    res = shell.run(["kubectl", "config", "get-contexts", "-o", "name"], timeout=10)
    if context not in res.stdout.split():
        return [
            Item(
                "cluster labs",
                "fail",
                f"kube context {context!r} does not exist",
                "`kubectl config get-contexts` lists the contexts you can use",
            )
        ]
    return [
        Item(
            "cluster labs",
            "ok",
            f"existing cluster {context}: namespaced labs run there; labs that need their own "
            "cluster are unavailable",
        )
    ]


def kind_items(docker_ok: bool, docker: DockerDriver) -> list[Item]:
    from labtui.scenario.model import KIND_NODE_IMAGE, KIND_VERSION

    missing: list[str] = []
    fixes: list[str] = []
    if not docker_ok:
        missing.append("a running Docker engine")
        fixes.append(START_HINT)
    if shell.which("kind") is None:
        missing.append("kind")
        fixes.append(KIND_INSTALL)
    if shell.which("kubectl") is None:
        missing.append("kubectl")
        fixes.append(KUBECTL_INSTALL)
    if missing:
        return [
            Item(
                "cluster labs", "fail", "unavailable: needs " + ", ".join(missing), "; ".join(fixes)
            )
        ]
    items = [Item("cluster labs", "ok", "kind, kubectl and Docker are here")]
    version = shell.run(["kind", "version"], timeout=5).stdout.split()
    if len(version) > 1 and version[1] != KIND_VERSION:
        items.append(
            Item(
                "kind version",
                "warn",
                f"kind {version[1]}; the labs are tested with {KIND_VERSION}",
                KIND_INSTALL,
            )
        )
    with contextlib.suppress(LabError):
        if not docker.image_exists(KIND_NODE_IMAGE):
            items.append(
                Item(
                    "node image",
                    "info",
                    f"{KIND_NODE_IMAGE.split('@')[0]} is pulled on the first cluster (about 1 GB)",
                    f"`docker pull {KIND_NODE_IMAGE}` ahead of class",
                )
            )
    return items
