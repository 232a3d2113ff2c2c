"""The ``k8s`` check kind: objects in the lab's cluster, and what a subject may do there.

The cluster is the context's ``ClusterTarget``: its kubeconfig (the session writes it
into the lab directory on ``up``) and its namespace, where objects are looked up
unless the check names another.
"""

from __future__ import annotations

import re
from typing import Any

from labtui.checks.base import CheckContext, ClusterTarget, Outcome, register
from labtui.checks.kinds import field_outcome
from labtui.errors import EnvironmentUnavailable
from labtui.scenario.model import K8sCheck

_SEGMENT = re.compile(r"""\[\s*(?:"([^"]*)"|'([^']*)'|(-?\d+))\s*\]|([^.\[\]]+)""")


class PathError(ValueError):
    pass


def parse_path(path: str) -> list[str | int]:
    """``spec.containers[0].env`` / ``metadata.labels["app.kubernetes.io/name"]`` -> segments."""
    out: list[str | int] = []
    pos = 0
    while pos < len(path):
        if path[pos] == ".":
            pos += 1
            continue
        m = _SEGMENT.match(path, pos)
        if not m:
            raise PathError(f"cannot read the field path {path!r} at {path[pos:]!r}")
        quoted = m.group(1) if m.group(1) is not None else m.group(2)
        if quoted is not None:
            out.append(quoted)
        elif m.group(3) is not None:
            out.append(int(m.group(3)))
        else:
            word = m.group(4)
            out.append(int(word) if word.lstrip("-").isdigit() else word)
        pos = m.end()
    return out


def follow(data: Any, path: str) -> tuple[bool, Any]:
    node = data
    for part in parse_path(path):
        if isinstance(node, dict) and str(part) in node:
            node = node[str(part)]
        elif isinstance(node, list) and isinstance(part, int) and -len(node) <= part < len(node):
            node = node[part]
        else:
            return False, None
    return True, node


def target(ctx: CheckContext) -> ClusterTarget:
    """The lab's cluster; a lab without one has nothing to check yet."""
    if ctx.cluster is None:
        raise EnvironmentUnavailable(
            "this lab has no cluster connection yet", "bring it up: `labtui up ID`"
        )
    return ctx.cluster


@register("k8s")
def k8s_check(check: K8sCheck, ctx: CheckContext) -> Outcome:
    from labtui.drivers.kube import client_for

    cluster = target(ctx)
    kube = client_for(cluster.kubeconfig)
    if check.access:
        return _access(check, ctx, kube, cluster.namespace)
    return _object(check, ctx, kube, cluster.namespace)


def _object(check: K8sCheck, ctx: CheckContext, kube: Any, lab_namespace: str) -> Outcome:
    from labtui.drivers.kube import is_namespaced

    render = ctx.templates.render
    assert check.resource is not None
    plural = render(check.resource)
    namespace = render(check.namespace) if check.namespace is not None else lab_namespace
    if not is_namespaced(plural):
        namespace = ""
    where = f" in namespace {namespace}" if namespace else ""
    if check.name is not None:
        name = render(check.name)
        obj = kube.get(check.api_version, plural, name, namespace or None)
        what = f"{plural}/{name}{where}"
        if check.absent:
            return (
                Outcome(True, f"{what} does not exist")
                if obj is None
                else Outcome(False, f"{what} still exists", "absent", "exists")
            )
        if obj is None:
            return Outcome(False, f"{what} does not exist", "exists", "not found")
        if check.field is None:
            return Outcome(True, f"{what} exists")
        return _field(check, ctx, obj, what)
    items = kube.list_objects(
        check.api_version,
        plural,
        namespace or None,
        render(check.label_selector) if check.label_selector else None,
        render(check.field_selector) if check.field_selector else None,
    )
    selector = " ".join(s for s in (check.label_selector, check.field_selector) if s)
    what = f"{plural}{where}" + (f" matching {selector}" if selector else "")
    names = ", ".join(i.get("metadata", {}).get("name", "?") for i in items[:10])
    if check.absent:
        if items:
            return Outcome(False, f"{len(items)} {what} still exist", "none", names)
        return Outcome(True, f"no {what}")
    if check.count is not None:
        if len(items) != check.count:
            return Outcome(
                False,
                f"{len(items)} {what}, expected {check.count}",
                str(check.count),
                f"{len(items)}: {names}" if items else "0",
            )
        return Outcome(True, f"{len(items)} {what}", actual=names or None)
    if not items:
        return Outcome(False, f"no {what}", "at least one", "0")
    return Outcome(True, f"{len(items)} {what}", actual=names)


def _field(check: K8sCheck, ctx: CheckContext, obj: dict[str, Any], what: str) -> Outcome:
    assert check.field is not None
    try:
        found, value = follow(obj, check.field)
    except PathError as exc:
        return Outcome(False, f"scenario error: {exc}")
    return field_outcome(check, ctx, f"{what}: {check.field}", found, value)


def _access(check: K8sCheck, ctx: CheckContext, kube: Any, default_ns: str) -> Outcome:
    from labtui.drivers.kube import service_account_subject, user_groups

    render = ctx.templates.render
    if check.service_account is not None:
        user, groups = service_account_subject(render(check.service_account), default_ns)
        who = f"service account {render(check.service_account)}"
    else:
        assert check.user is not None
        user = render(check.user)
        groups = user_groups(user, [render(g) for g in check.groups])
        who = f"user {user}"
    answers = []
    for rule in check.access:
        namespace = render(rule.namespace) if rule.namespace is not None else default_ns
        resource = render(rule.resource)
        res = kube.access_review(
            render(rule.verb),
            resource,
            user,
            groups,
            group=rule.group,
            namespace=namespace or None,
            name=render(rule.name) if rule.name else None,
        )
        target = f"{rule.verb} {resource}" + (f"/{rule.name}" if rule.name else "")
        target += f" in {namespace}" if namespace else " (cluster-wide)"
        answers.append(f"{target}: {'yes' if res.allowed else 'no'}")
        if res.allowed != rule.allowed:
            verdict = "may" if res.allowed else "may not"
            reason = f" ({res.reason})" if res.reason else ""
            return Outcome(
                False,
                f"{who} {verdict} {target}{reason}",
                "allowed" if rule.allowed else "denied",
                "allowed" if res.allowed else "denied",
            )
    return Outcome(True, f"{who}: " + "; ".join(answers))
