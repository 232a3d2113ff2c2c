"""The ``certificate`` check kind and its model: each assertion passes and fails for the right reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from labtui.checks import CheckContext, CheckResult
from labtui.drivers.docker import DockerDriver
from labtui.engine.runner import run_checks
from labtui.pki.generate import GeneratedPki
from labtui.scenario.model import Check, Scenario
from labtui.scenario.templates import TemplateContext
from tests.pki.conftest import ADDRESS, NODE, lab_of

ADAPTER: TypeAdapter[Any] = TypeAdapter(Check)
API = "etc/kubernetes/pki/apiserver.crt"


def run(lab: Path, **check: Any) -> CheckResult:
    scenario = Scenario.model_validate(
        {
            "format_version": 1,
            "id": "t",
            "title": "t",
            "topic": "cluster",
            "environment": {"pki": {"node_name": NODE, "advertise_address": ADDRESS}},
            "tasks": [
                {"id": "a", "title": "a", "checks": [{"kind": "command", "command": ["true"]}]}
            ],
        }
    )
    ctx = CheckContext(
        scenario=scenario,
        task=scenario.tasks[0],
        templates=TemplateContext({"node": NODE}),
        docker=DockerDriver(client=object()),
        lab_dir=lab,
    )
    return run_checks([ADAPTER.validate_python({"kind": "certificate", **check})], ctx)[0]


def test_passing_assertions(pki: GeneratedPki) -> None:
    lab = lab_of(pki)
    result = run(
        lab,
        path=API,
        subject={"CN": "kube-apiserver"},
        issuer={"CN": "kubernetes"},
        san_contains=["{node}", "kubernetes.default.svc", "10.96.0.1"],
        key_usage=["digitalSignature", "keyEncipherment"],
        extended_key_usage=["serverAuth"],
        is_ca=False,
        valid=True,
        valid_for_days=300,
        expires_within_days=366,
        signed_by="etc/kubernetes/pki/ca.crt",
        key_matches="etc/kubernetes/pki/apiserver.key",
    )
    assert result.passed, result.message
    kubelet = run(
        lab,
        path="etc/kubernetes/kubelet.conf",
        subject={"CN": f"system:node:{NODE}", "O": "system:nodes"},
        signed_by="etc/kubernetes/pki/ca.crt",
        key_matches="etc/kubernetes/kubelet.conf",
    )
    assert kubelet.passed, kubelet.message
    ca = run(
        lab,
        path="etc/kubernetes/admin.conf",
        part="ca",
        is_ca=True,
        signed_by="etc/kubernetes/pki/ca.crt",
    )
    assert ca.passed, ca.message


@pytest.mark.parametrize(
    "check,message",
    [
        ({"subject": {"CN": "jane"}}, "subject CN is kube-apiserver, expected jane"),
        ({"subject": {"O": "developers"}}, "subject O is none, expected developers"),
        ({"issuer": {"CN": "etcd-ca"}}, "issuer CN is kubernetes, expected etcd-ca"),
        ({"san_contains": ["example.com"]}, "has no SAN example.com"),
        ({"extended_key_usage": ["clientAuth"]}, "extended key usage lacks clientAuth"),
        ({"key_usage": ["keyCertSign"]}, "key usage lacks keyCertSign"),
        ({"is_ca": True}, "is not a CA"),
        ({"valid": False}, "is still valid"),
        ({"valid_for_days": 400}, "fewer than 400"),
        ({"expires_within_days": 30}, "not within 30"),
        (
            {"signed_by": "etc/kubernetes/pki/etcd/ca.crt"},
            "its issuer is CN = kubernetes, not CN = etcd-ca",
        ),
        ({"key_matches": "etc/kubernetes/pki/ca.key"}, "is the key of another certificate"),
        ({"key_matches": "etc/kubernetes/pki/sa.pub"}, "not an unencrypted PEM private key"),
        ({"signed_by": "etc/kubernetes/pki/nope.crt"}, "nope.crt does not exist"),
    ],
)
def test_failing_assertions_say_why(pki: GeneratedPki, check: dict[str, Any], message: str) -> None:
    result = run(lab_of(pki), path=API, **check)
    assert not result.passed
    assert message in result.message


def test_missing_file(tmp_path: Path) -> None:
    result = run(tmp_path, path="jane.conf", subject={"CN": "jane"})
    assert not result.passed and result.message == "jane.conf does not exist in the lab directory"


@pytest.mark.parametrize(
    "check,message",
    [
        ({"path": "a.crt"}, "say what to test"),
        ({"path": "a.crt", "subject": {"XX": "y"}}, "unknown attribute 'XX'"),
        ({"path": "a.crt", "extended_key_usage": ["webAuth"]}, "unknown usage 'webAuth'"),
        ({"path": "a.crt", "part": "server", "valid": True}, "part"),
    ],
)
def test_model_refuses_checks_that_test_nothing_or_misspell(
    check: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        ADAPTER.validate_python({"kind": "certificate", **check})


def scenario_with(pki: dict[str, Any]) -> dict[str, Any]:
    return {
        "format_version": 1,
        "id": "t",
        "title": "t",
        "topic": "cluster",
        "environment": {"pki": pki},
        "tasks": [{"id": "a", "title": "a", "checks": [{"kind": "command", "command": ["true"]}]}],
    }


@pytest.mark.parametrize(
    "pki,message",
    [
        ({"expired": ["ca"]}, "not a kubeadm leaf certificate"),
        ({"missing_san": ["apiserver:nope"]}, "has no SAN 'nope'"),
        ({"advertise_address": "not-an-ip"}, "is not an IP address"),
        ({"kubernetes_version": "2"}, "String should match pattern"),
        ({"dir": "../outside"}, "must be a path inside the lab directory"),
    ],
)
def test_pki_spec_errors(pki: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Scenario.model_validate(scenario_with(pki))


def test_value_source_certificate_needs_field() -> None:
    from labtui.scenario.model import ValueSource

    with pytest.raises(ValidationError, match="certificate needs field"):
        ValueSource.model_validate({"certificate": "a.crt"})
    with pytest.raises(ValidationError, match="exactly one"):
        ValueSource.model_validate({"certificate": "a.crt", "field": "subject", "value": "x"})


def test_loader_points_at_the_bad_fault(tmp_path: Path) -> None:
    from labtui.scenario.loader import load_text

    text = """format_version: 1
id: t
title: t
topic: cluster
environment:
  pki:
    expired: [apiserverr]
tasks:
  - id: a
    title: a
    checks: [{kind: command, command: ["true"]}]
"""
    result = load_text(text, "s.yaml")
    assert result.scenario is None
    problem = str(result.problems[0])
    assert (
        problem.startswith("s.yaml:") and "environment.pki" in problem and "apiserverr" in problem
    )
