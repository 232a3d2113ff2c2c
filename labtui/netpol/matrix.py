"""The reachability matrix of every pod and workload, fast enough for the UI and for classes.

The fast path precomputes, as integer bitmasks over the pods, which pods each
selector, each policy and each rule selects (indexed by namespace and cached
per selector), so a 200x200 matrix with 100 policies costs a few thousand
mask operations instead of 40,000 pairwise walks over every policy. The
pairwise walk is kept as :func:`naive_allowed` for the benchmark and tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from labtui.netpol.evaluate import Verdict, direction_allows, evaluate, to_itself
from labtui.netpol.index import PodIndex, bits
from labtui.netpol.model import Direction, Pod, PortProtocol, World

DEFAULT_PORT = 80

Target = tuple[int, PortProtocol]


def allowed_masks(
    index: PodIndex, port: int, protocol: PortProtocol
) -> tuple[list[int], list[int]]:
    """Per pod: the destinations its egress allows, and the sources its ingress allows."""
    n = len(index.pods)
    egress: list[int | None] = [None] * n
    ingress: list[int | None] = [None] * n
    for policy in index.cluster.policies:
        selected = index.selected(policy)
        if not selected:
            continue
        members = bits(selected)
        if Direction.egress in policy.types:
            allowed = 0
            for rule in policy.egress:
                allowed |= index.peers(policy, rule) & index.ports(rule, port, protocol)
            for i in members:
                egress[i] = (egress[i] or 0) | allowed
        if Direction.ingress in policy.types:
            for i in members:
                ingress[i] = ingress[i] or 0
            for rule in policy.ingress:
                sources = index.peers(policy, rule)
                for i in bits(selected & index.ports(rule, port, protocol)):
                    ingress[i] = (ingress[i] or 0) | sources
    return (
        [index.all if m is None else m for m in egress],
        [index.all if m is None else m for m in ingress],
    )


@dataclass(frozen=True)
class Matrix:
    """Rows are sources, columns destinations; a cell lists the targets that are allowed."""

    cluster: World
    pods: tuple[Pod, ...]
    targets: tuple[tuple[Target, ...], ...]
    cells: tuple[tuple[tuple[Target, ...], ...], ...]

    def allowed(self, src: int, dst: int) -> bool:
        return bool(self.cells[src][dst])

    def explain(self, src: int, dst: int) -> Verdict:
        """The full explanation of one cell (on its first allowed target, else its first target)."""
        port, protocol = (self.cells[src][dst] or self.targets[dst])[0]
        return evaluate(self.cluster, self.pods[src], self.pods[dst], port, protocol)

    def to_dict(self) -> dict[str, object]:
        return {
            "endpoints": [p.ref for p in self.pods],
            "targets": [[f"{proto}/{port}" for port, proto in t] for t in self.targets],
            "allowed": [[bool(c) for c in row] for row in self.cells],
        }


def targets_of(pod: Pod, port: int | None, protocol: PortProtocol) -> tuple[Target, ...]:
    """What a column is probed on: the given port, else the pod's declared container ports."""
    if port is not None:
        return ((port, protocol),)
    declared = tuple(dict.fromkeys((p.port, p.protocol) for p in pod.ports))
    return declared or ((DEFAULT_PORT, PortProtocol.TCP),)


def compute(
    cluster: World,
    port: int | None = None,
    protocol: PortProtocol | str = PortProtocol.TCP,
    pods: Sequence[Pod] | None = None,
) -> Matrix:
    proto = PortProtocol(protocol)
    members = tuple(cluster.pods if pods is None else pods)
    index = PodIndex(cluster, members)
    targets = tuple(targets_of(p, port, proto) for p in members)
    masks: dict[Target, tuple[list[int], list[int]]] = {}
    for column in targets:
        for target in column:
            if target not in masks:
                masks[target] = allowed_masks(index, *target)
    rows = []
    for i in range(len(members)):
        row = []
        for j, column in enumerate(targets):
            if i == j and to_itself(members[i], members[j]):
                row.append(column)  # a pod cannot block access to itself
                continue
            ok = []
            for target in column:
                egress, ingress = masks[target]
                if (egress[i] >> j) & 1 and (ingress[j] >> i) & 1:
                    ok.append(target)
            row.append(tuple(ok))
        rows.append(tuple(row))
    return Matrix(cluster, members, targets, tuple(rows))


def from_paths(
    paths: Sequence[str | Path], port: int | None = None, base: Path | None = None
) -> Matrix:
    """Read manifests (files or directories) and compute their matrix: what a lab screen shows."""
    from labtui.netpol.parse import load

    return compute(load(paths, base=base), port)


def naive_allowed(
    cluster: World, port: int, protocol: PortProtocol | str = PortProtocol.TCP
) -> list[list[bool]]:
    """Every pair on its own, walking every policy: the baseline the fast path must agree with."""
    proto = PortProtocol(protocol)
    pods = cluster.pods
    return [
        [
            to_itself(src, dst)
            or (
                direction_allows(cluster, src, dst, dst, port, proto, Direction.egress)
                and direction_allows(cluster, dst, src, dst, port, proto, Direction.ingress)
            )
            for dst in pods
        ]
        for src in pods
    ]


def render(matrix: Matrix) -> str:
    """A text table: numbered rows (sources) and numbered columns (destinations)."""
    n = len(matrix.pods)
    if n == 0:
        return "no pods or workloads in the manifests"
    width = len(str(n))
    lines = ["sources (rows) -> destinations (columns); Y allowed, . denied"]
    for i, pod in enumerate(matrix.pods):
        ports = ", ".join(f"{proto}/{port}" for port, proto in matrix.targets[i])
        lines.append(f"{i + 1:>{width}}  {pod.ref} [{pod.kind}] ({ports})")
    header = " " * (width + 1) + " ".join(f"{j + 1:>{width}}" for j in range(n))
    lines += ["", header]
    for i in range(n):
        cells = " ".join(f"{'Y' if matrix.allowed(i, j) else '.':>{width}}" for j in range(n))
        lines.append(f"{i + 1:>{width}} {cells}")
    return "\n".join(lines)
