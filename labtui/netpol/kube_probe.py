"""Probing flows on a real cluster with stand-in pods and fresh connections.

For a flow ``src -> dst:port`` the prober runs two small pods that carry the
endpoints' labels in the endpoints' namespaces: a listener (busybox ``httpd``) on
the port and a client that opens a new TCP connection with ``nc`` for every
probe (kindnet keeps established connections alive under a new policy, so a
reused connection would lie). Policies select pods by label, so the stand-ins
get exactly the verdict the real workloads would, without needing a shell or
netcat in the lab's own images. UDP/SCTP and addresses outside the cluster are
not probed: the engine's verdict stands alone for those flows.

Two things keep the stand-ins from disturbing the lab. They are owned by a
ConfigMap of the prober's (a controller owner reference), so a ReplicaSet or
Deployment whose selector matches the copied labels cannot adopt them and then
delete a pod to keep its replica count. And the prober applies namespaces with
its own field manager, so the labels labtui's ``down`` relies on, owned by
labtui's manager, are never dropped by the prober's apply.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from labtui.errors import LabError
from labtui.names import PROBE_LABEL
from labtui.netpol.evaluate import resolve
from labtui.netpol.model import Pod, World

PROBE_MANAGER = "labtui-probe"
OWNER = "labtui-probe-owner"
CONNECT_SECONDS = 2
SERVICE_ACCOUNT_TRIES = 60
PAGE = "labtui-probe-reached"


class ProbeUnsupported(LabError):
    """This flow cannot be probed for real; the engine's verdict is all there is."""


class KubeAPI(Protocol):
    """The part of :class:`labtui.drivers.kube.KubeClient` the prober uses."""

    def apply(
        self,
        obj: dict[str, Any],
        namespace: str | None = None,
        force: bool = True,
        field_manager: str = ...,
    ) -> dict[str, Any]: ...

    def wait_ready(
        self,
        api_version: str,
        plural: str,
        name: str,
        namespace: str | None = None,
        timeout: float = 120.0,
    ) -> dict[str, Any]: ...

    def exec(
        self,
        pod: str,
        namespace: str,
        argv: list[str],
        container: str | None = None,
        timeout: float = 30.0,
    ) -> Any: ...

    def delete(
        self, api_version: str, plural: str, name: str, namespace: str | None = None
    ) -> bool: ...

    def ensure_namespace(
        self, name: str, labels: dict[str, str] | None = None, field_manager: str = ...
    ) -> dict[str, Any]: ...


def _name(role: str, *parts: object) -> str:
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:10]
    return f"labtui-probe-{role}-{digest}"


def _ports(pod: Pod) -> list[dict[str, Any]]:
    out = []
    for p in pod.ports:
        entry: dict[str, Any] = {"containerPort": p.port, "protocol": str(p.protocol.value)}
        if p.name:
            entry["name"] = p.name
        out.append(entry)
    return out


