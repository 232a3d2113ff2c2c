"""Benchmark: the full reachability matrix of 200 pods under 100 NetworkPolicies.

Runs the indexed evaluator (labtui.netpol.matrix.compute) and the naive pairwise
walk (naive_allowed) on the same generated cluster, checks that they agree,
and prints both times and their ratio. Target: the full matrix in under a
second. Usage: python bench/bench_netpol.py [--pods 200] [--policies 100] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from typing import Any

import yaml

from labtui.netpol.matrix import compute, naive_allowed
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=200)
    parser.add_argument("--policies", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=80)
    args = parser.parse_args()

    text = generate(args.pods, args.policies, args.seed)
    t0 = time.perf_counter()
    cluster = load_text(text, "generated.yaml")
    t_load = time.perf_counter() - t0

    t0 = time.perf_counter()
    matrix = compute(cluster, args.port)
    t_fast = time.perf_counter() - t0

    t0 = time.perf_counter()
    naive = naive_allowed(cluster, args.port)
    t_naive = time.perf_counter() - t0

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
    print(f"target:  full matrix under 1 s: {'met' if t_fast < 1 else 'MISSED'}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
