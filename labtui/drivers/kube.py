"""The Kubernetes API of one cluster, through its own ``ApiClient``.

Each ``KubeClient`` builds an isolated client from a kubeconfig (``kind get kubeconfig``
or a context of the user's kubeconfig) with ``new_client_from_config_dict``, so two
clusters never share the global default configuration. Requests go through the raw
REST paths, which keeps one code path for every resource (built-in or custom) and needs
no discovery round-trips. ``kubernetes`` is imported on first use: it is slow to import
and docker-only labs never need it.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import yaml

from labtui.drivers.docker import DockerDriver
from labtui.errors import EnvironmentUnavailable, LabError
from labtui.manifests import kube_objects

FIELD_MANAGER = "labtui"
DEFAULT_TIMEOUT = 15.0

CLUSTER_SCOPED = frozenset(
    {
        "namespaces",
        "nodes",
        "persistentvolumes",
        "clusterroles",
        "clusterrolebindings",
        "storageclasses",
        "customresourcedefinitions",
        "priorityclasses",
        "ingressclasses",
        "runtimeclasses",
        "csidrivers",
        "csinodes",
        "volumeattachments",
        "apiservices",
        "mutatingwebhookconfigurations",
        "validatingwebhookconfigurations",
        "validatingadmissionpolicies",
        "validatingadmissionpolicybindings",
        "certificatesigningrequests",
        "subjectaccessreviews",
        "selfsubjectaccessreviews",
        "selfsubjectrulesreviews",
        "tokenreviews",
        "componentstatuses",
    }
)

# Kinds whose plural is not the lower-cased kind plus "s".
PLURALS = {
    "NetworkPolicy": "networkpolicies",
    "PodSecurityPolicy": "podsecuritypolicies",
    "PriorityClass": "priorityclasses",
    "StorageClass": "storageclasses",
    "IngressClass": "ingressclasses",
    "RuntimeClass": "runtimeclasses",
    "Endpoints": "endpoints",
    "ValidatingAdmissionPolicy": "validatingadmissionpolicies",
}


def plural_of(kind: str) -> str:
    if kind in PLURALS:
        return PLURALS[kind]
    lower = kind.lower()
    if lower.endswith("y") and lower[-2:-1] not in "aeiou":
        return lower[:-1] + "ies"
    if lower.endswith(("s", "x", "ch", "sh")):
        return lower + "es"
    return lower + "s"


def is_namespaced(plural: str) -> bool:
    return plural.split("/")[0] not in CLUSTER_SCOPED


def resource_path(
    api_version: str,
    plural: str,
    namespace: str | None = None,
    name: str | None = None,
    subresource: str | None = None,
) -> str:
    """``/api/v1/namespaces/lab/pods/web`` or ``/apis/apps/v1/deployments``."""
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    parts = [base]
    if namespace and is_namespaced(plural):
        parts.append(f"namespaces/{quote(namespace, safe='')}")
    parts.append(plural)
    if name is not None:
        parts.append(quote(name, safe=""))
    if subresource:
        parts.append(subresource)
    return "/".join(parts)


class KubeError(LabError):
    """The API server answered with an error status."""

    def __init__(self, message: str, status: int, reason: str = "", hint: str = "") -> None:
        super().__init__(message, hint)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class PodExec:
    exit_code: int | None
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Access:
    allowed: bool
    reason: str


def service_account_subject(ref: str, default_namespace: str) -> tuple[str, list[str]]:
    """``NAME`` or ``NAMESPACE:NAME`` -> the user name and groups the API server gives its token."""
    namespace, _, name = ref.rpartition(":")
    namespace = namespace or default_namespace
    return (
        f"system:serviceaccount:{namespace}:{name}",
        ["system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"],
    )


def user_groups(user: str, groups: Iterable[str]) -> list[str]:
    """Groups the authenticator adds, as ``kubectl auth can-i --as`` would see them."""
    extra = "system:unauthenticated" if user == "system:anonymous" else "system:authenticated"
    out = list(groups)
    return out if extra in out else [*out, extra]


def load_documents(text: str, source: str = "manifest") -> list[dict[str, Any]]:
    """Kubernetes objects from YAML (several documents, or ``kind: List``), to apply them.

    The one manifest reader reads them: an error says ``file:line (document N)``.
    """
    return kube_objects(text, source)


class KubeClient:
    """One cluster's API; safe to share between threads."""

    def __init__(
        self, config: dict[str, Any], context: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.config = config
        self.context = context or config.get("current-context")
        self.timeout = timeout
        self._api: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_text(
        cls, text: str, context: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> KubeClient:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise LabError(f"the kubeconfig is not valid YAML: {exc}") from exc
        if not isinstance(data, dict) or not data.get("contexts"):
            raise LabError("the kubeconfig has no contexts")
        if context and context not in [c.get("name") for c in data.get("contexts", [])]:
            known = ", ".join(str(c.get("name")) for c in data["contexts"])
            raise LabError(f"kube context {context!r} does not exist", f"known contexts: {known}")
        return cls(data, context, timeout)

    @classmethod
    def from_file(
        cls, path: Path, context: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> KubeClient:
        try:
            text = path.read_text()
        except OSError as exc:
            raise EnvironmentUnavailable(
                f"cannot read kubeconfig {path}: {exc.strerror}",
                "bring the lab up first: `labtui up ID`",
            ) from exc
        return cls.from_text(text, context, timeout)

    @property
    def api(self) -> Any:
        with self._lock:
            if self._api is None:
                from kubernetes import config as kconfig

                try:
                    self._api = kconfig.new_client_from_config_dict(  # type: ignore[no-untyped-call]
                        self.config, context=self.context, persist_config=False
                    )
                except Exception as exc:
                    raise LabError(
                        f"cannot use the kubeconfig (context {self.context}): {exc}"
                    ) from exc
            return self._api

    @property
    def server(self) -> str:
        return str(self.api.configuration.host)

    def close(self) -> None:
        if self._api is not None:
            with contextlib.suppress(Exception):
                self._api.close()
            self._api = None

    # -- raw requests

    def request(
        self,
        method: str,
        path: str,
        query: dict[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float | None = None,
    ) -> Any:
        """One API call; returns the decoded JSON. Errors become ``KubeError`` / ``EnvironmentUnavailable``."""
        import urllib3

        api = self.api
        url = path + ("?" + urlencode(query) if query else "")
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
            # The client serializes JSON bodies (any +json type) itself; others go as text.
            if "json" not in content_type and not isinstance(body, str | bytes):
                body = json.dumps(body)
        _, full_url, headers, body, _ = api.param_serialize(
            method, url, header_params=headers, body=body, auth_settings=["BearerToken"]
        )
        try:
            resp = api.call_api(
                method,
                full_url,
                header_params=headers,
                body=body,
                _request_timeout=timeout or self.timeout,
            )
            raw = resp.read()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise EnvironmentUnavailable(
                f"the cluster API at {self.server} does not answer ({type(exc).__name__})",
                "is the cluster running? `labtui up ID` (kind) or check your context with `kubectl cluster-info`",
            ) from exc
        status = int(resp.status)
        data: Any = None
        if raw:
            try:
                data = json.loads(raw)
            except ValueError:
                data = raw.decode("utf-8", errors="replace")
        if status >= 400:
            message = data.get("message") if isinstance(data, dict) else None
            reason = data.get("reason", "") if isinstance(data, dict) else ""
            raise KubeError(
                f"{method} {path}: {status} {message or reason or 'error'}", status, str(reason)
            )
        return data

    def version(self) -> str:
        data = self.request("GET", "/version")
        return str(data.get("gitVersion", "unknown")) if isinstance(data, dict) else "unknown"

    # -- objects

    def get(
        self, api_version: str, plural: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None:
        try:
            data = self.request("GET", resource_path(api_version, plural, namespace, name))
        except KubeError as exc:
            if exc.status == 404:
                return None
            raise
        return data if isinstance(data, dict) else None

    def list_objects(
        self,
        api_version: str,
        plural: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[dict[str, Any]]:
        query = {}
        if label_selector:
            query["labelSelector"] = label_selector
        if field_selector:
            query["fieldSelector"] = field_selector
        try:
            data = self.request(
                "GET", resource_path(api_version, plural, namespace), query=query or None
            )
        except KubeError as exc:
            # Listing in a namespace that does not exist is an empty list; a 404 means no such resource.
            if exc.status == 404:
                raise LabError(
                    f"the cluster does not serve {plural} in {api_version}",
                    "check api_version and the plural resource name (`kubectl api-resources`)",
                ) from exc
            raise
        items = data.get("items", []) if isinstance(data, dict) else []
        return [i for i in items if isinstance(i, dict)]

    def apply(
        self,
        obj: dict[str, Any],
        namespace: str | None = None,
        force: bool = True,
        field_manager: str = FIELD_MANAGER,
    ) -> dict[str, Any]:
        """Server-side apply (``kubectl apply --server-side``) of one object.

        Fields are owned per ``field_manager``: an apply drops the fields its own
        manager set before and left out now, never those of another manager.
        """
        kind = str(obj.get("kind", ""))
        api_version = str(obj.get("apiVersion", ""))
        meta = obj.setdefault("metadata", {})
        name = meta.get("name")
        if not kind or not api_version or not name:
            raise LabError("an object to apply needs apiVersion, kind and metadata.name")
        plural = plural_of(kind)
        ns = meta.get("namespace") or namespace
        if is_namespaced(plural) and ns:
            meta["namespace"] = ns
        query = {"fieldManager": field_manager, "force": "true" if force else "false"}
        data = self.request(
            "PATCH",
            resource_path(api_version, plural, ns, str(name)),
            query=query,
            body=json.dumps(obj),
            content_type="application/apply-patch+yaml",
        )
        return data if isinstance(data, dict) else {}

    def apply_text(
        self, text: str, namespace: str | None = None, source: str = "manifest"
    ) -> list[dict[str, Any]]:
        return [self.apply(doc, namespace) for doc in load_documents(text, source)]

    def delete(
        self, api_version: str, plural: str, name: str, namespace: str | None = None
    ) -> bool:
        try:
            self.request("DELETE", resource_path(api_version, plural, namespace, name))
        except KubeError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def ensure_namespace(
        self,
        name: str,
        labels: dict[str, str] | None = None,
        field_manager: str = FIELD_MANAGER,
        annotations: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        if labels:
            obj["metadata"]["labels"] = labels
        if annotations:
            obj["metadata"]["annotations"] = annotations
        return self.apply(obj, field_manager=field_manager)

    # -- access

    def access_review(
        self,
        verb: str,
        resource: str,
        user: str,
        groups: list[str],
        group: str = "",
        namespace: str | None = None,
        name: str | None = None,
    ) -> Access:
        """``kubectl auth can-i VERB RESOURCE --as USER``: a (Local)SubjectAccessReview.

        Inside a namespace a LocalSubjectAccessReview is used, which a namespace admin
        may create; cluster-wide questions need a SubjectAccessReview.
        """
        plural, _, sub = resource.partition("/")
        attrs: dict[str, Any] = {"verb": verb, "resource": plural, "group": group}
        if sub:
            attrs["subresource"] = sub
        if name:
            attrs["name"] = name
        api = "authorization.k8s.io/v1"
        if namespace:
            attrs["namespace"] = namespace
            kind, path = (
                "LocalSubjectAccessReview",
                resource_path(api, "localsubjectaccessreviews", namespace),
            )
        else:
            kind, path = "SubjectAccessReview", resource_path(api, "subjectaccessreviews")
        review = {
            "apiVersion": api,
            "kind": kind,
            "spec": {"user": user, "groups": groups, "resourceAttributes": attrs},
        }
        if namespace:
            review["metadata"] = {"namespace": namespace}
        data = self.request("POST", path, body=review)
        status = data.get("status", {}) if isinstance(data, dict) else {}
        reason = str(status.get("reason") or status.get("evaluationError") or "")
        return Access(bool(status.get("allowed")) and not status.get("denied"), reason)

    # -- waiting

    def wait_for(
        self,
        fetch: Callable[[], dict[str, Any] | None],
        ready: Callable[[dict[str, Any]], bool],
        what: str,
        timeout: float = 120.0,
        interval: float = 1.0,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last: dict[str, Any] | None = None
        while True:
            last = fetch()
            if last is not None and ready(last):
                return last
            if time.monotonic() >= deadline:
                state = "does not exist" if last is None else "is not ready"
                raise LabError(
                    f"{what} {state} after {timeout:g}s",
                    "look at `kubectl get events -A --sort-by=.lastTimestamp` for the cause",
                )
            time.sleep(interval)

    def wait_ready(
        self,
        api_version: str,
        plural: str,
        name: str,
        namespace: str | None = None,
        timeout: float = 120.0,
    ) -> dict[str, Any]:
        """Until the object is ready; a Pod (or a Deployment's Pod) that cannot start ends
        the wait at once with the reason (an image that cannot be pulled, a crash loop)."""

        def fetch() -> dict[str, Any] | None:
            obj = self.get(api_version, plural, name, namespace)
            if obj is not None and not is_ready(obj) and plural in ("pods", "deployments"):
                stuck = self._stuck_pod(obj, plural, namespace)
                if stuck:
                    raise LabError(
                        f"{plural}/{name} cannot start: {stuck}",
                        "`kubectl describe` the pod; an image must be pullable by the "
                        "cluster's nodes or already in their container runtime",
                    )
            return obj

        return self.wait_for(fetch, is_ready, f"{plural}/{name}", timeout)

    def _stuck_pod(self, obj: dict[str, Any], plural: str, namespace: str | None) -> str | None:
        """Why a pod of ``obj`` will not start by itself (a waiting reason of STUCK), or None."""
        if plural == "pods":
            pods = [obj]
        else:
            labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
            if not labels:
                return None
            selector = ",".join(f"{k}={v}" for k, v in labels.items())
            pods = self.list_objects("v1", "pods", namespace, label_selector=selector)
        for pod in pods:
            statuses = (pod.get("status") or {}).get("containerStatuses") or []
            statuses += (pod.get("status") or {}).get("initContainerStatuses") or []
            for status in statuses:
                waiting = (status.get("state") or {}).get("waiting") or {}
                if waiting.get("reason") in STUCK:
                    pod_name = (pod.get("metadata") or {}).get("name")
                    message = waiting.get("message") or ""
                    return f"pod {pod_name}: {waiting['reason']} {message}".strip()
        return None

    def wait_api(self, timeout: float = 120.0) -> str:
        """Until ``/version`` answers (after an API server restart, for example)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.version()
            except (EnvironmentUnavailable, KubeError):
                if time.monotonic() >= deadline:
                    raise
                time.sleep(1.0)

    # -- pods

    def exec(
        self,
        pod: str,
        namespace: str,
        argv: list[str],
        container: str | None = None,
        timeout: float = 30.0,
    ) -> PodExec:
        """``kubectl exec POD -- ARGV`` over the API's websocket; stdin closed."""
        from kubernetes import client as kclient
        from kubernetes import config as kconfig
        from kubernetes.stream import stream

        # A client of its own: ``stream`` swaps the client's call_api for a websocket
        # call while it runs, which would turn every other request made meanwhile
        # through a shared client (checks run concurrently) into a websocket handshake.
        try:
            api = kconfig.new_client_from_config_dict(  # type: ignore[no-untyped-call]
                self.config, context=self.context, persist_config=False
            )
        except Exception as exc:
            raise LabError(f"cannot use the kubeconfig (context {self.context}): {exc}") from exc
        core = kclient.CoreV1Api(api)
        kwargs: dict[str, Any] = {
            "command": argv,
            "stdin": False,
            "stdout": True,
            "stderr": True,
            "tty": False,
        }
        if container:
            kwargs["container"] = container
        try:
            resp = stream(
                core.connect_get_namespaced_pod_exec,
                pod,
                namespace,
                _preload_content=False,
                **kwargs,
            )
        except Exception as exc:
            raise LabError(f"cannot exec in pod {namespace}/{pod}: {exc}") from exc
        out: list[str] = []
        err: list[str] = []
        deadline = time.monotonic() + timeout
        while resp.is_open() and time.monotonic() < deadline:
            resp.update(timeout=1)
            if resp.peek_stdout():
                out.append(resp.read_stdout())
            if resp.peek_stderr():
                err.append(resp.read_stderr())
        timed_out = resp.is_open()
        resp.close()
        code = None if timed_out else resp.returncode
        return PodExec(code, "".join(out), "".join(err))


# Waiting reasons a pod does not leave without a change: waiting longer only hides the cause.
STUCK = (
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
)


def is_ready(obj: dict[str, Any]) -> bool:
    """Ready in the sense ``kubectl wait`` / ``rollout status`` use for common kinds."""
    kind = obj.get("kind")
    status = obj.get("status") or {}
    if kind == "Deployment":
        want = (obj.get("spec") or {}).get("replicas", 1)
        gen_ok = status.get("observedGeneration", 0) >= obj.get("metadata", {}).get("generation", 0)
        return bool(
            gen_ok
            and status.get("updatedReplicas", 0) == want
            and status.get("availableReplicas", 0) == want
            and status.get("replicas", 0) == want
        )
    if kind in ("Pod", "Node"):
        return any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in status.get("conditions", [])
        )
    if kind == "Namespace":
        return status.get("phase") == "Active"
    return True


def read_node_file(docker: DockerDriver, node: str, path: str) -> str:
    """A file inside a kind node (a Docker container), e.g. the API server's static pod manifest."""
    res = docker.exec(node, ["cat", path])
    if res.exit_code != 0:
        raise LabError(
            f"cannot read {path} in node {node}: {(res.stderr or res.stdout).strip() or 'no output'}"
        )
    return res.stdout


_CLIENTS: dict[tuple[str, float, str | None], KubeClient] = {}
_CLIENTS_LOCK = threading.Lock()


def client_for(kubeconfig: Path, context: str | None = None) -> KubeClient:
    """A cached client per kubeconfig file (rebuilt when the file changes)."""
    try:
        mtime = kubeconfig.stat().st_mtime
    except OSError as exc:
        raise EnvironmentUnavailable(
            f"no kubeconfig at {kubeconfig}: the lab's cluster is not up",
            "`labtui up ID` creates it",
        ) from exc
    key = (str(kubeconfig), mtime, context)
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            _CLIENTS[key] = KubeClient.from_file(kubeconfig, context)
        return _CLIENTS[key]
