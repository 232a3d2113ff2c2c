"""Manifests -> :class:`Cluster`: multi-document YAML/JSON files, directories, ``List`` kinds.

Every problem names the file, the document (1-based, as a reader counts them)
and the field, because a NetworkPolicy that is silently read differently from
what its author meant is the bug this engine exists to catch.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from labtui.errors import InvalidInput
from labtui.netpol.model import (
    NAMESPACE_NAME_LABEL,
    Cluster,
    ContainerPort,
    Direction,
    IPAddress,
    IPBlock,
    IPNetwork,
    LabelSelector,
    Namespace,
    Peer,
    Pod,
    Policy,
    PortSpec,
    Protocol,
    Requirement,
    Rule,
    Source,
)

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
WORKLOAD_KINDS = (
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
)
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
_PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$")


class ManifestError(InvalidInput):
    """A manifest the engine cannot read the way Kubernetes would."""

    def __init__(self, where: Source | str, path: str, message: str, hint: str = "") -> None:
        field = f"{path}: " if path else ""
        super().__init__(f"{where}: {field}{message}", hint)
        self.where = where


class _Doc:
    """One object being read; ``fail`` raises with its location."""

    def __init__(self, source: Source) -> None:
        self.source = source

    def fail(self, path: str, message: str, hint: str = "") -> ManifestError:
        return ManifestError(self.source, path, message, hint)

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping, got {_kind_of(value)}")
        return value

    def sequence(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(
                path, f"expected a list, got {_kind_of(value)}", "start each element with '- '"
            )
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(path, f"expected a non-empty string, got {_kind_of(value)}")
        return value

    def only(self, data: dict[str, Any], path: str, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in data:
            if key not in allowed:
                raise self.fail(
                    f"{path}.{key}" if path else str(key),
                    "unknown field",
                    f"allowed here: {', '.join(allowed)}",
                )


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: f"the string {value!r}", bool: f"{value}"}.get(
        type(value), f"{type(value).__name__} {value!r}"
    )


# --------------------------------------------------------------------------- files


def manifest_files(paths: Iterable[str | Path]) -> list[tuple[Path, bool]]:
    """Files named directly, plus every YAML/JSON file under named directories (sorted).

    The flag says the file was named directly: only then is a document that is not
    an object at all (a JSON list of flows, say) an error rather than skipped.
    """
    out: list[tuple[Path, bool]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(
                (p, False)
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in MANIFEST_SUFFIXES
            )
        elif path.is_file():
            out.append((path, True))
        else:
            raise InvalidInput(
                f"{path}: no such file or directory",
                "give manifest files or directories that exist",
            )
    return out


def documents(path: Path, label: str | None = None) -> Iterator[tuple[Source, Any]]:
    """Each document of a file with its location; ``List`` kinds expand to their items."""
    shown = label or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{shown}: cannot read: {exc}") from None
    yield from text_documents(text, shown)


def text_documents(text: str, shown: str) -> Iterator[tuple[Source, Any]]:
    index = 0
    try:
        for data in yaml.safe_load_all(text):
            index += 1
            if data is None:
                continue
            source = Source(shown, index - 1)
            if (
                isinstance(data, dict)
                and isinstance(data.get("items"), list)
                and str(data.get("kind", "")).endswith("List")
            ):
                # Typed lists (PodList from `kubectl get pods -o yaml` of the API) omit items' kind.
                item_kind = str(data["kind"])[: -len("List")]
                for n, item in enumerate(data["items"]):
                    if item_kind and isinstance(item, dict) and "kind" not in item:
                        item = {"kind": item_kind, **item}
                    yield Source(shown, index - 1, n), item
            else:
                yield source, data
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ManifestError(
            Source(shown, index),
            "",
            f"not valid YAML{at}: {problem}",
            "fix the indentation or quoting at that line",
        ) from None


def load(paths: Sequence[str | Path], base: Path | None = None) -> Cluster:
    """Read every manifest under ``paths``; file names are shown relative to ``base``."""
    cluster = Cluster()
    for file, named in manifest_files(paths):
        shown = (
            str(file.relative_to(base)) if base is not None and file.is_relative_to(base) else None
        )
        for source, data in documents(file, shown):
            if not named and not isinstance(data, dict):
                cluster.ignored.append(f"{source}: not a Kubernetes object")
                continue
            add_object(cluster, source, data)
    return finish(cluster)


def load_text(text: str, name: str = "<text>") -> Cluster:
    cluster = Cluster()
    for source, data in text_documents(text, name):
        add_object(cluster, source, data)
    return finish(cluster)


def finish(cluster: Cluster) -> Cluster:
    for pod in cluster.pods:
        cluster.namespace(pod.namespace)
    for policy in cluster.policies:
        cluster.namespace(policy.namespace)
    return cluster


# --------------------------------------------------------------------------- objects


def add_object(cluster: Cluster, source: Source, data: Any) -> None:
    doc = _Doc(source)
    if not isinstance(data, dict):
        raise doc.fail("", f"expected a Kubernetes object (a mapping), got {_kind_of(data)}")
    kind = data.get("kind")
    if not isinstance(kind, str):
        raise doc.fail("kind", "missing", "every object needs apiVersion and kind")
    if kind == "Namespace":
        _add_namespace(cluster, doc, data)
    elif kind == "Pod":
        _add_pod(cluster, doc, data, None, data.get("spec"), kind)
    elif kind in WORKLOAD_KINDS:
        _add_pod(cluster, doc, data, *_template(doc, data, kind), kind)
    elif kind == "NetworkPolicy":
        api = data.get("apiVersion")
        if api != "networking.k8s.io/v1":
            raise doc.fail(
                "apiVersion",
                f"{api!r} is not networking.k8s.io/v1",
                "NetworkPolicy lives in apiVersion networking.k8s.io/v1",
            )
        policy = parse_policy(doc, data)
        for other in cluster.policies:
            if other.ref == policy.ref:
                raise doc.fail(
                    "metadata.name",
                    f"NetworkPolicy {policy.ref} is also declared in {other.source}",
                    "give each policy its own name (or delete the old file)",
                )
        cluster.policies.append(policy)
    else:
        name = (
            data.get("metadata", {}).get("name", "?")
            if isinstance(data.get("metadata"), dict)
            else "?"
        )
        cluster.ignored.append(f"{source}: {kind} {name}")


def _metadata(doc: _Doc, data: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
    meta = doc.mapping(data.get("metadata"), "metadata")
    name = doc.string(meta.get("name"), "metadata.name")
    namespace = meta.get("namespace") or "default"
    if not isinstance(namespace, str):
        raise doc.fail("metadata.namespace", f"expected a string, got {_kind_of(namespace)}")
    return name, namespace, _labels(doc, meta.get("labels"), "metadata.labels")


def _labels(doc: _Doc, value: Any, path: str) -> dict[str, str]:
    labels = doc.mapping(value, path)
    out = {}
    for key, val in labels.items():
        if not isinstance(val, str):
            if val is None or isinstance(val, dict | list):
                raise doc.fail(
                    f"{path}.{key}", f"a label value must be a string, got {_kind_of(val)}"
                )
            raise doc.fail(
                f"{path}.{key}",
                f"label values are strings, got {_kind_of(val)}",
                f'quote it: {key}: "{val}"',
            )
        out[str(key)] = val
    return out


def _add_namespace(cluster: Cluster, doc: _Doc, data: dict[str, Any]) -> None:
    meta = doc.mapping(data.get("metadata"), "metadata")
    name = doc.string(meta.get("name"), "metadata.name")
    labels = _labels(doc, meta.get("labels"), "metadata.labels")
    labels[NAMESPACE_NAME_LABEL] = name
    cluster.namespaces[name] = Namespace(name, labels)


def _template(doc: _Doc, data: dict[str, Any], kind: str) -> tuple[dict[str, str], Any]:
    spec = doc.mapping(data.get("spec"), "spec")
    prefix = "spec"
    if kind == "CronJob":
        spec = doc.mapping(
            doc.mapping(spec.get("jobTemplate"), "spec.jobTemplate").get("spec"),
            "spec.jobTemplate.spec",
        )
        prefix = "spec.jobTemplate.spec"
    template = doc.mapping(spec.get("template"), f"{prefix}.template")
    meta = doc.mapping(template.get("metadata"), f"{prefix}.template.metadata")
    return _labels(doc, meta.get("labels"), f"{prefix}.template.metadata.labels"), template.get(
        "spec"
    )


def _add_pod(
    cluster: Cluster,
    doc: _Doc,
    data: dict[str, Any],
    template_labels: dict[str, str] | None,
    spec_value: Any,
    kind: str,
) -> None:
    """A Pod, or a workload's representative pod (named after it, with its template's labels)."""
    name, namespace, labels = _metadata(doc, data)
    if template_labels is not None:
        labels = template_labels
    spec = doc.mapping(spec_value, "spec")
    ports: list[ContainerPort] = []
    for ci, container in enumerate(doc.sequence(spec.get("containers"), "spec.containers")):
        container = doc.mapping(container, f"spec.containers[{ci}]")
        for pi, port in enumerate(
            doc.sequence(container.get("ports"), f"spec.containers[{ci}].ports")
        ):
            where = f"spec.containers[{ci}].ports[{pi}]"
            port = doc.mapping(port, where)
            number = port.get("containerPort")
            if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 65535:
                raise doc.fail(
                    f"{where}.containerPort",
                    f"expected a port number 1-65535, got {_kind_of(number)}",
                )
            ports.append(
                ContainerPort(
                    number,
                    _protocol(doc, port.get("protocol"), f"{where}.protocol"),
                    port.get("name") if isinstance(port.get("name"), str) else None,
                )
            )
    owner = None
    meta = doc.mapping(data.get("metadata"), "metadata")
    for ref in doc.sequence(meta.get("ownerReferences"), "metadata.ownerReferences"):
        if isinstance(ref, dict) and isinstance(ref.get("name"), str):
            owner = ref["name"]
            if ref.get("controller"):
                break
    status: dict[str, Any] = data["status"] if isinstance(data.get("status"), dict) else {}
    ips: list[IPAddress] = []
    raw_ips = [status.get("podIP")] + [
        p.get("ip") for p in status.get("podIPs") or [] if isinstance(p, dict)
    ]
    for raw in raw_ips:
        if isinstance(raw, str) and raw:
            try:
                ip = ipaddress.ip_address(raw)
            except ValueError:
                raise doc.fail("status.podIP", f"{raw!r} is not an IP address") from None
            if ip not in ips:
                ips.append(ip)
    pod = Pod(
        name,
        namespace,
        labels,
        tuple(ports),
        kind,
        owner,
        tuple(ips),
        bool(spec.get("hostNetwork")),
        doc.source,
    )
    for other in cluster.pods:
        if other.ref == pod.ref and (other.kind == "Pod") == (kind == "Pod"):
            raise doc.fail(
                "metadata.name",
                f"{kind} {pod.ref} is also declared in {other.source}",
                "give each object its own name",
            )
    cluster.pods.append(pod)


# --------------------------------------------------------------------------- policies


def _protocol(doc: _Doc, value: Any, path: str) -> Protocol:
    if value is None:
        return Protocol.TCP
    try:
        return Protocol(value)
    except ValueError:
        raise doc.fail(
            path, f"unknown protocol {value!r}", "use TCP, UDP or SCTP (upper case)"
        ) from None


def parse_selector(doc: _Doc, value: Any, path: str) -> LabelSelector:
    data = doc.mapping(value, path)
    doc.only(data, path, ("matchLabels", "matchExpressions"))
    labels = _labels(doc, data.get("matchLabels"), f"{path}.matchLabels")
    expressions = []
    for i, raw in enumerate(doc.sequence(data.get("matchExpressions"), f"{path}.matchExpressions")):
        where = f"{path}.matchExpressions[{i}]"
        expr = doc.mapping(raw, where)
        doc.only(expr, where, ("key", "operator", "values"))
        key = doc.string(expr.get("key"), f"{where}.key")
        op = expr.get("operator")
        if op not in OPERATORS:
            raise doc.fail(
                f"{where}.operator",
                f"unknown operator {op!r}",
                f"use one of {', '.join(OPERATORS)}",
            )
        values = doc.sequence(expr.get("values"), f"{where}.values")
        if op in ("In", "NotIn") and not values:
            raise doc.fail(f"{where}.values", f"{op} needs at least one value")
        if op in ("Exists", "DoesNotExist") and values:
            raise doc.fail(f"{where}.values", f"{op} takes no values", "remove values")
        for v in values:
            if not isinstance(v, str):
                raise doc.fail(
                    f"{where}.values", f"values are strings, got {_kind_of(v)}", "quote the value"
                )
        expressions.append(Requirement(key, op, frozenset(values)))
    return LabelSelector(tuple(sorted(labels.items())), tuple(expressions))


def _network(doc: _Doc, value: Any, path: str) -> IPNetwork:
    if not isinstance(value, str):
        raise doc.fail(path, f"expected a CIDR such as 10.0.0.0/8, got {_kind_of(value)}")
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise doc.fail(
            path, f"{value!r} is not a CIDR", "write it as ADDRESS/PREFIX, e.g. 10.0.0.0/8"
        ) from None


def _peer(doc: _Doc, value: Any, path: str) -> Peer:
    data = doc.mapping(value, path)
    doc.only(data, path, ("podSelector", "namespaceSelector", "ipBlock"))
    if not data:
        raise doc.fail(
            path,
            "a peer needs podSelector, namespaceSelector or ipBlock",
            "to allow every peer, leave out from/to entirely",
        )
    if "ipBlock" in data:
        if len(data) > 1:
            raise doc.fail(
                path,
                "ipBlock cannot be combined with podSelector or namespaceSelector",
                "put the ipBlock in its own list element (- ipBlock: ...)",
            )
        block = doc.mapping(data["ipBlock"], f"{path}.ipBlock")
        doc.only(block, f"{path}.ipBlock", ("cidr", "except"))
        cidr = _network(doc, block.get("cidr"), f"{path}.ipBlock.cidr")
        excepts = []
        for i, raw in enumerate(doc.sequence(block.get("except"), f"{path}.ipBlock.except")):
            net = _network(doc, raw, f"{path}.ipBlock.except[{i}]")
            if net.version != cidr.version or not net.subnet_of(cidr) or net == cidr:  # type: ignore[arg-type]
                raise doc.fail(
                    f"{path}.ipBlock.except[{i}]",
                    f"{net} is not strictly inside {cidr}",
                    "except lists ranges to cut out of cidr",
                )
            excepts.append(net)
        return Peer(ip_block=IPBlock(cidr, tuple(excepts)))
    pods = (
        parse_selector(doc, data["podSelector"], f"{path}.podSelector")
        if "podSelector" in data
        else None
    )
    nss = (
        parse_selector(doc, data["namespaceSelector"], f"{path}.namespaceSelector")
        if "namespaceSelector" in data
        else None
    )
    return Peer(pods, nss)


def _port(doc: _Doc, value: Any, path: str) -> PortSpec:
    data = doc.mapping(value, path)
    doc.only(data, path, ("protocol", "port", "endPort"))
    protocol = _protocol(doc, data.get("protocol"), f"{path}.protocol")
    port = data.get("port")
    end = data.get("endPort")
    if isinstance(port, bool) or (port is not None and not isinstance(port, int | str)):
        raise doc.fail(f"{path}.port", f"expected a number or a port name, got {_kind_of(port)}")
    if isinstance(port, int) and not 1 <= port <= 65535:
        raise doc.fail(f"{path}.port", f"{port} is not a port (1-65535)")
    if isinstance(port, str):
        if port.isdigit():
            raise doc.fail(
                f"{path}.port",
                f"{port!r} is a string, so it would be a port name",
                f"write the number without quotes: port: {port}",
            )
        if not _PORT_NAME.match(port):
            raise doc.fail(
                f"{path}.port",
                f"{port!r} is not a valid port name",
                "a port name is 1-15 lower-case letters, digits and '-'",
            )
    if end is not None:
        if not isinstance(end, int) or isinstance(end, bool):
            raise doc.fail(f"{path}.endPort", f"expected a number, got {_kind_of(end)}")
        if not isinstance(port, int):
            raise doc.fail(
                f"{path}.endPort",
                "endPort needs a numeric port",
                "set port to the first number of the range",
            )
        if end < port or end > 65535:
            raise doc.fail(f"{path}.endPort", f"{end} must be between port ({port}) and 65535")
    return PortSpec(protocol, port, end)


def _rules(doc: _Doc, value: Any, path: str, peer_key: str) -> tuple[Rule, ...]:
    rules = []
    for i, raw in enumerate(doc.sequence(value, path)):
        where = f"{path}[{i}]"
        data = doc.mapping(raw, where)
        doc.only(data, where, (peer_key, "ports"))
        peers = None
        if data.get(peer_key) is not None:
            peers = tuple(
                _peer(doc, p, f"{where}.{peer_key}[{j}]")
                for j, p in enumerate(doc.sequence(data[peer_key], f"{where}.{peer_key}"))
            )
        ports = None
        if data.get("ports") is not None:
            ports = tuple(
                _port(doc, p, f"{where}.ports[{j}]")
                for j, p in enumerate(doc.sequence(data["ports"], f"{where}.ports"))
            )
        rules.append(Rule(peers, ports))
    return tuple(rules)


def parse_policy(doc: _Doc, data: dict[str, Any]) -> Policy:
    name, namespace, _ = _metadata(doc, data)
    spec = doc.mapping(data.get("spec"), "spec")
    doc.only(spec, "spec", ("podSelector", "policyTypes", "ingress", "egress"))
    if "podSelector" not in spec:
        raise doc.fail(
            "spec.podSelector",
            "missing",
            "say which pods the policy applies to; podSelector: {} selects every pod of the namespace",
        )
    selector = parse_selector(doc, spec["podSelector"], "spec.podSelector")
    raw_types = doc.sequence(spec.get("policyTypes"), "spec.policyTypes")
    types: set[Direction] = set()
    for i, t in enumerate(raw_types):
        try:
            types.add(Direction(t))
        except ValueError:
            raise doc.fail(
                f"spec.policyTypes[{i}]", f"unknown policy type {t!r}", "use Ingress and/or Egress"
            ) from None
    ingress = _rules(doc, spec.get("ingress"), "spec.ingress", "from")
    egress = _rules(doc, spec.get("egress"), "spec.egress", "to")
    if not types:
        # The API server's defaulting: Ingress always, Egress only when egress rules exist.
        types = {Direction.ingress} | ({Direction.egress} if egress else set())
    return Policy(name, namespace, selector, frozenset(types), ingress, egress, doc.source)
