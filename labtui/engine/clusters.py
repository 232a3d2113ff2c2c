"""The Kubernetes side of a lab: a kind cluster of its own, the kubeadm node, or a shared cluster.

Three targets (``--cluster kind|node|context:NAME``, ``LABTUI_CLUSTER``):

- ``kind`` (the default, for laptops) builds ``labtui-<id>`` from the scenario's
  ``environment.cluster`` block; API server settings go into its kind config.
- ``node``: labtui runs on the control-plane node of a kubeadm cluster (a classroom
  VM, an exam-style node). The lab uses kubeadm's admin kubeconfig, runs node
  commands here, and applies API server settings by editing the static pod manifest
  (:mod:`labtui.engine.node_target`); ``down`` restores it and deletes what the lab made.
- ``context:NAME`` (``--context NAME``, for classrooms) gives each learner the
  namespace ``labtui-<learner>-<id>`` and refuses to touch anything outside it; labs
  that need node access or API server flags cannot run there and say why.

Which of the two a lab uses, its kubeconfig and its namespace are worked out once
per lab (:func:`target_for`) into a ``ClusterTarget``; everything here and the
checks take that. Either way the lab directory gets a ``kubeconfig`` whose context
defaults to the lab namespace; ``Session.env`` points ``KUBECONFIG`` at it.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from labtui.checks.base import ClusterTarget
from labtui.drivers import shell
from labtui.drivers.kind import KUBECONFIG_FILE, KindDriver, cluster_name, find_tool
from labtui.engine import identity
from labtui.errors import EnvironmentUnavailable, InvalidInput, LabError
from labtui.names import (
    CLUSTER_ENV,
    CONTEXT_ENV,
    IDENTITY_ANNOTATION,
    LEARNER_LABEL,
    SCENARIO_LABEL,
)
from labtui.notify import Notify
from labtui.scenario.model import ClusterSpec, Requirement, Scenario
from labtui.scenario.templates import TemplateContext
from labtui.state.files import write_atomic

NODE_TIMEOUT = 180.0
READY_TIMEOUT = 180.0
# Manifests are the lab's starting state: applied once, so a second `up` keeps the learner's work.
APPLIED_MARKER = ".manifests-applied"


@dataclass(frozen=True)
class ClusterChoice:
    """Where cluster labs run: ``kind``, ``node``, or ``context`` with the kube context's name."""

    mode: str = "kind"
    context: str | None = None

    def __str__(self) -> str:
        return f"context:{self.context}" if self.context else self.mode


CLUSTER_CHOICES = "kind, node or context:NAME"


def parse_cluster(text: str, where: str = "--cluster") -> ClusterChoice:
    value = text.strip()
    if value in ("kind", "node"):
        return ClusterChoice(value)
    if value.startswith("context:") and value[len("context:") :].strip():
        return ClusterChoice("context", value[len("context:") :].strip())
    raise InvalidInput(
        f"{where} {text!r}: not a cluster target",
        f"use {CLUSTER_CHOICES} (kind on a laptop, node on a kubeadm control-plane node, "
        "context:NAME for a shared cluster)",
    )


def chosen_cluster(given: str | ClusterChoice | None = None) -> ClusterChoice:
    """The cluster target: ``--cluster``/``--context`` when given, else ``LABTUI_CLUSTER``,
    else ``LABTUI_CONTEXT`` (a shared cluster), else kind.

    The one place these environment variables are read. ``given`` is a ``--cluster``
    value (``kind``, ``node``, ``context:NAME``).
    """
    if isinstance(given, ClusterChoice):
        return given
    if given:
        return parse_cluster(given)
    env = os.environ.get(CLUSTER_ENV)
    if env:
        return parse_cluster(env, CLUSTER_ENV + "=")
    context = os.environ.get(CONTEXT_ENV)
    return ClusterChoice("context", context) if context else ClusterChoice()


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
    scenario: Scenario, lab_dir: Path, learner: str, choice: ClusterChoice
) -> ClusterTarget | None:
    """Where ``scenario``'s Kubernetes side lives for ``learner``; None for a lab without one."""
    if not uses_cluster(scenario):
        optional = scenario.environment.cluster and scenario.environment.cluster.optional
        if optional and choice.mode == "node":
            return ClusterTarget(lab_dir / KUBECONFIG_FILE, spec_of(scenario).namespace, node=True)
        return None
    if choice.context:
        return ClusterTarget(
            lab_dir / KUBECONFIG_FILE,
            learner_namespace(learner, scenario.id),
            context=choice.context,
        )
    if choice.mode == "node":
        return ClusterTarget(lab_dir / KUBECONFIG_FILE, spec_of(scenario).namespace, node=True)
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


