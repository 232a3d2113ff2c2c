"""The Kubernetes side of a lab: a kind cluster of its own, or a namespace on an existing cluster.

kind mode builds ``labtui-<id>`` from the scenario's ``environment.cluster`` block.
Existing-cluster mode (``--context NAME``, for classrooms) gives each learner the
namespace ``labtui-<learner>-<id>`` and refuses to touch anything outside it; labs that
need node access or API server flags cannot run there and say why.

Which of the two a lab uses, its kubeconfig and its namespace are worked out once
per lab (:func:`target_for`) into a ``ClusterTarget``; everything here and the
checks take that. Either way the lab directory gets a ``kubeconfig`` whose context
defaults to the lab namespace; ``Session.env`` points ``KUBECONFIG`` at it.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import yaml

from labtui.checks.base import ClusterTarget
from labtui.drivers import shell
from labtui.drivers.kind import KUBECONFIG_FILE, KindDriver, cluster_name, find_tool
from labtui.errors import EnvironmentUnavailable, InvalidInput, LabError
from labtui.names import CONTEXT_ENV, LEARNER_LABEL, SCENARIO_LABEL
from labtui.notify import Notify
from labtui.scenario.model import ClusterSpec, Requirement, Scenario
from labtui.scenario.templates import TemplateContext
from labtui.state.files import write_atomic

NODE_TIMEOUT = 180.0
READY_TIMEOUT = 180.0
# Manifests are the lab's starting state: applied once, so a second `up` keeps the learner's work.
APPLIED_MARKER = ".manifests-applied"


def chosen_context(given: str | None = None) -> str | None:
    """The existing cluster to use: ``--context NAME`` when given, else ``LABTUI_CONTEXT``.

    The one place the environment variable is read; None means kind clusters.
    """
    return given or os.environ.get(CONTEXT_ENV) or None


def uses_cluster(scenario: Scenario) -> bool:
    return bool({Requirement.kind, Requirement.cluster} & set(scenario.requires))


def spec_of(scenario: Scenario) -> ClusterSpec:
    return scenario.environment.cluster or ClusterSpec()


def dns_label(text: str) -> str:
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return cleaned or "x"


def learner_namespace(learner: str, scenario_id: str) -> str:
    """``labtui-<learner>-<id>``, cut with a hash suffix to fit a DNS label (63 characters)."""
    name = f"labtui-{dns_label(learner)}-{scenario_id}"
    if len(name) <= 63:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return name[:54].rstrip("-") + "-" + digest


def target_for(
    scenario: Scenario, lab_dir: Path, learner: str, context: str | None
) -> ClusterTarget | None:
    """Where ``scenario``'s Kubernetes side lives for ``learner``; None for a lab without one."""
    if not uses_cluster(scenario):
        return None
    if context:
        return ClusterTarget(
            lab_dir / KUBECONFIG_FILE, learner_namespace(learner, scenario.id), context=context
        )
    return ClusterTarget(
        lab_dir / KUBECONFIG_FILE,
        spec_of(scenario).namespace,
        kind_cluster=cluster_name(scenario.id),
    )


def context_unavailable(scenario: Scenario) -> str | None:
    """Why ``scenario`` cannot run in a namespace of an existing cluster, or None."""
    if Requirement.cluster in scenario.requires and Requirement.kind not in scenario.requires:
        return None
    spec = spec_of(scenario)
    if spec.namespaced:
        return None
    needs = spec.cluster_wide or ["node access or cluster-wide configuration"]
    return (
        f"needs its own kind cluster ({', '.join(needs)}); an existing cluster (--context) "
        "only gives each learner a namespace"
    )


def _set_namespace(kubeconfig_text: str, namespace: str, context: str | None = None) -> str:
    data = yaml.safe_load(kubeconfig_text)
    if not isinstance(data, dict):
        raise LabError("the kubeconfig is empty")
    current = context or data.get("current-context")
    for entry in data.get("contexts") or []:
        if entry.get("name") == current:
            entry.setdefault("context", {})["namespace"] = namespace
    data["current-context"] = current
    return yaml.safe_dump(data, sort_keys=False)


def _context_kubeconfig(context: str) -> str:
    kubectl = find_tool("kubectl")
    res = shell.run(
        [kubectl, "config", "view", "--minify", "--flatten", "--context", context], timeout=20
    )
    if not res.ok:
        raise EnvironmentUnavailable(
            f"cannot read kube context {context!r}: {(res.stderr or res.stdout).strip()}",
            "`kubectl config get-contexts` lists the contexts you can use",
        )
    return res.stdout


def _client(path: Path) -> Any:
    from labtui.drivers.kube import KubeClient

    return KubeClient.from_file(path)


def _check_scope(objects: list[dict[str, Any]], namespace: str, source: str) -> None:
    """On a shared cluster a lab may create namespaced objects in its own namespace only."""
    from labtui.drivers.kube import is_namespaced, plural_of

    for obj in objects:
        kind = str(obj.get("kind"))
        meta = obj.get("metadata") or {}
        if not is_namespaced(plural_of(kind)):
            raise InvalidInput(
                f"{source}: {kind} {meta.get('name')} is cluster-wide",
                "on an existing cluster a lab may only create objects in its own namespace",
            )
        if meta.get("namespace") not in (None, namespace):
            raise InvalidInput(
                f"{source}: {kind} {meta.get('name')} names namespace {meta['namespace']}",
                "leave metadata.namespace out: the lab namespace is used",
            )


