"""Learners sharing one OS account are told apart: by ``--learner``, and on a shared
cluster by the user name its API server knows their credentials by.

Real kubectl against a server that is not there (loopback port 9): the name then
comes from the credentials themselves.
"""

from __future__ import annotations

import base64
import datetime
import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from labtui.cli import main
from labtui.engine import identity
from labtui.engine.identity import Identity, from_credentials
from labtui.state import owner, paths


def client_certificate(cn: str, org: str = "labtui-class") -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


def kubeconfig(users: dict[str, dict[str, str]]) -> str:
    """One context per user, all on a server that is not there."""
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "class",
                    "cluster": {"server": "https://127.0.0.1:9", "insecure-skip-tls-verify": True},
                }
            ],
            "users": [{"name": n, "user": u} for n, u in users.items()],
            "contexts": [{"name": n, "context": {"cluster": "class", "user": n}} for n in users],
            "current-context": next(iter(users)),
        }
    )


def test_a_client_certificate_names_its_common_name() -> None:
    pem = base64.b64encode(client_certificate("alice")).decode()
    text = kubeconfig({"a": {"client-certificate-data": pem, "client-key-data": "eA=="}})
    assert from_credentials(text) == Identity("alice", "certificate")


def test_a_service_account_token_names_its_subject_and_a_short_learner() -> None:
    sub = "system:serviceaccount:class-3:bob"
    found = from_credentials(kubeconfig({"b": {"token": jwt({"sub": sub})}}))
    assert found == Identity(sub, "token")
    assert found.learner == "class-3-bob"


@pytest.mark.parametrize(
    "user", [{"token": "not-a-jwt"}, {"username": "ann", "password": "secret"}, {}]
)
def test_credentials_without_a_name_give_none(user: dict[str, str]) -> None:
    assert from_credentials(kubeconfig({"c": user})) is None


@pytest.fixture
def two_learners(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not on PATH")
    config = tmp_path / "kubeconfig"
    config.write_text(
        kubeconfig(
            {
                "alice": {
                    "client-certificate-data": base64.b64encode(
                        client_certificate("alice")
                    ).decode(),
                    "client-key-data": "eA==",
                },
                "bob": {"token": jwt({"sub": "system:serviceaccount:class:bob"})},
            }
        )
    )
    monkeypatch.setenv("KUBECONFIG", str(config))
    monkeypatch.setenv("LABTUI_DATA_DIR", str(tmp_path / "data"))
    return config


def test_each_context_is_its_own_learner_and_the_answer_is_kept(two_learners: Path) -> None:
    alice, why = identity.context_identity("alice")
    assert alice == Identity("alice", "certificate")
    assert why  # the API server was asked and did not answer
    assert identity.context_identity("alice")[0] == Identity("alice", "cache")
    bob = identity.context_identity("bob")[0]
    assert bob is not None and bob.learner == "class-bob"
    # New credentials for the same context are asked about again.
    data = yaml.safe_load(two_learners.read_text())
    data["users"][0]["user"]["client-certificate-data"] = base64.b64encode(
        client_certificate("alice2")
    ).decode()
    two_learners.write_text(yaml.safe_dump(data))
    assert identity.context_identity("alice")[0] == Identity("alice2", "certificate")


def test_an_unknown_context_says_why() -> None:
    found, why = identity.context_identity("no-such-context-here")
    assert found is None and why.startswith(identity.UNKNOWN_CONTEXT)


def test_a_context_whose_user_cannot_be_told_warns_once_on_stderr(
    two_learners: Path,
) -> None:
    data = yaml.safe_load(two_learners.read_text())
    data["users"][0]["user"] = {"username": "ann", "password": "secret"}
    two_learners.write_text(yaml.safe_dump(data))
    res = CliRunner().invoke(main, ["--context", "alice", "list", "--json"])
    assert res.exit_code == 0
    json.loads(res.stdout)  # stdout stays machine-readable
    assert "cannot tell who you are on context alice" in res.stderr
    assert "--learner NAME" in res.stderr
    unknown = CliRunner().invoke(main, ["--context", "nope", "list", "--json"])
    assert "cannot tell who you are" not in unknown.stderr


def test_learners_keep_labs_records_shells_and_owner_ids_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LABTUI_DATA_DIR", str(tmp_path))
    seen = {}
    try:
        for name in (None, paths.default_learner(), "alice", "bob"):
            paths.use_learner(name)
            seen[name] = (paths.lab_dir("x"), paths.sessions_dir(), owner.owner_id())
    finally:
        paths.use_learner(None)
    # The OS user, named or not, is the data directory itself: nothing moves for them.
    assert seen[None] == seen[paths.default_learner()]
    assert seen[None][0] == tmp_path / "labs" / "x"
    assert seen["alice"][0] == tmp_path / "learners" / "alice" / "labs" / "x"
    for i in range(3):
        assert len({v[i] for v in seen.values()}) == 3


def test_the_cli_names_the_learner_after_the_context_s_user(
    two_learners: Path, tmp_path: Path
) -> None:
    """Without --learner, ``--context bob`` is learner class-bob: own progress and labs."""
    runner = CliRunner()
    try:
        res = runner.invoke(main, ["--context", "bob", "list", "--json"])
        assert res.exit_code == 0, res.output
        assert paths.learner_dir() == tmp_path / "data" / "learners" / "class-bob"
        # --learner wins over the context's user.
        res = runner.invoke(main, ["--context", "bob", "--learner", "carol", "list", "--json"])
        assert res.exit_code == 0, res.output
        assert paths.learner_dir() == tmp_path / "data" / "learners" / "carol"
        # No context: the OS user, in the data directory itself.
        res = runner.invoke(main, ["list", "--json"])
        assert paths.learner_dir() == tmp_path / "data"
    finally:
        paths.use_learner(None)
