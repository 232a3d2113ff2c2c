"""Every verdict names what isolated the endpoints and which rule allowed the flow, or why not."""

from __future__ import annotations

from labtui.netpol.evaluate import evaluate, resolve
from labtui.netpol.parse import load_text
from tests.netpol.world import policy, world


def reason(
    policies: list[dict[str, object]], src: str, dst: str, port: int, protocol: str = "TCP"
) -> str:
    cluster = world(*policies)
    return evaluate(cluster, resolve(cluster, src), resolve(cluster, dst), port, protocol).reason


DB = {"matchLabels": {"app": "db"}}


def test_not_isolated_says_so() -> None:
    text = reason([], "prod/web", "prod/db", 5432)
    assert text.startswith("allowed:")
    assert "prod/web is not isolated for egress" in text
    assert "prod/db is not isolated for ingress" in text


def test_allowing_rule_is_named() -> None:
    pol = policy(
        "prod",
        {
            "podSelector": DB,
            "ingress": [
                {"from": [{"podSelector": {"matchLabels": {"app": "x"}}}]},
                {
                    "from": [{"podSelector": {"matchLabels": {"app": "api"}}}],
                    "ports": [{"port": 5432}],
                },
            ],
        },
    )
    text = reason([pol], "prod/api", "prod/db", 5432)
    assert "prod/db is isolated for ingress by prod/np-1" in text
    assert (
        "policy prod/np-1 ingress rule 2 (from peer 1) allows it (podSelector app=api; TCP 5432)"
        in text
    )


def test_and_peer_near_miss() -> None:
    pol = policy(
        "prod",
        {
            "podSelector": DB,
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {"matchLabels": {"env": "dev"}},
                            "podSelector": {"matchLabels": {"app": "api"}},
                        }
                    ]
                }
            ],
        },
    )
    text = reason([pol], "dev/web", "prod/db", 5432)
    assert text.startswith("denied:")
    assert (
        "namespaceSelector matched namespace dev but podSelector app=api did not match labels {app: web}"
        in text
    )


def test_pod_selector_other_namespace() -> None:
    pol = policy(
        "prod",
        {
            "podSelector": DB,
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "api"}}}]}],
        },
    )
    text = reason([pol], "dev/api", "prod/db", 5432)
    assert "selects only pods of the policy's namespace prod, and dev/api is in dev" in text


def test_namespace_selector_miss_lists_labels() -> None:
    pol = policy(
        "prod",
        {
            "podSelector": DB,
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"env": "dev"}}}]}],
        },
    )
    text = reason([pol], "other/client", "prod/db", 5432)
    assert "namespaceSelector env=dev did not match namespace other" in text
    assert "kubernetes.io/metadata.name: other" in text


def test_ports_miss_and_named_port() -> None:
    pol = policy("prod", {"podSelector": {}, "ingress": [{"ports": [{"port": "http"}]}]})
    text = reason([pol], "other/client", "prod/db", 5432)
    assert "its ports [TCP http] do not include TCP 5432" in text
    assert "prod/db has no TCP container port named http" in text
    text = reason([pol], "other/client", "prod/web", 9090)
    assert "named port http is TCP 8080 on prod/web" in text


def test_no_rules_at_all() -> None:
    pol = policy("prod", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    text = reason([pol], "prod/web", "prod/db", 5432)
    assert "prod/web is isolated for egress by prod/np-1" in text
    assert "none of them has an egress rule" in text
    assert "none of them has an ingress rule" in text


def test_ignored_egress_rules_are_pointed_out() -> None:
    pol = policy(
        "prod",
        {"podSelector": {}, "policyTypes": ["Ingress"], "egress": [{"to": [{"podSelector": DB}]}]},
    )
    text = reason([pol], "prod/web", "other/client", 80)
    assert "policyTypes lacks Egress, so they are ignored" in text


def test_ipblock_reasons() -> None:
    pol = policy(
        "prod",
        {
            "podSelector": DB,
            "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}],
        },
    )
    assert "10.1.2.3 is in ipBlock 10.0.0.0/8 but also in its except 10.1.0.0/16" in reason(
        [pol], "10.1.2.3", "prod/db", 5432
    )
    assert "192.168.1.1 is not in ipBlock 10.0.0.0/8" in reason(
        [pol], "192.168.1.1", "prod/db", 5432
    )
    assert "matches addresses outside the cluster, and prod/api is a pod" in reason(
        [pol], "prod/api", "prod/db", 5432
    )


def test_selector_peer_vs_external() -> None:
    pol = policy("prod", {"podSelector": DB, "ingress": [{"from": [{"namespaceSelector": {}}]}]})
    assert "is an address outside the cluster (use an ipBlock peer)" in reason(
        [pol], "10.0.0.1", "prod/db", 5432
    )
    assert "10.0.0.1 is outside the cluster, so no policy governs its egress" in reason(
        [policy("prod", {"podSelector": {}, "ingress": [{}]})], "10.0.0.1", "prod/db", 5432
    )


def test_traffic_to_itself_says_why_it_is_allowed() -> None:
    """docs §Network Policies: "a pod cannot block access to itself"."""
    deny_all = policy("prod", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    cluster = world(deny_all)
    db = resolve(cluster, "prod/db")
    verdict = evaluate(cluster, db, db, 5432)
    assert verdict.allowed
    assert verdict.reason.startswith("allowed: prod/db -> prod/db TCP/5432 is the pod's traffic")
    assert "a pod cannot block access to itself" in verdict.reason
    assert "prod/db is isolated for egress by prod/np-1 and for ingress by prod/np-1" in (
        verdict.reason
    )
    assert "a pod cannot block access to itself" in verdict.egress.why
    assert "a pod cannot block access to itself" in verdict.ingress.why
    open_pod = reason([], "other/client", "other/client", 80)
    assert "other/client is not isolated for egress" not in open_pod
    assert "cannot block access to itself" in open_pod


def test_a_workload_to_itself_is_two_of_its_pods() -> None:
    deny_all = policy("prod", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    text = reason([deny_all], "prod/worker", "prod/worker", 7000)
    assert text.startswith("denied:")
    assert "the same Deployment, read as one of its pods to another" in text


def test_null_namespace_selector_is_explained_as_absent() -> None:
    pol = policy(
        "prod",
        {
            "podSelector": DB,
            "ingress": [
                {
                    "from": [
                        {"podSelector": {"matchLabels": {"app": "api"}}, "namespaceSelector": None}
                    ]
                }
            ],
        },
    )
    text = reason([pol], "dev/api", "prod/db", 5432)
    assert text.startswith("denied:")
    assert "selects only pods of the policy's namespace prod, and dev/api is in dev" in text


def test_assumed_namespace_is_pointed_out() -> None:
    """Without Namespace objects a namespace has only kubernetes.io/metadata.name."""
    cluster = load_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: team-a}\nspec: {containers: []}\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: team-b}\n"
        "spec: {containers: []}\n---\n"
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: p, namespace: team-b}\n"
        "spec: {ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}}]}]}\n",
        "w.yaml",
    )
    assert cluster.assumed == ["team-a", "team-b"]
    text = evaluate(cluster, resolve(cluster, "team-a/a"), resolve(cluster, "team-b/b"), 80).reason
    assert "no Namespace object declares it, so it has only that label" in text
