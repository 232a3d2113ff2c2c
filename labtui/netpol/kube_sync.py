"""The lab's NetworkPolicies and namespaces, made real on a cluster before its flows are probed.

A network lab's files are the truth: before the reachability checks probe a
cluster, every Namespace of the files is applied with its labels (a
``namespaceSelector`` matches those), every NetworkPolicy of the files is applied,
and a policy this lab applied earlier that the files no longer hold is deleted
(the learner removed it). What is applied carries ``labtui.scenario=<id>`` so
that ``down`` can tell it from anything else on the cluster.

The enforcer then needs a moment to program the node; the sync waits a few
seconds when it changed something, and every probe opens a fresh connection.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from labtui.errors import LabError
from labtui.manifests import documents, manifest_files
from labtui.names import SCENARIO_LABEL

SYNC_MANAGER = "labtui-netpol"
# kube-router reprograms iptables on every policy event within about a second.
SETTLE_SECONDS = 5.0


def lab_objects(paths: Sequence[Path]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The Namespaces and NetworkPolicies of the lab's manifest files."""
    namespaces: list[dict[str, Any]] = []
    policies: list[dict[str, Any]] = []
    for file, _ in manifest_files(list(paths)):
        for _, data in documents(file, None):
            if not isinstance(data, dict):
                continue
            kind = data.get("kind")
            if kind == "Namespace":
                namespaces.append(_plain(data))
            elif kind == "NetworkPolicy":
                policies.append(_plain(data))
    return namespaces, policies


def _plain(data: Any) -> Any:
    """A parsed manifest as plain dicts and lists (it may carry line information)."""
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def sync(
    kube: Any, paths: Sequence[Path], scenario_id: str, settle: float = SETTLE_SECONDS
) -> bool:
    """Make the cluster's policies those of the files; True when something changed."""
    namespaces, policies = lab_objects(paths)
    changed = False
    for ns in namespaces:
        meta = ns.get("metadata") or {}
        name = str(meta.get("name"))
        labels = dict(meta.get("labels") or {})
        existing = kube.get("v1", "namespaces", name)
        if existing is None:
            labels[SCENARIO_LABEL] = scenario_id
        have = (existing or {}).get("metadata", {}).get("labels") or {}
        if existing is None or any(have.get(k) != v for k, v in labels.items()):
            kube.ensure_namespace(name, labels, field_manager=SYNC_MANAGER)
            changed = True
    wanted: dict[tuple[str, str], dict[str, Any]] = {}
    for policy in policies:
        meta = policy.setdefault("metadata", {})
        namespace = str(meta.get("namespace") or "default")
        meta["namespace"] = namespace
        meta.setdefault("labels", {})[SCENARIO_LABEL] = scenario_id
        wanted[(namespace, str(meta.get("name")))] = policy
    present = kube.list_objects(
        "networking.k8s.io/v1", "networkpolicies", label_selector=f"{SCENARIO_LABEL}={scenario_id}"
    )
    for obj in present:
        meta = obj.get("metadata") or {}
        key = (str(meta.get("namespace")), str(meta.get("name")))
        if key not in wanted:
            kube.delete("networking.k8s.io/v1", "networkpolicies", key[1], key[0])
            changed = True
    before = {
        (
            str((o.get("metadata") or {}).get("namespace")),
            str((o.get("metadata") or {}).get("name")),
        ): o
        for o in present
    }
    for key, policy in wanted.items():
        old = before.get(key)
        if old is not None and old.get("spec") == policy.get("spec"):
            continue
        try:
            kube.apply(policy, key[0], field_manager=SYNC_MANAGER)
        except LabError as exc:
            raise LabError(
                f"the cluster refused NetworkPolicy {key[0]}/{key[1]}: {exc.message}",
                "fix the policy file; the API server validates what the engine validates",
            ) from exc
        changed = True
    if changed and settle > 0:
        time.sleep(settle)
    return changed
