"""Preflight and leftovers: what this machine can run, and what labtui left behind.

``diagnose`` never raises: every probe becomes an item with a status and, when
something is wrong, what to do. ``clean`` removes everything labtui created and
nothing else.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import asdict, dataclass, field
from typing import Literal

from labtui.drivers import shell
from labtui.drivers.docker import BASE_IMAGE_ENV, START_HINT, DockerDriver, base_image
from labtui.engine.session import Session, active_records, record_path
from labtui.errors import LabError
from labtui.scenario.catalog import Catalog, UnknownScenario
from labtui.state import paths

Status = Literal["ok", "warn", "fail", "info"]


@dataclass
class Item:
    name: str
    status: Status
    detail: str
    fix: str = ""


@dataclass
class Leftover:
    kind: Literal["container", "session"]
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


def tool_available(name: str) -> str | None:
    """None when ``name`` is on PATH, else why a lab needing it cannot run."""
    return None if shell.which(name) else f"needs {name}: not found on PATH"


def diagnose(docker: DockerDriver | None = None) -> Diagnosis:
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
    out.items.append(_tool("kind", ["kind", "version"], "install kind (https://kind.sigs.k8s.io) for cluster labs"))
    out.items.append(
        _tool("kubectl", ["kubectl", "version", "--client"], "pip install 'labtui[tools]' or install kubectl")
    )
    if shell.which("kind"):
        res = shell.run(["kind", "get", "clusters"], timeout=10)
        ours = [c for c in res.stdout.split() if c.startswith("labtui-")]
        out.items.append(Item("clusters", "info", ", ".join(ours) if ours else "no labtui clusters"))
    out.items.append(Item("data", "info", str(paths.data_dir())))
    for rec in active_records():
        out.leftovers.append(Leftover("session", rec.scenario, rec.scenario, f"up since {rec.started_at}"))
    if out.docker_ok:
        with contextlib.suppress(LabError):
            for c in docker.labelled():
                out.leftovers.append(Leftover("container", c.name, c.scenario, c.status))
    if out.leftovers:
        out.items.append(
            Item("leftovers", "warn", f"{len(out.leftovers)} lab resources exist",
                 "`labtui down ID` for one lab, `labtui clean` for all")
        )
    else:
        out.items.append(Item("leftovers", "ok", "nothing left behind"))
    return out


@dataclass
class CleanReport:
    removed: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def clean(catalog: Catalog, docker: DockerDriver | None = None) -> CleanReport:
    """Remove every labelled container, every lab's own learner-made containers, and lab state."""
    docker = docker or DockerDriver()
    report = CleanReport()
    for rec in active_records():
        try:
            entry = catalog.find(rec.scenario)
        except UnknownScenario:
            entry = None
        if entry is not None and entry.scenario is not None:
            down = Session(entry.scenario, entry.folder, docker=docker).down()
            report.removed += [f"container {n}" for n in down.removed]
            report.left += [f"container {n} (not made by labtui)" for n in down.left]
        else:
            record_path(rec.scenario).unlink(missing_ok=True)
            shutil.rmtree(paths.lab_dir(rec.scenario), ignore_errors=True)
        report.removed.append(f"session {rec.scenario}")
    for c in docker.labelled():
        if docker.remove(c.id, grace=1):
            report.removed.append(f"container {c.name}")
    return report
