"""Benchmark: 200 pods under 100 NetworkPolicies, as a matrix and as a batch of every pair.

Matrix: the indexed evaluator (labtui.netpol.matrix.compute) against the naive
pairwise walk (naive_allowed). Target: the full matrix in under a second.

Batch: what `labtui netpol query --batch` answers (labtui.netpol.batch.answer:
a verdict and its explanation for each of the 40,000 pairs) against a plain
naive evaluator that walks every policy for each query and explains nothing.
Target: the batch at least 2x faster than the naive walk.

Both sides of each comparison run in this one process on the same cluster, the
best of --repeat runs each, and must give the same verdicts. Exit status 1 when
they disagree or a target is missed.
Usage: python bench/bench_netpol.py [--pods 200] [--policies 100] [--seed 1] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from typing import Any

import yaml

from labtui.netpol.batch import answer
from labtui.netpol.evaluate import direction_allows, to_itself
from labtui.netpol.matrix import compute, naive_allowed
from labtui.netpol.model import Direction, PortProtocol, World
from labtui.netpol.parse import load_text

APPS = [f"app{i}" for i in range(25)]
TIERS = ["web", "api", "db", "cache", "batch"]
TEAMS = ["red", "blue", "green"]


def generate(pods: int, policies: int, seed: int) -> str:
    rnd = random.Random(seed)
    namespaces = [f"ns{i}" for i in range(10)]
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": ns,
                "labels": {"team": rnd.choice(TEAMS), "env": rnd.choice(["prod", "dev"])},
            },
        }
        for ns in namespaces
    ]
    for i in range(pods):
        labels = {"app": rnd.choice(APPS), "tier": rnd.choice(TIERS)}
        if rnd.random() < 0.3:
            labels["canary"] = "true"
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"pod{i}",
                    "namespace": rnd.choice(namespaces),
                    "labels": labels,
                },
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "ports": [
                                {"name": "http", "containerPort": rnd.choice([80, 8080])},
                                {"name": "metrics", "containerPort": 9090},
                            ],
                        }
                    ]
                },
            }
        )

    def selector() -> dict[str, Any]:
        kind = rnd.random()
        if kind < 0.2:
            return {}
        if kind < 0.6:
            return {"matchLabels": {"app": rnd.choice(APPS)}}
        if kind < 0.8:
            return {"matchLabels": {"tier": rnd.choice(TIERS)}}
        return {
            "matchExpressions": [
                {
                    "key": "tier",
                    "operator": rnd.choice(["In", "NotIn"]),
                    "values": rnd.sample(TIERS, 2),
                }
            ]
        }

    def peer() -> dict[str, Any]:
        kind = rnd.random()
        if kind < 0.4:
            return {"podSelector": selector()}
        if kind < 0.6:
            return {"namespaceSelector": {"matchLabels": {"team": rnd.choice(TEAMS)}}}
        if kind < 0.9:
            return {
                "namespaceSelector": {"matchLabels": {"env": "prod"}},
                "podSelector": selector(),
            }
        return {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}

    def rule(key: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if rnd.random() < 0.9:
            out[key] = [peer() for _ in range(rnd.randint(1, 3))]
        if rnd.random() < 0.7:
            out["ports"] = [
                rnd.choice(
                    [
                        {"port": 80},
                        {"port": "http"},
                        {"port": 8000, "endPort": 8100},
                        {"port": "metrics"},
                        {"protocol": "UDP", "port": 53},
                    ]
                )
            ]
        return out

    for i in range(policies):
        spec: dict[str, Any] = {"podSelector": selector()}
        types = rnd.choice([["Ingress"], ["Egress"], ["Ingress", "Egress"]])
        spec["policyTypes"] = types
        if "Ingress" in types:
            spec["ingress"] = [rule("from") for _ in range(rnd.randint(0, 3))]
        if "Egress" in types:
            spec["egress"] = [rule("to") for _ in range(rnd.randint(0, 3))]
        docs.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": f"np{i}", "namespace": rnd.choice(namespaces)},
                "spec": spec,
            }
        )
    return yaml.safe_dump_all(docs)


def naive_batch(cluster: World, items: list[dict[str, Any]]) -> list[bool]:
    """One pass per query: find both pods, walk every policy for each end, no indexing."""
    pods = {p.ref: p for p in cluster.pods}
    out = []
    for item in items:
        src, dst = pods[item["from"]], pods[item["to"]]
        port, proto = item["port"], PortProtocol(item["protocol"])
        out.append(
            to_itself(src, dst)
            or (
                direction_allows(cluster, src, dst, dst, port, proto, Direction.egress)
                and direction_allows(cluster, dst, src, dst, port, proto, Direction.ingress)
            )
        )
    return out


def best_of(repeat: int, run: Any) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=200)
    parser.add_argument("--policies", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    text = generate(args.pods, args.policies, args.seed)
    t0 = time.perf_counter()
    cluster = load_text(text, "generated.yaml")
    t_load = time.perf_counter() - t0

    t_fast, matrix = best_of(args.repeat, lambda: compute(cluster, args.port))
    t_naive, naive = best_of(args.repeat, lambda: naive_allowed(cluster, args.port))

    n = len(cluster.pods)
    fast = [[matrix.allowed(i, j) for j in range(n)] for i in range(n)]
    agree = fast == naive
    allowed = sum(map(sum, fast))
    print(
        f"cluster: {n} pods, {len(cluster.policies)} policies, {len(cluster.namespaces)} namespaces "
        f"(parsed in {t_load:.3f}s)"
    )
    print(f"matrix:  {n}x{n} on TCP {args.port}, {allowed} of {n * n} flows allowed")
    print(f"indexed: {t_fast:.4f}s")
    print(f"naive:   {t_naive:.4f}s")
    print(f"ratio:   {t_naive / t_fast:.1f}x faster; results agree: {agree}")
    matrix_met = t_fast < 1
    print(f"target:  full matrix under 1 s: {'met' if matrix_met else 'MISSED'}")

    items = [
        {"from": a.ref, "to": b.ref, "port": args.port, "protocol": "TCP"}
        for a in cluster.pods
        for b in cluster.pods
    ]
    t_batch, answers = best_of(args.repeat, lambda: answer(cluster, items, "generated"))
    t_walk, walked = best_of(args.repeat, lambda: naive_batch(cluster, items))
    batch_agree = [a["allowed"] for a in answers] == walked
    ratio = t_walk / t_batch
    print(f"batch:   {len(items)} queries with explanations: {t_batch:.4f}s")
    print(f"walk:    {len(items)} queries, naive, verdicts only: {t_walk:.4f}s")
    print(f"ratio:   batch {ratio:.1f}x faster than the naive walk; results agree: {batch_agree}")
    batch_met = ratio >= 2
    print(
        f"target:  batch at least 2x faster than the naive walk: {'met' if batch_met else 'MISSED'}"
    )
    return 0 if agree and batch_agree and matrix_met and batch_met else 1


if __name__ == "__main__":
    sys.exit(main())
