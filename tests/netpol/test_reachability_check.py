"""The `reachability` check kind: engine verdicts over the lab directory, and a prober side by side."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from labtui.checks import CheckContext, CheckResult
from labtui.checks import reachability as kind
from labtui.drivers.docker import DockerDriver
from labtui.engine.runner import run_checks
from labtui.netpol.evaluate import evaluate, resolve
from labtui.netpol.parse import load
from labtui.scenario.model import Check, Scenario
from labtui.scenario.templates import TemplateContext
from tests.conftest import SCENARIOS

ADAPTER: TypeAdapter[object] = TypeAdapter(Check)
DENY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
"""


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    shutil.copytree(SCENARIOS / "netpol-default-deny" / "cluster", tmp_path / "cluster")
    return tmp_path


def ctx(lab_dir: Path) -> CheckContext:
    scenario = Scenario.model_validate(
        {
            "format_version": 1,
            "id": "t",
            "title": "t",
            "topic": "network",
            "tasks": [
                {"id": "a", "title": "a", "checks": [{"kind": "command", "command": ["true"]}]}
            ],
        }
    )
    return CheckContext(
        scenario=scenario,
        task=scenario.tasks[0],
        templates=TemplateContext({"ns": "shop"}),
        docker=DockerDriver(client=object()),
        lab_dir=lab_dir,
    )


def check(
    lab_dir: Path, *flows: dict[str, object], manifests: list[str] | None = None
) -> CheckResult:
    spec: dict[str, object] = {"kind": "reachability", "flows": list(flows)}
    if manifests is not None:
        spec["manifests"] = manifests
    return run_checks([ADAPTER.validate_python(spec)], ctx(lab_dir))[0]


WEB_API = {"from": "{ns}/web", "to": "shop/api", "port": 8080, "expected": "denied"}
DNS = {
    "from": "shop/web",
    "to": "kube-system/coredns",
    "port": 53,
    "protocol": "UDP",
    "expected": "allowed",
}


def test_fails_then_passes_with_the_policy(lab: Path) -> None:
    before = check(lab, WEB_API, DNS)
    assert not before.passed
    assert before.message.startswith(
        "{ns}/web -> shop/api TCP/8080 is allowed, expected denied: allowed: shop/web is not isolated"
    )
    assert "engine allowed" in (before.actual or "")
    (lab / "policies").mkdir()
    (lab / "policies" / "deny.yaml").write_text(DENY)
    assert check(lab, WEB_API).passed
    after = check(lab, WEB_API, DNS)
    assert not after.passed and "shop/web is isolated for egress by shop/deny" in after.message
    assert check(
        lab, {**DNS, "expected": "denied"}, manifests=["cluster", "policies/deny.yaml"]
    ).passed
    assert check(lab, DNS, manifests=["cluster"]).passed


def test_bad_policy_file_fails_with_its_location(lab: Path) -> None:
    (lab / "p.yaml").write_text(
        DENY + "---\nkind: NetworkPolicy\napiVersion: networking.k8s.io/v1\n"
        "metadata: {name: x, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Ingres]}\n"
    )
    result = check(lab, WEB_API)
    assert not result.passed
    assert (
        "p.yaml:9 (document 2): spec.policyTypes[0]: unknown policy type 'Ingres'" in result.message
    )


def test_missing_things(lab: Path) -> None:
    result = check(lab, WEB_API, manifests=["policies"])
    assert not result.passed and "policies does not exist" in result.message
    result = check(lab, {**WEB_API, "to": "shop/nope"})
    assert not result.passed and "no pod or workload nope in namespace shop" in result.message


def test_model_rejects_bad_flows() -> None:
    for bad in (
        {"kind": "reachability", "flows": []},
        {
            "kind": "reachability",
            "flows": [{"from": "a/b", "to": "c/d", "port": 0, "expected": "denied"}],
        },
        {
            "kind": "reachability",
            "flows": [{"from": "a/b", "to": "c/d", "port": 80, "expected": "maybe"}],
        },
        {
            "kind": "reachability",
            "flows": [
                {"from": "a/b", "to": "c/d", "port": 80, "expected": "denied", "protocol": "ICMP"}
            ],
        },
        {
            "kind": "reachability",
            "manifests": ["../x"],
            "flows": [{"from": "a/b", "to": "c/d", "port": 80, "expected": "denied"}],
        },
    ):
        with pytest.raises(ValidationError):
            ADAPTER.validate_python(bad)


class ManifestProber:
    """A prober that answers from the manifests, except for flows it is told the cluster drops.

    It stands in for the cluster layer's prober (kind cannot run here) and exercises
    the check's side-by-side reporting through the real Prober interface.
    """

    def __init__(self, lab_dir: Path, dropped: set[tuple[str, str]]) -> None:
        self.cluster = load([lab_dir])
        self.dropped = dropped
        self.calls: list[tuple[str, str, int, str]] = []

    def probe(self, src: str, dst: str, port: int, protocol: str) -> bool:
        self.calls.append((src, dst, port, protocol))
        if (src, dst) in self.dropped:
            return False
        c = self.cluster
        return evaluate(c, resolve(c, src), resolve(c, dst), port, protocol).allowed


@pytest.fixture
def prober_slot() -> Iterator[list[ManifestProber]]:
    slot: list[ManifestProber] = []
    factory = kind.register_prober(lambda _ctx, _cluster: slot[0] if slot else None)
    yield slot
    kind.PROBER_FACTORIES.remove(factory)


def test_cluster_probe_decides_and_is_shown_next_to_the_engine(
    lab: Path, prober_slot: list[ManifestProber]
) -> None:
    prober = ManifestProber(lab, {("shop/web", "kube-system/coredns")})
    prober_slot.append(prober)
    result = check(lab, {**WEB_API, "expected": "allowed"}, DNS)
    assert prober.calls == [
        ("shop/web", "shop/api", 8080, "TCP"),
        ("shop/web", "kube-system/coredns", 53, "UDP"),
    ]
    assert not result.passed
    assert "is denied, expected allowed" in result.message
    assert "the cluster disagrees with the spec on 1" in result.message
    assert "expected allowed, engine allowed, cluster denied" in (result.actual or "")
    prober.dropped.clear()
    assert check(lab, {**WEB_API, "expected": "allowed"}, DNS).passed