def _made_for(namespace: dict[str, Any] | None) -> str | None:
    """The user a lab namespace on a shared cluster was made for, if it says."""
    return ((namespace or {}).get("metadata", {}).get("annotations") or {}).get(IDENTITY_ANNOTATION)


def _made_for_someone_else(kube: Any, target: ClusterTarget) -> str | None:
    """Your user name on the shared cluster; refuses a lab namespace made for another user.

    Two learners who give the same ``--learner`` name would otherwise share a namespace.
    """
    assert target.context is not None
    me = identity.context_identity(target.context)[0]
    if me is None:
        return None
    try:
        ns = kube.get("v1", "namespaces", target.namespace)
    except LabError:
        ns = None  # not allowed to read it: creating it will say so
    made_for = _made_for(ns)
    if made_for and made_for != me.username:
        raise EnvironmentUnavailable(
            f"namespace {target.namespace} was made for {made_for}, and you are {me.username}",
            "leave --learner out (labtui then names the namespace after you), or give a "
            "--learner name of your own",
        )
    return me.username


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
        me = _made_for_someone_else(kube, target)
        kube.ensure_namespace(
            namespace,
            {SCENARIO_LABEL: scenario.id, LEARNER_LABEL: dns_label(learner)},
            annotations={IDENTITY_ANNOTATION: me} if me else None,
        )
    elif target.node:
        from labtui.engine import node_target

        notify("using this machine's kubeadm cluster (--cluster node)")
        write_atomic(config, _set_namespace(node_target.admin_kubeconfig(), namespace))
        kube = _client(config)
        kube.wait_api(timeout=30)
        node_target.record_before(kube, lab_dir)
        if spec.node_files:
            node_target.NodeFiles(kube, scenario.id, notify).keep(spec.node_files)
        if spec.audit or spec.encryption or spec.admission:
            settings = node_target.ApiServerSettings(kube, scenario.id, notify)
            try:
                settings.apply(spec, lab_dir)
            except LabError:
                # Never leave the API server half-changed: back to the manifest it had.
                settings.restore()
                raise
        if not spec.optional:
            kube.ensure_namespace(namespace, {SCENARIO_LABEL: scenario.id})
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
            if target.node:
                # On a cluster that outlives the lab, what the lab made carries its name.
                meta = obj.setdefault("metadata", {})
                meta.setdefault("labels", {})[SCENARIO_LABEL] = scenario.id
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


def tear_down(scenario: Scenario, target: ClusterTarget, lab_dir: Path, notify: Notify) -> None:
    """Delete the lab's kind cluster, its namespace on a shared cluster (only if labelled
    ours), or on a kubeadm node what the lab made and the API server settings it changed."""
    if target.context:
        if not target.kubeconfig.is_file():
            return
        namespace = target.namespace
        kube = _client(target.kubeconfig)
        ns = kube.get("v1", "namespaces", namespace)
        made_for = _made_for(ns)
        me = identity.context_identity(target.context)[0]
        if made_for and me and made_for != me.username:
            notify(f"left namespace {namespace}: it was made for {made_for}")
            return
        if ns and (ns.get("metadata", {}).get("labels") or {}).get(SCENARIO_LABEL) == scenario.id:
            notify(f"deleting namespace {namespace}")
            kube.delete("v1", "namespaces", namespace)
        return
    if target.node:
        _node_tear_down(scenario, target, lab_dir, notify)
        return
    if shell.which("kind") is None or target.kind_cluster is None:
        return
    notify(f"deleting kind cluster {target.kind_cluster}")
    KindDriver().delete(target.kind_cluster)


