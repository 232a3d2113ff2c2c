"""Who you are on a shared cluster: the user name its API server knows your credentials by.

On a shared cluster (``--context NAME``) each learner gets the namespace
``labtui-<learner>-<id>``. Learners who share one OS account (a classroom VM, a
browser class through ``labtui serve``) but have credentials of their own are told
apart by those credentials: without ``--learner``, the learner is the cluster's
name for the context's user (``kubectl auth whoami``, a SelfSubjectReview). The
answer is kept per credential (a digest of the context's flattened kubeconfig),
so later runs ask nothing; new credentials are asked about again.

Without an answer from the API server (an old cluster, no network) the name is read
from the credentials themselves: a client certificate's common name, or a service
account token's subject, both of which are what the API server would say. Failing
that, None: the OS user stays the learner, and a warning says to pass ``--learner``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from labtui.drivers import shell
from labtui.state import paths
from labtui.state.files import write_atomic

SA_PREFIX = "system:serviceaccount:"
TIMEOUT = 20.0
# How a reason starts when the context itself cannot be read: the command that uses
# it says so, with what to do, so no warning is needed before.
UNKNOWN_CONTEXT = "unknown context"


@dataclass(frozen=True)
class Identity:
    username: str  # as the API server says it: alice, system:serviceaccount:class:bob
    source: str  # "cluster" (asked), "certificate", "token" or "cache"

    @property
    def learner(self) -> str:
        """A learner name made of the user name: ``class-bob`` for a service account."""
        name = self.username.removeprefix(SA_PREFIX)
        return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "learner"


def _cache_file() -> Any:
    return paths.data_dir() / "cache" / "identities.json"


def _read_cache() -> dict[str, str]:
    try:
        data = json.loads(_cache_file().read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def context_identity(context: str) -> tuple[Identity | None, str]:
    """Who the API server says the context's user is, and (when unknown) why not."""
    kubectl = shell.which("kubectl")
    if kubectl is None:
        return None, "kubectl is not on PATH"
    view = shell.run(
        [kubectl, "config", "view", "--minify", "--flatten", "--context", context],
        timeout=TIMEOUT,
    )
    if not view.ok:
        said = (view.stderr or view.stdout).strip() or "kubectl cannot read it"
        return None, f"{UNKNOWN_CONTEXT}: {said}"
    key = hashlib.sha256(view.stdout.encode()).hexdigest()
    cache = _read_cache()
    if key in cache:
        return Identity(cache[key], "cache"), ""
    who = shell.run(
        [
            kubectl,
            "auth",
            "whoami",
            "--context",
            context,
            "-o",
            "jsonpath={.status.userInfo.username}",
        ],
        timeout=TIMEOUT,
    )
    identity: Identity | None = None
    why = ""
    if who.ok and who.stdout.strip():
        identity = Identity(who.stdout.strip(), "cluster")
    else:
        why = (who.stderr or who.stdout).strip() or "kubectl auth whoami said nothing"
        identity = from_credentials(view.stdout)
    if identity is not None:
        cache[key] = identity.username
        with contextlib.suppress(OSError):
            write_atomic(_cache_file(), json.dumps(cache, indent=1, sort_keys=True))
    return identity, why


def from_credentials(kubeconfig_text: str) -> Identity | None:
    """The user name in the current context's credentials, where they carry one."""
    try:
        data = yaml.safe_load(kubeconfig_text)
        user = (data.get("users") or [{}])[0].get("user") or {}
    except (yaml.YAMLError, AttributeError, IndexError):
        return None
    cert = user.get("client-certificate-data")
    if cert:
        name = _certificate_cn(base64.b64decode(cert))
        if name:
            return Identity(name, "certificate")
    token = user.get("token")
    if token:
        subject = _token_subject(str(token))
        if subject:
            return Identity(subject, "token")
    return None


def _certificate_cn(pem: bytes) -> str | None:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        return None
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else None


def _token_subject(token: str) -> str | None:
    """A JWT's ``sub`` claim (read, not verified: it only names the learner's folder)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, TypeError):
        return None
    sub = claims.get("sub") if isinstance(claims, dict) else None
    return str(sub) if sub else None
