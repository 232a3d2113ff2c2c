"""A real HTTP Kubernetes API (kmock's emulator) for the client layer, and the sync client beside it.

kmock stores objects for create/get/list/patch/delete. Two things a real API server
does that the emulator does not are added here, as a real server would answer them:
server-side apply creates a missing object, (Local)SubjectAccessReviews are
answered from a small allow-list instead of being stored, and a Namespace object
(``/api/v1/namespaces/NAME``, which kmock reads as a namespace prefix) is served here.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp.web
import attrs
import kmock
import pytest_asyncio
import yaml

T = TypeVar("T")

Grant = tuple[str, str, str, str]  # user, verb, resource, namespace ("" = cluster-wide)
NAMESPACE_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)$")


@attrs.define(kw_only=True)
class ApiServer(kmock.KubernetesEmulator):
    grants: set[Grant] = attrs.field(factory=set)
    namespaces: dict[str, dict[str, Any]] = attrs.field(factory=dict)

    async def _handle(self, request: Any) -> aiohttp.web.StreamResponse:
        ns_path = NAMESPACE_PATH.match(request.url.path)
        if ns_path:
            return self._namespace(request, ns_path.group(1))
        if request.resource is not None and request.resource.plural in (
            "subjectaccessreviews",
            "localsubjectaccessreviews",
        ):
            return aiohttp.web.json_response(self._review(request.data))
        content_type = request.headers.get("Content-Type", "")
        if (
            request.method == "PATCH"
            and "apply-patch" in content_type
            and request.resource is not None
        ):
            key = (request.resource, request.namespace, request.name)
            if key not in self.objects or self.objects[key].deleted:
                meta = {"name": request.name}
                if request.namespace:
                    meta["namespace"] = request.namespace
                data = request.data or {}
                self.objects[key] = {
                    "apiVersion": data.get("apiVersion"),
                    "kind": data.get("kind"),
                    "metadata": meta,
                }
        return await super()._handle(request)

    def _namespace(self, request: Any, name: str) -> aiohttp.web.StreamResponse:
        if request.method == "PATCH":
            obj = self.namespaces.setdefault(name, {"apiVersion": "v1", "kind": "Namespace"})
            obj.update(request.data or {})
            obj["status"] = {"phase": "Active"}
        elif name not in self.namespaces:
            return aiohttp.web.json_response(
                {"kind": "Status", "code": 404, "reason": "NotFound"}, status=404
            )
        elif request.method == "DELETE":
            return aiohttp.web.json_response(self.namespaces.pop(name))
        return aiohttp.web.json_response(self.namespaces[name])

    def _review(self, review: dict[str, Any]) -> dict[str, Any]:
        spec = review.get("spec", {})
        attrs_ = spec.get("resourceAttributes", {})
        resource = attrs_.get("resource", "") + (
            f"/{attrs_['subresource']}" if attrs_.get("subresource") else ""
        )
        grant = (
            spec.get("user", ""),
            attrs_.get("verb", ""),
            resource,
            attrs_.get("namespace", ""),
        )
        allowed = grant in self.grants
        review["status"] = {"allowed": allowed, "reason": "granted by the test" if allowed else ""}
        return review


def kubeconfig(url: str, namespace: str = "lab") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "lab",
        "clusters": [{"name": "lab", "cluster": {"server": url}}],
        "contexts": [
            {
                "name": "lab",
                "context": {"cluster": "lab", "user": "learner", "namespace": namespace},
            }
        ],
        "users": [{"name": "learner", "user": {"token": "lab-token"}}],
    }


@attrs.define
class Cluster:
    api: ApiServer
    url: str
    kubeconfig_path: Path

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """The sync client runs in a worker thread while the emulator serves on this loop."""
        return await asyncio.to_thread(fn, *args)


@pytest_asyncio.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    async with ApiServer() as api, kmock.Server(api) as server:
        for res in (
            "v1/pods",
            "v1/secrets",
            "v1/namespaces",
            "v1/nodes",
            "apps/v1/deployments",
            "rbac.authorization.k8s.io/v1/rolebindings",
            "v1/serviceaccounts",
        ):
            api.resources[res] = kmock.ResourceInfo()
        url = str(server.url).rstrip("/")
        path = tmp_path / "kubeconfig"
        path.write_text(yaml.safe_dump(kubeconfig(url)))
        yield Cluster(api, url, path)