@dataclass
class KubeProber:
    kube: KubeAPI
    cluster: World
    image: str
    ready_timeout: float = 120.0
    # Seconds for the enforcer to add newly started stand-ins to its rules.
    settle: float = 3.0
    made: dict[str, str] = field(default_factory=dict)  # pod name -> namespace
    _ips: dict[str, str] = field(default_factory=dict)
    _owners: dict[str, str] = field(default_factory=dict)  # namespace -> owner ConfigMap uid

    def prepare(self, flows: list[tuple[str, str, int, str]]) -> None:
        """Start the stand-ins of every flow first, then give the enforcer a moment to
        put the new pods into its rules, so no probe races a pod the enforcer has not seen."""
        made = len(self.made)
        for src, dst, port, protocol in flows:
            if protocol.upper() != "TCP":
                continue
            source, target = resolve(self.cluster, src), resolve(self.cluster, dst)
            if not isinstance(source, Pod) or not isinstance(target, Pod):
                continue
            self._listener(target, port)
            self._client(source)
        if len(self.made) > made and self.settle > 0:
            time.sleep(self.settle)

    def probe(self, src: str, dst: str, port: int, protocol: str) -> bool:
        if protocol.upper() != "TCP":
            raise ProbeUnsupported(
                f"only TCP flows are probed; {protocol} is judged by the engine alone"
            )
        source, target = resolve(self.cluster, src), resolve(self.cluster, dst)
        if not isinstance(source, Pod) or not isinstance(target, Pod):
            raise ProbeUnsupported("flows to or from addresses outside the cluster are not probed")
        ip = self._listener(target, port)
        client = self._client(source)
        result = self.kube.exec(
            client,
            source.namespace,
            # nc, not wget: Debian's static busybox wget crashes (glibc's resolver in a
            # static binary); a plain request through nc works in every busybox.
            [
                "sh",
                "-c",
                f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w {CONNECT_SECONDS} {ip} {port}",
            ],
            timeout=CONNECT_SECONDS + 10,
        )
        # Allowed only when the page came back: a refused, dropped or timed-out
        # connection, and a client that could not run at all, are not "allowed".
        return getattr(result, "exit_code", None) == 0 and PAGE in getattr(result, "stdout", "")

    def _client(self, source: Pod) -> str:
        return self._pod(
            _name("c", source.namespace, sorted(source.labels.items())),
            source,
            "client",
            ["sleep", "1d"],
        )

    def _listener(self, target: Pod, port: int) -> str:
        name = self._pod(
            _name("l", target.namespace, sorted(target.labels.items()), port),
            target,
            "listener",
            # busybox httpd: a listener that stays up between connections in every
            # busybox build (Debian's nc has neither -k nor -z), serving one page.
            ["sh", "-c", f"echo {PAGE} > /tmp/index.html && exec httpd -f -p {port} -h /tmp"],
        )
        return self._ips[name]

    def _pod(self, name: str, like: Pod, role: str, command: list[str]) -> str:
        if name in self.made:
            return name
        owner = self._owner(like.namespace)
        self._apply_pod(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": name,
                    "namespace": like.namespace,
                    "labels": {**like.labels, PROBE_LABEL: role},
                    "ownerReferences": [
                        {
                            "apiVersion": "v1",
                            "kind": "ConfigMap",
                            "name": OWNER,
                            "uid": owner,
                            "controller": True,
                        }
                    ],
                },
                "spec": {
                    "terminationGracePeriodSeconds": 0,
                    "containers": [
                        {
                            "name": "probe",
                            "image": self.image,
                            "command": command,
                            # The ports of the pod it stands for, so that a policy's named
                            # port (`port: metrics`) resolves for the stand-in as for it.
                            **({"ports": _ports(like)} if like.ports else {}),
                        }
                    ],
                },
            },
        )
        self.made[name] = like.namespace
        pod = self.kube.wait_ready("v1", "pods", name, like.namespace, timeout=self.ready_timeout)
        ip = str((pod.get("status") or {}).get("podIP") or "")
        if not ip:
            raise LabError(f"probe pod {like.namespace}/{name} has no IP")
        self._ips[name] = ip
        return name

    def _apply_pod(self, pod: dict[str, Any]) -> None:
        """Apply a stand-in; in a namespace made a moment ago, wait for its default
        ServiceAccount (the controller manager adds it; until then pods are refused)."""
        for attempt in range(SERVICE_ACCOUNT_TRIES):
            try:
                self.kube.apply(pod, field_manager=PROBE_MANAGER)
                return
            except LabError as exc:
                waiting = "serviceaccount" in exc.message and "not found" in exc.message
                if not waiting or attempt == SERVICE_ACCOUNT_TRIES - 1:
                    raise
                time.sleep(1.0)

    def _owner(self, namespace: str) -> str:
        """The namespace (with the world's labels) and the ConfigMap that owns the stand-ins."""
        if namespace not in self._owners:
            ns = self.cluster.namespaces.get(namespace)
            labels = dict(ns.labels) if ns else None
            self.kube.ensure_namespace(namespace, labels, field_manager=PROBE_MANAGER)
            made = self.kube.apply(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {
                        "name": OWNER,
                        "namespace": namespace,
                        "labels": {PROBE_LABEL: "owner"},
                    },
                },
                field_manager=PROBE_MANAGER,
            )
            uid = str((made.get("metadata") or {}).get("uid") or "")
            if not uid:
                raise LabError(f"the probe owner {namespace}/{OWNER} has no uid")
            self._owners[namespace] = uid
        return self._owners[namespace]

    def close(self) -> None:
        """Remove every stand-in pod this prober made, then their owners."""
        for name, namespace in list(self.made.items()):
            try:
                self.kube.delete("v1", "pods", name, namespace)
            except LabError:
                continue
            self.made.pop(name, None)
        for namespace in list(self._owners):
            try:
                self.kube.delete("v1", "configmaps", OWNER, namespace)
            except LabError:
                continue
            self._owners.pop(namespace, None)