def bring_up(
    scenario: Scenario,
    target: ClusterTarget,
    lab_dir: Path,
    templates: TemplateContext,
    learner: str,
    notify: Notify,
) -> None:
    """Create (or reuse) the cluster or namespace, write the kubeconfig, apply the manifests."""
    from labtui.drivers.kube import is_ready, load_documents, plural_of

    spec = spec_of(scenario)
    namespace, config = target.namespace, target.kubeconfig
    if target.context:
        reason = context_unavailable(scenario)
        if reason:
            raise EnvironmentUnavailable(
                f"{scenario.id} {reason}", "run it on a laptop with kind instead"
            )
        notify(f"using kube context {target.context}, namespace {namespace}")
        write_atomic(config, _set_namespace(_context_kubeconfig(target.context), namespace))
        kube = _client(config)
        kube.ensure_namespace(
            namespace, {SCENARIO_LABEL: scenario.id, LEARNER_LABEL: dns_label(learner)}
        )
    else:
        assert target.kind_cluster is not None
        find_tool("kubectl")
        result = KindDriver().ensure(spec, target.kind_cluster, lab_dir, notify)
        if result.created:
            (lab_dir / APPLIED_MARKER).unlink(missing_ok=True)
        write_atomic(config, _set_namespace(result.kubeconfig.read_text(), namespace))
        kube = _client(config)
        notify("waiting for the nodes to be ready")
        kube.wait_api(timeout=NODE_TIMEOUT)
        kube.wait_for(
            lambda: {"items": kube.list_objects("v1", "nodes")},
            lambda d: len(d["items"]) == 1 + spec.workers and all(is_ready(n) for n in d["items"]),
            "the cluster's nodes",
            NODE_TIMEOUT,
            2.0,
        )
        kube.ensure_namespace(namespace, {SCENARIO_LABEL: scenario.id})
    marker = lab_dir / APPLIED_MARKER
    if marker.exists():
        return
    waiting: list[dict[str, Any]] = []
    for rel in spec.manifests:
        path = (lab_dir / rel).resolve()
        if not path.is_relative_to(lab_dir.resolve()) or not path.is_file():
            raise InvalidInput(
                f"manifest {rel!r} is not a file in the lab directory",
                "add it to environment.files or environment.include",
            )
        objects = load_documents(templates.render(path.read_text()), rel)
        if target.context:
            _check_scope(objects, namespace, rel)
        notify(f"applying {rel}")
        for obj in objects:
            applied = kube.apply(obj, namespace)
            if obj.get("kind") in ("Deployment", "Pod"):
                waiting.append(applied)
    for obj in waiting:
        meta = obj.get("metadata") or {}
        notify(f"waiting for {obj['kind']} {meta.get('name')} to be ready")
        api_version, plural = str(obj.get("apiVersion")), plural_of(str(obj.get("kind")))
        kube.wait_ready(
            api_version,
            plural,
            str(meta.get("name")),
            meta.get("namespace") or namespace,
            READY_TIMEOUT,
        )
    marker.write_text("\n".join(spec.manifests) + "\n")


def tear_down(scenario: Scenario, target: ClusterTarget, notify: Notify) -> None:
    """Delete the lab's kind cluster, or its namespace on an existing cluster (only if labelled ours)."""
    if target.context:
        if not target.kubeconfig.is_file():
            return
        namespace = target.namespace
        kube = _client(target.kubeconfig)
        ns = kube.get("v1", "namespaces", namespace)
        if ns and (ns.get("metadata", {}).get("labels") or {}).get(SCENARIO_LABEL) == scenario.id:
            notify(f"deleting namespace {namespace}")
            kube.delete("v1", "namespaces", namespace)
        return
    if shell.which("kind") is None or target.kind_cluster is None:
        return
    notify(f"deleting kind cluster {target.kind_cluster}")
    KindDriver().delete(target.kind_cluster)


def session_env(target: ClusterTarget | None) -> dict[str, str]:
    """What solution commands, checks and the learner's shell need to reach the lab's cluster."""
    if target is None:
        return {}
    env = {"KUBECONFIG": str(target.kubeconfig), "LAB_NAMESPACE": target.namespace}
    if target.kind_cluster:
        env["LAB_CLUSTER"] = target.kind_cluster
    return env


def add_templates(
    templates: TemplateContext, scenario: Scenario, target: ClusterTarget | None
) -> None:
    """``{namespace}``, ``{kubeconfig}``, ``{cluster_name}``, ``{control_plane}``, ``{worker}``."""
    if target is None:
        return
    from labtui.drivers.kind import control_plane, node_names

    name = cluster_name(scenario.id)
    templates.set("namespace", target.namespace)
    templates.set("kubeconfig", str(target.kubeconfig))
    templates.set("cluster_name", name)
    templates.set("control_plane", control_plane(name))
    nodes = node_names(name, spec_of(scenario).workers)
    if len(nodes) > 1:
        templates.set("worker", nodes[1])
