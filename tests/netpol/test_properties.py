"""Invariants of NetworkPolicy semantics, checked over random clusters."""

from __future__ import annotations

from dataclasses import replace

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from labtui.netpol.evaluate import Evaluator, evaluate, isolating
from labtui.netpol.matrix import compute, naive_allowed
from labtui.netpol.model import (
    Direction,
    Endpoint,
    External,
    LabelSelector,
    Policy,
    PortProtocol,
    Rule,
    World,
)
from labtui.netpol.parse import load_text
from tests.netpol.strategies import (
    EXTERNALS,
    NAMESPACES,
    PORTS,
    clusters,
    policies,
    protocols,
    spec_manifests,
    with_nulls,
)

flows = st.tuples(st.sampled_from(PORTS), protocols)


def with_policy(cluster: World, policy: Policy) -> World:
    return replace(cluster, policies=[*cluster.policies, policy])


def endpoints(cluster: World) -> list[Endpoint]:
    return [*cluster.pods, *EXTERNALS]


def verdicts(cluster: World, port: int, proto: PortProtocol) -> dict[tuple[str, str], bool]:
    out = {}
    for src in endpoints(cluster):
        for dst in endpoints(cluster):
            if isinstance(src, External) and isinstance(dst, External):
                continue
            out[(src.ref, dst.ref)] = evaluate(cluster, src, dst, port, proto).allowed
    return out


@settings(max_examples=80, deadline=None)
@given(clusters(), policies(99))
def test_adding_a_policy_never_unisolates(cluster: World, extra: Policy) -> None:
    after = with_policy(cluster, extra)
    for pod in cluster.pods:
        for direction in Direction:
            if isolating(cluster, pod, direction):
                assert isolating(after, pod, direction)


@settings(max_examples=80, deadline=None)
@given(clusters(), st.sampled_from(NAMESPACES), flows)
def test_allow_all_ingress_never_reduces_reachability(
    cluster: World, ns: str, flow: tuple[int, PortProtocol]
) -> None:
    allow_all = Policy("allow-all", ns, LabelSelector(), frozenset({Direction.ingress}), (Rule(),))
    before = verdicts(cluster, *flow)
    after = verdicts(with_policy(cluster, allow_all), *flow)
    assert all(after[k] for k, v in before.items() if v)


@settings(max_examples=80, deadline=None)
@given(clusters(), policies(99), flows)
def test_a_policy_on_already_isolated_pods_only_adds(
    cluster: World, extra: Policy, flow: tuple[int, PortProtocol]
) -> None:
    """Union of rules: a policy that isolates nothing new can only allow more."""
    for pod in cluster.pods:
        for direction in extra.types:
            if (
                pod.namespace == extra.namespace
                and extra.pod_selector.matches(pod.labels)
                and not isolating(cluster, pod, direction)
            ):
                return
    before = verdicts(cluster, *flow)
    after = verdicts(with_policy(cluster, extra), *flow)
    assert all(after[k] for k, v in before.items() if v)


@settings(max_examples=80, deadline=None)
@given(clusters(), policies(99), flows)
def test_ingress_only_policy_never_changes_egress(
    cluster: World, extra: Policy, flow: tuple[int, PortProtocol]
) -> None:
    extra = replace(extra, types=frozenset({Direction.ingress}))
    after = with_policy(cluster, extra)
    for src in cluster.pods:
        for dst in endpoints(cluster):
            a = evaluate(cluster, src, dst, *flow).egress.allowed
            b = evaluate(after, src, dst, *flow).egress.allowed
            assert a == b


@settings(max_examples=120, deadline=None)
@given(clusters(max_policies=6), flows)
def test_fast_matrix_agrees_with_naive_and_explanations(
    cluster: World, flow: tuple[int, PortProtocol]
) -> None:
    port, proto = flow
    matrix = compute(cluster, port, proto)
    naive = naive_allowed(cluster, port, proto)
    n = len(cluster.pods)
    for i in range(n):
        for j in range(n):
            assert matrix.allowed(i, j) == naive[i][j]
            verdict = matrix.explain(i, j)
            assert verdict.allowed == naive[i][j]
            assert verdict.allowed == (verdict.egress.allowed and verdict.ingress.allowed)
            assert verdict.reason.startswith("allowed" if verdict.allowed else "denied")


@settings(max_examples=150, deadline=None)
@given(spec_manifests())
def test_an_explicit_null_reads_as_the_field_left_out(spec: dict[str, object]) -> None:
    """The API server decodes an explicit null as unset: every optional field, every level."""

    def read(spec: dict[str, object]) -> Policy:
        doc = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "p", "namespace": "prod"},
            "spec": spec,
        }
        cluster = load_text(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n---\n" + yaml.safe_dump(doc)
        )
        return replace(cluster.policies[0], source=None)

    assert read(with_nulls(spec)) == read(spec)


@settings(max_examples=80, deadline=None)
@given(clusters(), flows)
def test_a_pod_always_reaches_itself(cluster: World, flow: tuple[int, PortProtocol]) -> None:
    """docs §Network Policies: a pod cannot block access to itself."""
    matrix = compute(cluster, *flow)
    for i, pod in enumerate(cluster.pods):
        assert evaluate(cluster, pod, pod, *flow).allowed
        assert matrix.allowed(i, i)


@settings(max_examples=150, deadline=None)
@given(clusters(max_policies=6), flows)
def test_the_indexed_evaluator_says_what_the_rule_walk_says(
    cluster: World, flow: tuple[int, PortProtocol]
) -> None:
    """Verdicts and words from the bitmask tables equal those of walking each rule."""
    port, proto = flow
    fast, walk = Evaluator(cluster), Evaluator(cluster, indexed=False)
    for src in endpoints(cluster):
        for dst in endpoints(cluster):
            if isinstance(src, External) and isinstance(dst, External):
                continue
            expected = walk.evaluate(src, dst, port, proto)
            verdict = fast.evaluate(src, dst, port, proto)
            assert (verdict.allowed, verdict.reason) == (expected.allowed, expected.reason)
            assert fast.answer(src, dst, port, proto) == (expected.allowed, expected.reason)
