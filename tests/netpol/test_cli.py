"""`labtui netpol query|matrix`: verdicts, JSON, batches, and errors with file and document."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from labtui.cli import main
from labtui.netpol.evaluate import evaluate, resolve
from labtui.netpol.parse import load
from tests.conftest import SCENARIOS
from tests.test_cli import labtui

LAB = SCENARIOS / "netpol-frontend-backend"
POLICY = LAB / "scenario.yaml"


def frontend_backend(tmp_path: Path) -> Path:
    """The lab's cluster plus its reference backend policy, as a learner would have them."""
    import yaml

    scenario = yaml.safe_load(POLICY.read_text())
    (tmp_path / "cluster").mkdir()
    (tmp_path / "cluster" / "workloads.yaml").write_text(
        (LAB / "cluster" / "workloads.yaml").read_text()
    )
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "backend.yaml").write_text(
        scenario["tasks"][0]["solution"]["files"]["policies/backend.yaml"]
    )
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_query_text_and_json(tmp_path: Path) -> None:
    lab = str(frontend_backend(tmp_path))
    code, out, _ = run(
        "netpol", "query", lab, "--from", "app/frontend", "--to", "app/backend", "--port", "8080"
    )
    assert code == 0
    assert out.startswith("ALLOWED app/frontend -> app/backend TCP/8080")
    assert "ingress rule 1 (from peer 1) allows it" in out
    code, out, _ = run(
        "netpol",
        "query",
        lab,
        "--from",
        "app/report",
        "--to",
        "app/backend",
        "--port",
        "8080",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["allowed"] is False
    assert (
        "podSelector app=frontend did not match labels {app: report, tier: batch}" in data["reason"]
    )


def test_query_protocol_and_ip(tmp_path: Path) -> None:
    lab = str(frontend_backend(tmp_path))
    code, out, _ = run(
        "netpol",
        "query",
        lab,
        "--from",
        "192.0.2.1",
        "--to",
        "app/backend",
        "--port",
        "8080",
        "--protocol",
        "udp",
        "--json",
    )
    assert code == 0 and json.loads(out)["allowed"] is False
    code, out, _ = run(
        "netpol",
        "query",
        lab,
        "--from",
        "app/backend",
        "--to",
        "2001:db8::1",
        "--port",
        "443",
        "--json",
    )
    assert code == 0 and json.loads(out)["allowed"] is True


def test_batch(tmp_path: Path) -> None:
    lab = frontend_backend(tmp_path)
    batch = tmp_path / "flows.txt"
    batch.write_text(
        json.dumps(
            [
                {
                    "from": "app/frontend",
                    "to": "app/backend",
                    "port": 8080,
                    "protocol": "TCP",
                    "note": "kept",
                },
                {"from": "other/frontend", "to": "app/backend", "port": 8080},
            ]
        )
    )
    code, out, _ = run(
        "netpol", "query", str(lab / "cluster"), str(lab / "policies"), "--batch", str(batch)
    )
    assert code == 0
    data = json.loads(out)
    assert [d["allowed"] for d in data] == [True, False]
    assert data[0]["note"] == "kept" and all(d["reason"] for d in data)


def test_batch_errors_name_the_item(tmp_path: Path) -> None:
    lab = str(frontend_backend(tmp_path))
    batch = tmp_path / "b.json"
    batch.write_text(json.dumps([{"from": "app/frontend", "to": "app/nope", "port": 80}]))
    code, _, err = run("netpol", "query", lab, "--batch", str(batch))
    assert code == 1
    assert "b.json item 0: endpoint 'app/nope': no pod or workload nope in namespace app" in err
    assert "known: app/frontend" in err


def test_usage_errors() -> None:
    code, _, err = run("netpol", "query", str(LAB), "--from", "app/frontend")
    assert code == 2 and "--batch" in err
    code, _, _ = run("netpol", "query", str(LAB), "--from", "a/b", "--to", "c/d", "--port", "0")
    assert code == 2


def test_bad_manifest_names_file_and_document(tmp_path: Path) -> None:
    lab = frontend_backend(tmp_path)
    (lab / "policies" / "broken.yaml").write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ok, namespace: app}\n"
        "spec: {podSelector: {}}\n---\n"
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: app}\n"
        "spec:\n  podSelector: {}\n  ingress:\n    - from:\n        - ipBlock: {cidr: 10.0.0.0/8}\n          podSelector: {}\n"
    )
    proc = labtui("netpol", "matrix", str(lab))
    assert proc.returncode == 1
    assert (
        "broken.yaml:13 (document 2): spec.ingress[0].from[0]: ipBlock cannot be combined"
        in proc.stderr
    )
    assert "what to do: put the ipBlock in its own list element" in proc.stderr


def test_matrix_text_and_json(tmp_path: Path) -> None:
    lab = str(frontend_backend(tmp_path))
    code, out, _ = run("netpol", "matrix", lab)
    assert code == 0
    assert "app/backend [Deployment] (TCP/8080, TCP/9090)" in out
    assert "app/report [CronJob] (TCP/80)" in out
    code, out, _ = run("netpol", "matrix", lab, "--port", "8080", "--json")
    data = json.loads(out)
    names = data["endpoints"]
    cell = data["allowed"][names.index("app/frontend")][names.index("app/backend")]
    assert cell is True
    assert data["allowed"][names.index("app/report")][names.index("app/backend")] is False


def test_batch_answers_what_each_query_answers(tmp_path: Path) -> None:
    """One evaluator for the whole batch gives each flow the words a single query gives it."""
    lab = frontend_backend(tmp_path)
    cluster = load([lab])
    refs = [p.ref for p in cluster.pods] + ["192.0.2.1"]
    flows = [
        {"from": a, "to": b, "port": port, "protocol": proto}
        for a in refs
        for b in refs
        if not (a == b == "192.0.2.1")
        for port, proto in ((8080, "TCP"), (53, "UDP"))
    ]
    batch = tmp_path / "all.json"
    batch.write_text(json.dumps(flows))
    code, out, _ = run("netpol", "query", str(lab), "--batch", str(batch))
    assert code == 0
    for flow, answer in zip(flows, json.loads(out), strict=True):
        verdict = evaluate(
            cluster,
            resolve(cluster, flow["from"]),
            resolve(cluster, flow["to"]),
            flow["port"],
            flow["protocol"],
        )
        assert (answer["allowed"], answer["reason"]) == (verdict.allowed, verdict.reason)


def test_assumed_namespaces_are_noted_on_stderr(tmp_path: Path) -> None:
    (tmp_path / "pods.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: team-a}\nspec: {containers: []}\n"
    )
    code, out, err = run(
        "netpol", "query", str(tmp_path), "--from", "team-a/a", "--to", "team-a/a", "--port", "80"
    )
    assert code == 0
    assert out.startswith("ALLOWED team-a/a -> team-a/a TCP/80")
    assert "a pod cannot block access to itself" in out
    assert "note: assumed namespaces team-a (no Namespace object declares them)" in err
    code, out, err = run("netpol", "matrix", str(tmp_path), "--json")
    assert code == 0 and json.loads(out)["allowed"] == [[True]]
    assert "note: assumed namespaces team-a" in err
    code, _, err = run("netpol", "matrix", str(LAB / "cluster"))
    assert code == 0 and "note:" not in err
