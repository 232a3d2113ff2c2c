"""What a lab may change on the kubeadm node of ``make cluster``, byte for byte, and the
commands the cluster tests drive it with (labtui with ``--cluster node``, kubectl as
the cluster admin)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from labtui.engine import node_target

# Files labs let learners edit, and the directories where they make new ones.
NODE_PATHS = (
    Path("/etc/kubernetes"),
    Path("/var/lib/kubelet/config.yaml"),
    Path("/etc/containerd"),
    Path("/var/log/kubernetes"),
)


def labtui(*args: str, timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labtui", "--cluster", "node", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "LABTUI_CLUSTER": "node"},
    )


def kubectl(*args: str, check: bool = True) -> str:
    res = subprocess.run(
        ["kubectl", "--kubeconfig", str(node_target.ADMIN_CONF), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check:
        assert res.returncode == 0, res.stderr
    return res.stdout


def node_files() -> dict[str, str]:
    """Every file under NODE_PATHS: its SHA-256, mode and owner (directories: mode and owner)."""
    seen: dict[str, str] = {}
    for root in NODE_PATHS:
        if not root.exists():
            continue
        paths = [root, *sorted(root.rglob("*"))] if root.is_dir() else [root]
        for path in paths:
            st = path.lstat()
            what = f"{st.st_mode:o} {st.st_uid}:{st.st_gid}"
            if path.is_file() and not path.is_symlink():
                what += " " + hashlib.sha256(path.read_bytes()).hexdigest()
            seen[str(path)] = what
    return seen


def fingerprint() -> dict[str, Any]:
    """What a lab may change on the cluster and must leave as it found it."""
    names: dict[str, list[str]] = {}
    for api_version, plural in node_target.CLUSTER_WIDE:
        group = api_version.split("/")[0] if "/" in api_version else ""
        resource = f"{plural}.{group}" if group else plural
        names[plural] = sorted(kubectl("get", resource, "-o", "name").split())
    nodes = json.loads(kubectl("get", "nodes", "-o", "json"))["items"]
    return {
        "node files": node_files(),
        "objects": names,
        "secrets": sorted(kubectl("get", "secrets", "-A", "-o", "name").split()),
        "node labels": {n["metadata"]["name"]: n["metadata"].get("labels") for n in nodes},
    }
