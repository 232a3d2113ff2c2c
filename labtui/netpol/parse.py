"""Manifests -> :class:`World`: multi-document YAML/JSON files, directories, ``List`` kinds.

Every problem names the file and line, the document and the field, because a
NetworkPolicy that is silently read differently from what its author meant is
the bug this engine exists to catch. Reading follows the API server:

- a manifest it would reject is an error here too: unknown or duplicate fields
  (strict field validation), and the rules of k8s.io/kubernetes
  ``pkg/apis/networking/validation`` (``ValidateNetworkPolicySpec``,
  ``ValidateNetworkPolicyPeer``, ``ValidateNetworkPolicyPort``,
  ``ValidateIPBlock``) and ``pkg/apis/core/validation`` (container ports) for
  the fields the engine reads (see :mod:`labtui.netpol.schema`);
- an explicit ``null`` means exactly what leaving the field out means, as the
  API server decodes it (``namespaceSelector: null`` is no namespaceSelector).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from labtui.manifests import (
    LinedMapping,
    ManifestError,
    documents,
    kind_of,
    manifest_files,
    text_documents,
)
from labtui.netpol import schema
from labtui.netpol.model import (
    NAMESPACE_NAME_LABEL,
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
    PortProtocol,
    PortSpec,
    Rule,
    SelectorRequirement,
    Source,
    World,
)

WORKLOAD_KINDS = tuple(schema.WORKLOAD_SPEC)
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
_CIDR = re.compile(r"^[^/]+/[0-9]+$")


# --------------------------------------------------------------------------- one object


class _Doc:
    """One object being read; ``fail`` raises with its location.

    Every mapping the reader looks into goes through :meth:`only`, which also
    notes the line of each field path, so an error points at its line.
    """

    def __init__(self, source: Source, root: Any = None) -> None:
        self.source = source
        self.lines: dict[str, int] = {}
        if isinstance(root, LinedMapping) and root.line is not None:
            self.lines[""] = root.line

    def line(self, path: str) -> int | None:
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return self.source.line
            cut = max(path.rfind("."), path.rfind("["))
            path = path[: max(cut, 0)]

    def at(self, path: str) -> Source:
        return replace(self.source, line=self.line(path))

    def fail(self, path: str, message: str, hint: str = "") -> ManifestError:
        return ManifestError(self.at(path), path, message, hint)

    def note(self, value: Any, path: str) -> None:
        if isinstance(value, LinedMapping):
            if value.line is not None:
                self.lines.setdefault(path, value.line)
            for key, line in value.key_lines.items():
                self.lines[f"{path}.{key}" if path else str(key)] = line

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        """A mapping, with ``null`` read as an empty one (the field's zero value)."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping, got {kind_of(value)}")
        self.note(value, path)
        return value

    def sequence(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(
                path, f"expected a list, got {kind_of(value)}", "start each element with '- '"
            )
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(path, f"expected a non-empty string, got {kind_of(value)}")
        return value

    def only(self, data: dict[str, Any], path: str, allowed: Iterable[str]) -> None:
        """Strict field validation: every key of ``data`` must be a field of its type."""
        allowed = tuple(allowed)
        self.note(data, path)
        for key in data:
            if key not in allowed:
                near = difflib.get_close_matches(str(key), allowed, n=1)
                if near:
                    hint = f"did you mean {near[0]}?"
                elif len(allowed) <= 8:
                    hint = f"allowed here: {', '.join(allowed)}"
                else:
                    hint = "check the spelling against the Kubernetes API reference"
                raise self.fail(
                    f"{path}.{key}" if path else str(key),
                    "unknown field (kubectl apply rejects it: strict field validation)",
                    hint,
                )


# --------------------------------------------------------------------------- files


def load(paths: Sequence[str | Path], base: Path | None = None) -> World:
    """Read every manifest under ``paths``; file names are shown relative to ``base``."""
    cluster = World()
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


def load_text(text: str, name: str = "<text>") -> World:
    cluster = World()
    for source, data in text_documents(text, name):
        add_object(cluster, source, data)
    return finish(cluster)


def finish(cluster: World) -> World:
    """Check every namespace an object is in, and record the ones that are assumed.

    The API server refuses an object in a namespace that does not exist. When the
    manifests declare Namespaces they are taken as the cluster's list of
    namespaces: an object in any other one (a typo such as ``shpo``) is an error,
    except the namespaces every cluster has (``default``, ``kube-system``, ...).
    When they declare none (a folder of workloads and policies only), every
    namespace the objects use is assumed and listed in ``cluster.assumed``.
    """
    declared = set(cluster.namespaces)
    places: list[tuple[str, Source | None, str]] = [
        (p.namespace, p.source, f"{p.kind} {p.ref}") for p in cluster.pods
    ] + [(p.namespace, p.source, f"NetworkPolicy {p.ref}") for p in cluster.policies]
    for namespace, source, what in places:
        if namespace in cluster.namespaces:
            continue
        if declared and namespace not in schema.SYSTEM_NAMESPACES:
            near = difflib.get_close_matches(namespace, sorted(declared), n=1)
            raise ManifestError(
                source or "<manifests>",
                "metadata.namespace",
                f"{what} is in namespace {namespace}, which no Namespace object declares "
                f"(declared: {', '.join(sorted(declared))}); the API server refuses objects "
                "in a namespace that does not exist",
                f"did you mean {near[0]}?"
                if near
                else f"fix the namespace, or declare it (kind: Namespace, name: {namespace})",
            )
        cluster.namespace(namespace)
        cluster.assumed.append(namespace)
    return cluster


# --------------------------------------------------------------------------- objects


def add_object(cluster: World, source: Source, data: Any) -> None:
    doc = _Doc(source, data)
    if not isinstance(data, dict):
        raise doc.fail("", f"expected a Kubernetes object (a mapping), got {kind_of(data)}")
    kind = data.get("kind")
    if not isinstance(kind, str):
        raise doc.fail("kind", "missing", "every object needs apiVersion and kind")
    if kind == "Namespace":
        _add_namespace(cluster, doc, data)
    elif kind == "Pod":
        doc.only(data, "", schema.OBJECT)
        _add_pod(cluster, doc, data, None, data.get("spec"), "spec", kind)
    elif kind in WORKLOAD_KINDS:
        doc.only(data, "", schema.OBJECT)
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


def _meta(doc: _Doc, value: Any, path: str) -> dict[str, Any]:
    meta = doc.mapping(value, path)
    doc.only(meta, path, schema.OBJECT_META)
    return meta


def _metadata(doc: _Doc, data: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
    meta = _meta(doc, data.get("metadata"), "metadata")
    name = doc.string(meta.get("name"), "metadata.name")
    namespace = meta.get("namespace") or "default"
    if not isinstance(namespace, str):
        raise doc.fail("metadata.namespace", f"expected a string, got {kind_of(namespace)}")
    problem = schema.dns_label_problem(namespace)
    if problem:
        raise doc.fail("metadata.namespace", f"{namespace!r} is not a namespace name: {problem}")
    return name, namespace, _labels(doc, meta.get("labels"), "metadata.labels")


def _labels(doc: _Doc, value: Any, path: str, selector: bool = False) -> dict[str, str]:
    """Labels (or a selector's matchLabels): keys and values as ``ValidateLabels`` wants them."""
    labels = doc.mapping(value, path)
    out = {}
    for key, val in labels.items():
        where = f"{path}.{key}"
        if not isinstance(val, str):
            if val is None or isinstance(val, dict | list):
                raise doc.fail(where, f"a label value must be a string, got {kind_of(val)}")
            raise doc.fail(
                where,
                f"label values are strings, got {kind_of(val)}",
                f'quote it: {key}: "{val}"',
            )
        problem = schema.label_key_problem(str(key))
        if problem:
            raise doc.fail(where, f"{str(key)!r} is not a label key: {problem}")
        problem = schema.label_value_problem(val)
        if problem:
            what = "a selector" if selector else "a label"
            raise doc.fail(where, f"{val!r} is not valid in {what}: {problem}")
        out[str(key)] = val
    return out


def _add_namespace(cluster: World, doc: _Doc, data: dict[str, Any]) -> None:
    doc.only(data, "", schema.OBJECT)
    meta = _meta(doc, data.get("metadata"), "metadata")
    name = doc.string(meta.get("name"), "metadata.name")
    problem = schema.dns_label_problem(name)
    if problem:
        raise doc.fail("metadata.name", f"{name!r} is not a namespace name: {problem}")
    labels = _labels(doc, meta.get("labels"), "metadata.labels")
    labels[NAMESPACE_NAME_LABEL] = name
    if name in cluster.namespaces:
        raise doc.fail(
            "metadata.name",
            f"Namespace {name} is declared twice",
            "keep one declaration (the labels of the other would be lost)",
        )
    cluster.namespaces[name] = Namespace(name, labels)


def _template(doc: _Doc, data: dict[str, Any], kind: str) -> tuple[dict[str, str], Any, str]:
    spec = doc.mapping(data.get("spec"), "spec")
    doc.only(spec, "spec", schema.WORKLOAD_SPEC[kind])
    prefix = "spec"
    if kind == "CronJob":
        job = doc.mapping(spec.get("jobTemplate"), "spec.jobTemplate")
        doc.only(job, "spec.jobTemplate", schema.TEMPLATE)
        _meta(doc, job.get("metadata"), "spec.jobTemplate.metadata")
        prefix = "spec.jobTemplate.spec"
        spec = doc.mapping(job.get("spec"), prefix)
        doc.only(spec, prefix, schema.JOB_SPEC)
    template = doc.mapping(spec.get("template"), f"{prefix}.template")
    doc.only(template, f"{prefix}.template", schema.TEMPLATE)
    meta = _meta(doc, template.get("metadata"), f"{prefix}.template.metadata")
    labels = _labels(doc, meta.get("labels"), f"{prefix}.template.metadata.labels")
    return labels, template.get("spec"), f"{prefix}.template.spec"


def _container_ports(doc: _Doc, spec: dict[str, Any], path: str) -> list[ContainerPort]:
    """``validateContainerPorts``: numbers 1-65535, IANA_SVC_NAME names unique per container."""
    ports: list[ContainerPort] = []
    for ci, raw in enumerate(doc.sequence(spec.get("containers"), f"{path}.containers")):
        where_c = f"{path}.containers[{ci}]"
        container = doc.mapping(raw, where_c)
        doc.only(container, where_c, schema.CONTAINER)
        names: set[str] = set()
        for pi, raw_port in enumerate(doc.sequence(container.get("ports"), f"{where_c}.ports")):
            where = f"{where_c}.ports[{pi}]"
            port = doc.mapping(raw_port, where)
            doc.only(port, where, schema.CONTAINER_PORT)
            number = port.get("containerPort")
            if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 65535:
                raise doc.fail(
                    f"{where}.containerPort",
                    f"expected a port number 1-65535, got {kind_of(number)}",
                )
            name = port.get("name")
            if name is not None and not isinstance(name, str):
                raise doc.fail(f"{where}.name", f"expected a port name, got {kind_of(name)}")
            if name:
                problem = schema.port_name_problem(name)
                if problem:
                    raise doc.fail(
                        f"{where}.name",
                        f"{name!r} is not a valid port name: {problem}",
                        "a port name (IANA_SVC_NAME) is 1-15 lower-case letters, digits and "
                        "single '-' between them, with at least one letter",
                    )
                if name in names:
                    raise doc.fail(
                        f"{where}.name",
                        f"the container already has a port named {name}",
                        "give each port of a container its own name",
                    )
                names.add(name)
            protocol = _protocol(doc, port.get("protocol"), f"{where}.protocol")
            ports.append(ContainerPort(number, protocol, name or None))
    return ports


def _pod_ips(doc: _Doc, data: dict[str, Any]) -> list[IPAddress]:
    status = doc.mapping(data.get("status"), "status")
    doc.only(status, "status", schema.POD_STATUS)
    raw_ips = [("status.podIP", status.get("podIP"))]
    for i, entry in enumerate(doc.sequence(status.get("podIPs"), "status.podIPs")):
        entry = doc.mapping(entry, f"status.podIPs[{i}]")
        doc.only(entry, f"status.podIPs[{i}]", schema.POD_IP)
        raw_ips.append((f"status.podIPs[{i}].ip", entry.get("ip")))
    ips: list[IPAddress] = []
    for where, raw in raw_ips:
        if isinstance(raw, str) and raw:
            try:
                ip = ipaddress.ip_address(raw)
            except ValueError:
                raise doc.fail(where, f"{raw!r} is not an IP address") from None
            if ip not in ips:
                ips.append(ip)
    return ips


def _add_pod(
    cluster: World,
    doc: _Doc,
    data: dict[str, Any],
    template_labels: dict[str, str] | None,
    spec_value: Any,
    spec_path: str,
    kind: str,
) -> None:
    """A Pod, or a workload's representative pod (named after it, with its template's labels)."""
    name, namespace, labels = _metadata(doc, data)
    if template_labels is not None:
        labels = template_labels
    spec = doc.mapping(spec_value, spec_path)
    doc.only(spec, spec_path, schema.POD_SPEC)
    ports = _container_ports(doc, spec, spec_path)
    owner = None
    meta = doc.mapping(data.get("metadata"), "metadata")
    for i, raw in enumerate(doc.sequence(meta.get("ownerReferences"), "metadata.ownerReferences")):
        ref = doc.mapping(raw, f"metadata.ownerReferences[{i}]")
        doc.only(ref, f"metadata.ownerReferences[{i}]", schema.OWNER_REFERENCE)
        if isinstance(ref.get("name"), str):
            owner = ref["name"]
            if ref.get("controller"):
                break
    ips = _pod_ips(doc, data) if kind == "Pod" else []
    pod = Pod(
        name,
        namespace,
        labels,
        tuple(ports),
        kind,
        owner,
        tuple(ips),
        bool(spec.get("hostNetwork")),
        doc.at("metadata.namespace"),
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


def _protocol(doc: _Doc, value: Any, path: str) -> PortProtocol:
    if value is None:
        return PortProtocol.TCP
    try:
        return PortProtocol(value)
    except ValueError:
        raise doc.fail(
            path, f"unknown protocol {value!r}", "use TCP, UDP or SCTP (upper case)"
        ) from None


def parse_selector(doc: _Doc, value: Any, path: str) -> LabelSelector:
    """A label selector (``ValidateLabelSelector``); ``null`` reads as ``{}``.

    Callers decide what a ``null`` selector means where it is optional (a peer's
    selectors): this function is only called for a selector that is present.
    """
    data = doc.mapping(value, path)
    doc.only(data, path, ("matchLabels", "matchExpressions"))
    labels = _labels(doc, data.get("matchLabels"), f"{path}.matchLabels", selector=True)
    expressions = []
    for i, raw in enumerate(doc.sequence(data.get("matchExpressions"), f"{path}.matchExpressions")):
        where = f"{path}.matchExpressions[{i}]"
        expr = doc.mapping(raw, where)
        doc.only(expr, where, ("key", "operator", "values"))
        key = doc.string(expr.get("key"), f"{where}.key")
        problem = schema.label_key_problem(key)
        if problem:
            raise doc.fail(f"{where}.key", f"{key!r} is not a label key: {problem}")
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
                    f"{where}.values", f"values are strings, got {kind_of(v)}", "quote the value"
                )
            problem = schema.label_value_problem(v)
            if problem:
                raise doc.fail(f"{where}.values", f"{v!r} is not a label value: {problem}")
        expressions.append(SelectorRequirement(key, op, frozenset(values)))
    return LabelSelector(tuple(sorted(labels.items())), tuple(expressions))


def _network(doc: _Doc, value: Any, path: str) -> IPNetwork:
    """A CIDR as ``IsValidCIDRForLegacyField`` takes it: an address, '/', a prefix length."""
    if value is None or value == "":
        raise doc.fail(path, "required", "write a CIDR such as 10.0.0.0/8")
    if not isinstance(value, str):
        raise doc.fail(path, f"expected a CIDR such as 10.0.0.0/8, got {kind_of(value)}")
    if not _CIDR.match(value):
        hint = "write it as ADDRESS/PREFIX, e.g. 10.0.0.0/8"
        if "/" not in value:
            hint = f"add the prefix length: {value}/32 for one IPv4 address, /128 for IPv6"
        raise doc.fail(path, f"{value!r} is not a CIDR (it needs /PREFIX-LENGTH)", hint)
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise doc.fail(
            path, f"{value!r} is not a CIDR", "write it as ADDRESS/PREFIX, e.g. 10.0.0.0/8"
        ) from None


def _peer(doc: _Doc, value: Any, path: str) -> Peer:
    """``ValidateNetworkPolicyPeer``: at least one of the three, ipBlock alone; null is unset."""
    data = doc.mapping(value, path)
    doc.only(data, path, ("podSelector", "namespaceSelector", "ipBlock"))
    present = [
        k for k in ("podSelector", "namespaceSelector", "ipBlock") if data.get(k) is not None
    ]
    if not present:
        nulls = ", ".join(f"{k}: null" for k in data)
        raise doc.fail(
            path,
            "a peer needs podSelector, namespaceSelector or ipBlock"
            + (f" ({nulls} is the same as leaving it out)" if nulls else ""),
            "write podSelector: {} for every pod of the policy's namespace; to allow every "
            "peer, leave out from/to entirely",
        )
    if "ipBlock" in present:
        if len(present) > 1:
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
        if "podSelector" in present
        else None
    )
    nss = (
        parse_selector(doc, data["namespaceSelector"], f"{path}.namespaceSelector")
        if "namespaceSelector" in present
        else None
    )
    return Peer(pods, nss)


def _port(doc: _Doc, value: Any, path: str) -> PortSpec:
    """``ValidateNetworkPolicyPort``: a number 1-65535 or an IANA_SVC_NAME, endPort >= port."""
    data = doc.mapping(value, path)
    doc.only(data, path, ("protocol", "port", "endPort"))
    protocol = _protocol(doc, data.get("protocol"), f"{path}.protocol")
    port = data.get("port")
    end = data.get("endPort")
    if isinstance(port, bool) or (port is not None and not isinstance(port, int | str)):
        raise doc.fail(f"{path}.port", f"expected a number or a port name, got {kind_of(port)}")
    if isinstance(port, int) and not 1 <= port <= 65535:
        raise doc.fail(f"{path}.port", f"{port} is not a port (1-65535)")
    if isinstance(port, str):
        if port.isdigit():
            raise doc.fail(
                f"{path}.port",
                f"{port!r} is a string, so it would be a port name",
                f"write the number without quotes: port: {port}",
            )
        problem = schema.port_name_problem(port)
        if problem:
            raise doc.fail(
                f"{path}.port",
                f"{port!r} is not a valid port name: {problem}",
                "a port name (IANA_SVC_NAME) is 1-15 lower-case letters, digits and single "
                "'-' between them, with at least one letter",
            )
    if end is not None:
        if not isinstance(end, int) or isinstance(end, bool):
            raise doc.fail(f"{path}.endPort", f"expected a number, got {kind_of(end)}")
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


def _policy_types(doc: _Doc, value: Any) -> set[Direction]:
    """``ValidateNetworkPolicySpec``: at most two entries, each Ingress or Egress.

    The field is an atomic list, so ``[Ingress, Ingress]`` passes validation and
    means Ingress; three or more entries never do.
    """
    raw_types = doc.sequence(value, "spec.policyTypes")
    if len(raw_types) > 2:
        raise doc.fail(
            "spec.policyTypes",
            f"{len(raw_types)} entries; the API server accepts at most two",
            "list Ingress, Egress or both, each once",
        )
    types: set[Direction] = set()
    for i, t in enumerate(raw_types):
        try:
            types.add(Direction(t))
        except ValueError:
            raise doc.fail(
                f"spec.policyTypes[{i}]", f"unknown policy type {t!r}", "use Ingress and/or Egress"
            ) from None
    return types


def parse_policy(doc: _Doc, data: dict[str, Any]) -> Policy:
    doc.only(data, "", schema.NETWORK_POLICY)
    status = doc.mapping(data.get("status"), "status")
    doc.only(status, "status", schema.NETWORK_POLICY_STATUS)
    name, namespace, _ = _metadata(doc, data)
    spec = doc.mapping(data.get("spec"), "spec")
    doc.only(spec, "spec", ("podSelector", "policyTypes", "ingress", "egress"))
    # podSelector is optional; unset (or null) is the empty selector: every pod of the namespace.
    selector = parse_selector(doc, spec.get("podSelector"), "spec.podSelector")
    types = _policy_types(doc, spec.get("policyTypes"))
    ingress = _rules(doc, spec.get("ingress"), "spec.ingress", "from")
    egress = _rules(doc, spec.get("egress"), "spec.egress", "to")
    if not types:
        # The API server's defaulting: Ingress always, Egress only when egress rules exist.
        types = {Direction.ingress} | ({Direction.egress} if egress else set())
    return Policy(
        name, namespace, selector, frozenset(types), ingress, egress, doc.at("metadata.namespace")
    )
