"""The ``reachability`` check kind: flows that must be allowed or denied.

Locally the NetworkPolicy engine evaluates every flow over the manifests of the
lab directory. When the lab runs on a cluster, the cluster layer registers a
prober factory (:func:`register_prober`); each flow is then probed for real,
the probe decides, and the engine's verdict is shown next to it so a learner
sees where the cluster and the spec disagree (a CNI that does not enforce
policies, a connection that outlived a policy).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from labtui.checks.base import CheckContext, Outcome, register, short
from labtui.errors import LabError
from labtui.netpol.evaluate import evaluate, resolve
from labtui.netpol.model import World
from labtui.netpol.parse import load
from labtui.netpol.probe import Prober
from labtui.scenario.model import Flow, ReachabilityCheck, Scenario

ProberFactory = Callable[[CheckContext, World], Prober | None]
PROBER_FACTORIES: list[ProberFactory] = []


def register_prober(factory: ProberFactory) -> ProberFactory:
    """A factory returns a prober when ``ctx``'s lab runs on a cluster, else None."""
    PROBER_FACTORIES.append(factory)
    return factory


def prober_for(ctx: CheckContext, cluster: World) -> Prober | None:
    for factory in PROBER_FACTORIES:
        prober = factory(ctx, cluster)
        if prober is not None:
            return prober
    return None


@register_prober
def kube_prober(ctx: CheckContext, cluster: World) -> Prober | None:
    """On a lab with a cluster of its own, probe with stand-in pods (see ``labtui.netpol.kube_probe``)."""
    if ctx.cluster is None or not ctx.cluster.kubeconfig.is_file():
        return None
    from labtui.drivers.docker import base_image
    from labtui.drivers.kube import client_for
    from labtui.netpol.kube_probe import KubeProber

    return KubeProber(client_for(ctx.cluster.kubeconfig), cluster, base_image())


def _probe(prober: Prober | None, src: str, dst: str, port: int, protocol: str) -> bool | None:
    from labtui.netpol.kube_probe import ProbeUnsupported

    if prober is None:
        return None
    try:
        return prober.probe(src, dst, port, protocol)
    except ProbeUnsupported:
        return None


def is_network_lab(scenario: Scenario) -> bool:
    """A lab whose checks evaluate flows: its lab screen shows the reachability matrix."""
    return any(isinstance(c, ReachabilityCheck) for t in scenario.tasks for c in t.checks)


def load_lab(check: ReachabilityCheck, ctx: CheckContext) -> World:
    return load(lab_paths(check, ctx), base=ctx.lab_dir.resolve())


def lab_paths(check: ReachabilityCheck, ctx: CheckContext) -> list[Path]:
    paths: list[Path] = []
    for raw in check.manifests:
        rel = ctx.templates.render(raw)
        path = (ctx.lab_dir / rel).resolve()
        if not path.exists():
            where = "the lab directory" if rel in (".", "") else rel
            raise LabError(
                f"{where} does not exist",
                "start the lab (`labtui up ID`) and write the files there",
            )
        paths.append(path)
    return paths


@dataclass(frozen=True)
class FlowResult:
    flow: Flow
    engine: bool
    reason: str
    probed: bool | None = None

    @property
    def verdict(self) -> bool:
        return self.engine if self.probed is None else self.probed

    @property
    def ok(self) -> bool:
        return self.verdict == (self.flow.expected == "allowed")

    def line(self) -> str:
        f = self.flow
        text = f"{f.source} -> {f.to} {f.protocol}/{f.port}: expected {f.expected}, engine {_word(self.engine)}"
        if self.probed is not None:
            text += f", cluster {_word(self.probed)}"
        return text


def _word(allowed: bool) -> str:
    return "allowed" if allowed else "denied"


# Probes on a cluster share stand-in pods (named after what they stand for): one
# check at a time, so that one's clean-up never removes the pods another uses.
_CLUSTER_PROBES = threading.Lock()


@register("reachability")
def reachability_check(check: ReachabilityCheck, ctx: CheckContext) -> Outcome:
    if ctx.cluster is not None:
        with _CLUSTER_PROBES:
            return _reachability(check, ctx)
    return _reachability(check, ctx)


def _reachability(check: ReachabilityCheck, ctx: CheckContext) -> Outcome:
    try:
        paths = lab_paths(check, ctx)
        cluster = load(paths, base=ctx.lab_dir.resolve())
    except LabError as exc:
        return Outcome(False, f"cannot read the manifests: {exc}", "valid manifests", exc.message)
    prober = prober_for(ctx, cluster)
    try:
        from labtui.netpol.kube_probe import KubeProber

        if isinstance(prober, KubeProber):
            from labtui.netpol.kube_sync import sync

            # The files are the truth: the cluster gets the same policies first.
            sync(prober.kube, paths, ctx.scenario.id)
        return _flows(check, ctx, cluster, prober)
    finally:
        close = getattr(prober, "close", None)
        if callable(close):
            close()


def _flows(
    check: ReachabilityCheck, ctx: CheckContext, cluster: World, prober: Prober | None
) -> Outcome:
    render = ctx.templates.render
    prepare = getattr(prober, "prepare", None)
    if callable(prepare):
        try:
            prepare([(render(f.source), render(f.to), f.port, f.protocol) for f in check.flows])
        except LabError as exc:
            return Outcome(False, f"cannot start the probes: {exc}", "probes", exc.message)
    results = []
    for flow in check.flows:
        render = ctx.templates.render
        try:
            verdict = evaluate(
                cluster,
                resolve(cluster, render(flow.source)),
                resolve(cluster, render(flow.to)),
                flow.port,
                flow.protocol,
            )
        except LabError as exc:
            return Outcome(
                False, f"flow {flow.source} -> {flow.to}: {exc}", "known endpoints", exc.message
            )
        probed = _probe(prober, render(flow.source), render(flow.to), flow.port, flow.protocol)
        results.append(FlowResult(flow, verdict.allowed, verdict.reason, probed))
    expected = "; ".join(
        f"{r.flow.source} -> {r.flow.to}:{r.flow.port} {r.flow.expected}" for r in results
    )
    actual = "; ".join(r.line() for r in results)
    wrong = [r for r in results if not r.ok]
    disagree = [r for r in results if r.probed is not None and r.probed != r.engine]
    note = f" (the cluster disagrees with the spec on {len(disagree)})" if disagree else ""
    if not wrong:
        return Outcome(True, f"all {len(results)} flows as expected{note}", expected, actual)
    first = wrong[0]
    more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
    return Outcome(
        False,
        f"{first.flow.source} -> {first.flow.to} {first.flow.protocol}/{first.flow.port} is "
        f"{_word(first.verdict)}, expected {first.flow.expected}{more}{note}: "
        f"{short(first.reason, 600)}",
        expected,
        actual,
    )
