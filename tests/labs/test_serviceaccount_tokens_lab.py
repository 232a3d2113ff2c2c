"""The serviceaccount-tokens lab without a cluster: where it may run, its shell, and its
token check decoding real-shaped JWTs with busybox in both lab images.

The lab itself is proven by ``tests/k8s/test_serviceaccount_tokens.py`` on the
kubeadm node (``solve --verify``: real tokens, real in-pod requests).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from labtui.checks.base import CheckContext
from labtui.checks.kinds import command_check
from labtui.drivers.docker import DockerDriver
from labtui.engine.clusters import ClusterChoice, context_unavailable
from labtui.engine.requirements import Availability
from labtui.scenario.model import CommandCheck, Scenario
from labtui.scenario.templates import TemplateContext
from tests.conftest import docker_problem
from tests.labs.lab_scripts import built_in, offline_templates, shell_scripts

LAB = "serviceaccount-tokens"
NAMESPACE = "sa-tokens"
TOKEN_PATH = "/var/run/secrets/tokens/vault-token"
OFFICIAL_LIKE = os.environ.get("LABTUI_OFFICIAL_LIKE_IMAGE", "labtui/busybox-official-like:local")


def scenario() -> Scenario:
    return built_in(LAB)


def templates(lab_dir: Path) -> TemplateContext:
    return offline_templates(NAMESPACE, lab_dir)


def test_every_shell_script_of_the_lab_parses(tmp_path: Path) -> None:
    scripts = shell_scripts(scenario())
    assert len(scripts) >= 5
    render = templates(tmp_path).render
    for where, script in scripts:
        res = subprocess.run(["sh", "-n", "-c", render(script)], capture_output=True, text=True)
        assert res.returncode == 0, f"{where}: {res.stderr}"


def test_the_lab_fits_one_namespace_and_runs_on_a_shared_cluster() -> None:
    sc = scenario()
    assert sc.environment.cluster is not None and sc.environment.cluster.namespaced
    assert context_unavailable(sc) is None
    shared = Availability(
        tools={"kind": False, "kubectl": True}, choice=ClusterChoice("context", "classroom")
    )
    assert shared.missing(sc) == []


def test_requests_with_a_stolen_token_never_carry_the_kubeconfig_s_certificate() -> None:
    """kubectl would send the admin's client certificate next to ``--token``, and the API
    server would take the certificate: every request with the token drops the kubeconfig."""
    for where, script in shell_scripts(scenario()):
        if "stolen.token" in script and "--token" in script:
            assert "--kubeconfig=/dev/null" in script, where


# --------------------------------------------------------------------------- the token check


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt(claims: dict[str, Any]) -> str:
    """A token shaped like the API server's: compact JSON, base64url without padding."""
    header = b64url(json.dumps({"alg": "RS256", "kid": "k"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    return f"{header}.{payload}.{b64url(os.urandom(256))}"


def claims(aud: str, lifetime: int, pod: str = "web", pad: str = "") -> dict[str, Any]:
    iat = 1_796_299_265
    return {
        "aud": [aud],
        "exp": iat + lifetime,
        "iat": iat,
        "iss": "https://kubernetes.default.svc.cluster.local",
        "jti": "7d9ba8d0-f6b7-49a3-a972-75d6d6725f4f" + pad,
        "kubernetes.io": {
            "namespace": NAMESPACE,
            "pod": {"name": pod, "uid": "450eb3f1-fc10-4f84-9cc0-af213f13bf7c"},
            "serviceaccount": {"name": "default", "uid": "91ec8fdf-bcfe-46e2"},
        },
        "nbf": iat,
        "sub": f"system:serviceaccount:{NAMESPACE}:default",
    }


FAKE_KUBECTL = """#!/bin/sh
# kubectl exec web -- CMD...: CMD in a busybox container with the token mounted.
[ "$1" = exec ] || exit 1
while [ "$1" != -- ]; do shift; done
shift
if [ -s "$TOKEN_FILE" ]; then
  exec docker run --rm --network none -v "$TOKEN_FILE:{path}:ro" "$IMAGE" "$@"
fi
exec docker run --rm --network none "$IMAGE" "$@"
"""


def token_check() -> tuple[Scenario, CommandCheck]:
    sc = scenario()
    task = next(t for t in sc.tasks if t.id == "projected-token")
    check = next(
        c for c in task.checks if isinstance(c, CommandCheck) and "short-lived" in str(c.command)
    )
    return sc, check


def images() -> list[str]:
    found = [os.environ.get("LABTUI_BASE_IMAGE", "labtui/base:local")]
    if (
        shutil.which("docker")
        and subprocess.run(
            ["docker", "image", "inspect", OFFICIAL_LIKE], capture_output=True
        ).returncode
        == 0
    ):
        found.append(OFFICIAL_LIKE)
    return found


@pytest.mark.docker
@pytest.mark.parametrize("image", images())
@pytest.mark.parametrize(
    ("token", "passes"),
    [
        # Payload lengths that need one and two "=" of padding.
        (claims("vault", 600), True),
        (claims("vault", 3600, pad="x"), True),
        (claims("vault", 600, pad="xy"), True),
        # The automounted token: the API server's audience, a year (extended).
        (claims("https://kubernetes.default.svc.cluster.local", 31_536_000), False),
        (claims("vault", 7200), False),
        (claims("vault", 600, pod="other"), False),
        (None, False),
    ],
)
def test_the_token_check_decodes_the_claims_with_busybox(
    tmp_path: Path, image: str, token: dict[str, Any] | None, passes: bool
) -> None:
    why = docker_problem()
    if why:
        pytest.skip(why)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(FAKE_KUBECTL.replace("{path}", TOKEN_PATH))
    kubectl.chmod(0o755)
    token_file = tmp_path / "vault-token"
    if token is not None:
        token_file.write_text(jwt(token))
        token_file.chmod(0o644)
    sc, check = token_check()
    task = next(t for t in sc.tasks if t.id == "projected-token")
    ctx = CheckContext(
        sc,
        task,
        templates(tmp_path),
        DockerDriver(timeout=5),
        tmp_path,
        env={
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "TOKEN_FILE": str(token_file),
            "IMAGE": image,
        },
    )
    outcome = command_check(check, ctx)
    assert outcome.passed is passes, outcome