def _node_tear_down(
    scenario: Scenario, target: ClusterTarget, lab_dir: Path, notify: Notify
) -> None:
    from labtui.engine import node_target

    if node_target.unavailable():
        return
    kube = _client(target.kubeconfig) if target.kubeconfig.is_file() else None
    if kube is None:
        from labtui.drivers.kube import KubeClient

        kube = KubeClient.from_text(node_target.admin_kubeconfig())
    settings = node_target.ApiServerSettings(kube, scenario.id, notify)
    # The learner's edits first: a manifest they broke may keep the API server down.
    node_target.NodeFiles(kube, scenario.id, notify).restore()
    node_target.leave_as_found(kube, lab_dir, scenario.id, notify)
    spec = spec_of(scenario)
    if settings.holder() == scenario.id and spec.encryption:
        # Secrets written while the lab's keys were on would be unreadable once the
        # API server goes back to its own configuration: store them as plain text first.
        config = lab_dir / spec.encryption.config
        try:
            decrypt = node_target.decrypting_config(config.read_text())
        except (OSError, yaml.YAMLError):
            decrypt = None
        if decrypt is not None:
            write_atomic(config.parent / node_target.DECRYPT_FILE, decrypt)
            settings.apply(spec, lab_dir, encryption_file=node_target.DECRYPT_FILE)
            node_target.rewrite_secrets(kube, notify)
            (config.parent / node_target.DECRYPT_FILE).unlink(missing_ok=True)
    settings.restore()


def session_env(target: ClusterTarget | None) -> dict[str, str]:
    """What solution commands, checks and the learner's shell need to reach the lab's cluster."""
    if target is None:
        return {}
    env = {
        "KUBECONFIG": str(target.kubeconfig),
        "LAB_NAMESPACE": target.namespace,
        "LAB_CLUSTER_TARGET": target.mode,
    }
    if target.kind_cluster:
        env["LAB_CLUSTER"] = target.kind_cluster
    return env


def add_templates(
    templates: TemplateContext, scenario: Scenario, target: ClusterTarget | None
) -> None:
    """``{namespace}``, ``{kubeconfig}``, ``{cluster_name}``, ``{control_plane}``, ``{worker}``,
    ``{on_node}`` and ``{node_where}``.

    ``{control_plane}`` is the control-plane Node's name (on kind also its container's).
    ``{on_node}`` is what goes before a command to run it on that node: ``docker exec
    NODE `` on kind, nothing on a kubeadm node. ``{node_where}`` says where the node is.
    """
    if target is None:
        return
    from labtui.drivers.kind import control_plane, node_names

    templates.set("namespace", target.namespace)
    templates.set("kubeconfig", str(target.kubeconfig))
    templates.set("cluster_target", target.mode)
    if target.node:
        from labtui.engine import node_target

        templates.set("cluster_name", "kubernetes")
        templates.set_lazy(
            "control_plane", lambda: node_target.control_plane_name(_client(target.kubeconfig))
        )
        templates.set("on_node", "")
        templates.set(
            "node_where",
            "this machine: you are on the cluster's control-plane node, as root",
        )
        return
    name = cluster_name(scenario.id)
    templates.set("cluster_name", name)
    node = control_plane(name)
    templates.set("control_plane", node)
    templates.set("on_node", f"docker exec {node} ")
    templates.set(
        "node_where",
        f"the Docker container `{node}` (a kind node; `docker exec -it {node} bash` opens a "
        "shell on it)",
    )
    nodes = node_names(name, spec_of(scenario).workers)
    if len(nodes) > 1:
        templates.set("worker", nodes[1])
