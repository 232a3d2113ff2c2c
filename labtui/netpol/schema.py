"""What the API server accepts in the objects the engine reads: field names and name rules.

A manifest that ``kubectl apply`` would refuse must not get a verdict, because
the policy the learner sees answered is not one that can exist. Two sources:

- Strict field validation (``fieldValidation=Strict``, kubectl's default since
  1.27) rejects unknown fields: the tables below are the JSON field names of
  the k8s.io/api types (core/v1 ``ObjectMeta``, ``PodSpec``, ``Container``,
  ``ContainerPort``, ``PodStatus``; apps/v1 and batch/v1 workload specs).
- apimachinery's ``k8s.io/apimachinery/pkg/util/validation``: ``IsDNS1123Label``
  (namespace names), ``IsQualifiedName`` (label keys), ``IsValidLabelValue``,
  ``IsValidPortName`` (IANA_SVC_NAME) and ``IsValidPortNum``.
"""

from __future__ import annotations

import re

TYPE_META = ("apiVersion", "kind")
OBJECT_META = (
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
)
OWNER_REFERENCE = ("apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion")
# Namespace, Pod and the workloads; NetworkPolicy has no status since 1.28, but
# `kubectl get -o yaml` of 1.24-1.27 servers printed `status: {}`, so an empty
# or conditions-only status is read and ignored (see parse.parse_policy).
OBJECT = (*TYPE_META, "metadata", "spec", "status")
NETWORK_POLICY = (*TYPE_META, "metadata", "spec", "status")
NETWORK_POLICY_STATUS = ("conditions",)
LIST = (*TYPE_META, "metadata", "items")

POD_SPEC = (
    "volumes",
    "initContainers",
    "containers",
    "ephemeralContainers",
    "restartPolicy",
    "terminationGracePeriodSeconds",
    "activeDeadlineSeconds",
    "dnsPolicy",
    "nodeSelector",
    "serviceAccountName",
    "serviceAccount",
    "automountServiceAccountToken",
    "nodeName",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "shareProcessNamespace",
    "securityContext",
    "imagePullSecrets",
    "hostname",
    "subdomain",
    "affinity",
    "schedulerName",
    "tolerations",
    "hostAliases",
    "priorityClassName",
    "priority",
    "dnsConfig",
    "readinessGates",
    "runtimeClassName",
    "enableServiceLinks",
    "preemptionPolicy",
    "overhead",
    "topologySpreadConstraints",
    "setHostnameAsFQDN",
    "os",
    "hostUsers",
    "schedulingGates",
    "resourceClaims",
    "resources",
    "hostnameOverride",
    "workloadRef",
    "schedulingGroup",
    "evictionResponders",
)
CONTAINER = (
    "name",
    "image",
    "command",
    "args",
    "workingDir",
    "ports",
    "envFrom",
    "env",
    "resources",
    "resizePolicy",
    "restartPolicy",
    "restartPolicyRules",
    "volumeMounts",
    "volumeDevices",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "imagePullPolicy",
    "securityContext",
    "stdin",
    "stdinOnce",
    "tty",
)
CONTAINER_PORT = ("name", "hostPort", "containerPort", "protocol", "hostIP")
POD_STATUS = (
    "observedGeneration",
    "phase",
    "conditions",
    "message",
    "reason",
    "nominatedNodeName",
    "hostIP",
    "hostIPs",
    "podIP",
    "podIPs",
    "startTime",
    "initContainerStatuses",
    "containerStatuses",
    "qosClass",
    "ephemeralContainerStatuses",
    "resize",
    "resourceClaimStatuses",
    "extendedResourceClaimStatus",
    "allocatedResources",
    "resources",
    "nodeAllocatableResourceClaimStatuses",
    "volumeHealth",
)
POD_IP = ("ip",)
TEMPLATE = ("metadata", "spec")
JOB_SPEC = (
    "parallelism",
    "completions",
    "activeDeadlineSeconds",
    "podFailurePolicy",
    "successPolicy",
    "backoffLimit",
    "backoffLimitPerIndex",
    "maxFailedIndexes",
    "failedPodsLimit",
    "selector",
    "manualSelector",
    "template",
    "ttlSecondsAfterFinished",
    "completionMode",
    "suspend",
    "podReplacementPolicy",
    "managedBy",
    "scheduling",
)
WORKLOAD_SPEC = {
    "Deployment": (
        "replicas",
        "selector",
        "template",
        "strategy",
        "minReadySeconds",
        "revisionHistoryLimit",
        "paused",
        "progressDeadlineSeconds",
    ),
    "StatefulSet": (
        "replicas",
        "selector",
        "template",
        "volumeClaimTemplates",
        "serviceName",
        "podManagementPolicy",
        "updateStrategy",
        "revisionHistoryLimit",
        "minReadySeconds",
        "persistentVolumeClaimRetentionPolicy",
        "ordinals",
    ),
    "DaemonSet": (
        "selector",
        "template",
        "updateStrategy",
        "minReadySeconds",
        "revisionHistoryLimit",
    ),
    "ReplicaSet": ("replicas", "minReadySeconds", "selector", "template"),
    "ReplicationController": ("replicas", "minReadySeconds", "selector", "template"),
    "Job": JOB_SPEC,
    "CronJob": (
        "schedule",
        "timeZone",
        "startingDeadlineSeconds",
        "concurrencyPolicy",
        "suspend",
        "jobTemplate",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
    ),
}

# Namespaces the API server creates itself: every cluster has them.
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_PORT_NAME_CHARS = re.compile(r"^[-a-z0-9]+$")


def dns_label_problem(value: str) -> str | None:
    """``IsDNS1123Label``: what is wrong with a namespace name, or None."""
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _DNS_LABEL.match(value):
        return (
            "must be lower-case letters, digits and '-', starting and ending with a letter or digit"
        )
    return None


def label_key_problem(key: str) -> str | None:
    """``IsQualifiedName``: ``[prefix/]name``, prefix a DNS subdomain, name up to 63 characters."""
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return "its prefix (before '/') must be a lower-case DNS subdomain such as example.com"
    if not name or len(name) > 63 or not _NAME_PART.match(name):
        return (
            "must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter "
            "or digit (with an optional DNS-subdomain prefix and '/')"
        )
    return None


def label_value_problem(value: str) -> str | None:
    """``IsValidLabelValue``: empty, or up to 63 characters like a label key's name."""
    if value == "":
        return None
    if len(value) > 63 or not _NAME_PART.match(value):
        return (
            "must be empty or 1-63 letters, digits, '-', '_' or '.', starting and ending with "
            "a letter or digit"
        )
    return None


def port_name_problem(name: str) -> str | None:
    """``IsValidPortName`` (IANA_SVC_NAME, RFC 6335 section 5.1)."""
    if len(name) > 15:
        return "must be no more than 15 characters"
    if not _PORT_NAME_CHARS.match(name):
        return "must contain only lower-case letters (a-z), digits (0-9) and '-'"
    if not re.search("[a-z]", name):
        return "must contain at least one letter (a-z)"
    if "--" in name:
        return "must not contain consecutive hyphens"
    if name.startswith("-") or name.endswith("-"):
        return "must not begin or end with a hyphen"
    return None
