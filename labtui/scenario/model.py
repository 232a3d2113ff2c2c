"""The scenario format: what an instructor writes in ``scenario.yaml``.

Every model forbids unknown fields so a typo (``stdout_contain``) is an error
with a file:line:col, never a check that silently tests nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from labtui.pki.usages import EXTENDED_KEY_USAGES, KEY_USAGES

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
NAME_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$"
IMAGE_REF_PATTERN = r"^[a-z0-9][a-z0-9._/-]{0,127}:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"

Argv = Annotated[
    list[str], Field(min_length=1, description="A command as an argv list; never run by a shell.")
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Topic(StrEnum):
    principles = "principles"
    host = "host"
    cluster = "cluster"
    application = "application"
    containers = "containers"
    network = "network"
    supply_chain = "supply-chain"


class Difficulty(StrEnum):
    beginner = "beginner"
    intermediate = "intermediate"
    advanced = "advanced"


class Requirement(StrEnum):
    local = "local"
    docker = "docker"
    # A cluster of the lab's own with node access: a kind cluster made for the lab,
    # or the kubeadm control-plane node labtui runs on (``--cluster node``).
    kind = "kind"
    cluster = "cluster"


class NodeRole(StrEnum):
    """A node of the lab's cluster that a check or a solution step runs on.

    Resolved per cluster target: ``docker exec`` into the kind node container, a
    process on this machine when labtui runs on a kubeadm control-plane node, and
    unavailable on a shared cluster (``--context``).
    """

    control_plane = "control-plane"
    worker = "worker"


def first_duplicate(values: Iterable[str]) -> str | None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


def _check_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


# --------------------------------------------------------------------------- environment


class ContainerSpec(Strict):
    """A container the scenario creates on ``up`` (labelled, removed on ``down``)."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    image: str = "{base_image}"
    command: list[str] | None = None
    user: str | None = None
    network: str | None = Field(
        default=None, description="Docker network mode, e.g. none or container:NAME."
    )
    pid: str | None = Field(default=None, description="PID mode, e.g. container:NAME or host.")
    privileged: bool = False
    read_only: bool = False
    cap_add: list[str] = []
    cap_drop: list[str] = []
    security_opt: list[str] = []
    environment: dict[str, str] = {}
    tmpfs: dict[str, str] = {}
    working_dir: str | None = None


# --------------------------------------------------------------------------- clusters

# kind v0.27.0's image for Kubernetes v1.32.2, pinned by digest (from kind's release notes).
# kind builds its kubeadm config as kubeadm.k8s.io/v1beta3 for this version (map-style
# extraArgs); kind moves to v1beta4 only for Kubernetes 1.36+.
KIND_VERSION = "v0.27.0"
KIND_NODE_IMAGE = (
    "kindest/node:v1.32.2@sha256:f226345927d7e348497136874b6d207e0b32cc52154ad8323129352923a3142f"
)
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"


def _lab_relative(value: str | None) -> str | None:
    if value is not None:
        parts = value.replace("\\", "/").split("/")
        if value.startswith("/") or ".." in parts or not value.strip():
            raise ValueError(f"{value!r} must be a path inside the lab directory (relative, no ..)")
    return value


class AuditLogging(Strict):
    """Audit logging built into the cluster; the policy file lives in the lab directory."""

    policy: str = Field(
        description="Lab-directory path of the audit Policy (from environment.files or include)."
    )
    log_path: str = Field(
        default="/var/log/kubernetes/kube-apiserver-audit.log",
        description="Where the API server writes audit events, inside the control-plane node.",
    )

    _v_policy = field_validator("policy")(_lab_relative)


class EncryptionAtRest(Strict):
    """An EncryptionConfiguration (apiserver.config.k8s.io/v1) the API server reads at start."""

    config: str = Field(description="Lab-directory path of the EncryptionConfiguration file.")
    automatic_reload: bool = Field(
        default=True, description="Reload the file when it changes (no API server restart)."
    )

    _v_config = field_validator("config")(_lab_relative)


class AdmissionSettings(Strict):
    enable: list[str] = Field(default=[], description="Admission plugins to add to the defaults.")
    disable: list[str] = Field(default=[], description="Default admission plugins to turn off.")
    config: str | None = Field(
        default=None, description="Lab-directory path of an AdmissionConfiguration file."
    )

    _v_config = field_validator("config")(_lab_relative)


class ClusterSpec(Strict):
    """A kind cluster built for this lab (``requires: [kind]``), named ``labtui-<id>``."""

    workers: int = Field(
        default=0, ge=0, le=3, description="Worker nodes besides the control plane."
    )
    node_image: str = Field(
        default=KIND_NODE_IMAGE,
        pattern=r"@sha256:[0-9a-f]{64}$",
        description="kind node image, pinned by digest.",
    )
    namespace: str = Field(
        default="lab",
        pattern=DNS_LABEL,
        description="The lab's namespace; on an existing cluster it is labtui-<learner>-<id>.",
    )
    audit: AuditLogging | None = None
    encryption: EncryptionAtRest | None = None
    admission: AdmissionSettings | None = None
    manifests: list[str] = Field(
        default=[], description="Lab-directory files applied (server-side) in order on up."
    )
    namespaced: bool = Field(
        default=False,
        description="Everything happens inside the lab namespace, so the lab also runs on an existing cluster.",
    )
    optional: bool = Field(
        default=False,
        description="The lab runs without a cluster; on a kubeadm node (--cluster node) it also "
        "uses that cluster: reachability checks apply the lab's NetworkPolicies there and "
        "probe each TCP flow for real, next to the engine's verdict.",
    )

    node_files: list[str] = Field(
        default=[],
        description="Absolute paths on the control-plane node the learner edits or creates "
        "(a static pod manifest, the kubelet's config.yaml, a policy file, a log directory). "
        "On a kubeadm node (--cluster node) up keeps a byte-for-byte copy and down puts each "
        "back (removing what did not exist), then waits for the static pod or restarts the "
        "kubelet or containerd; on kind they go with the cluster.",
    )

    @field_validator("node_files")
    @classmethod
    def _v_node_files(cls, value: list[str]) -> list[str]:
        for path in value:
            parts = path.split("/")
            if (
                not path.startswith("/")
                or ".." in parts
                or path.rstrip("/") in ("", "/etc", "/var")
            ):
                raise ValueError(
                    f"{path!r} must be an absolute path to a file or directory (no ..)"
                )
        if len(set(value)) != len(value):
            raise ValueError("a path is listed twice")
        return value

    @field_validator("manifests")
    @classmethod
    def _v_manifests(cls, value: list[str]) -> list[str]:
        for m in value:
            _lab_relative(m)
        return value

    @model_validator(mode="after")
    def _v_namespaced(self) -> ClusterSpec:
        if self.namespaced and self.cluster_wide:
            raise ValueError(
                f"namespaced: true, but the lab needs {', '.join(self.cluster_wide)}, which a "
                "namespace on a shared cluster cannot give: drop namespaced"
            )
        return self

    @property
    def cluster_wide(self) -> list[str]:
        """What this cluster needs beyond one namespace (node files or API server flags)."""
        needs = []
        if self.audit:
            needs.append("audit logging")
        if self.encryption:
            needs.append("encryption at rest")
        if self.admission:
            needs.append("admission settings")
        if self.workers:
            needs.append("its own nodes")
        if self.node_files:
            needs.append("files on the control-plane node")
        return needs


class ImageSpec(Strict):
    """An image built on ``up`` from an inline Dockerfile (no build context, no network).

    Built images carry the scenario label and are removed on ``down``; give them a
    name unique to the lab (e.g. ``labtui-<id>/app:v1``).
    """

    name: Annotated[
        str,
        Field(
            pattern=IMAGE_REF_PATTERN,
            description="repository:tag of the built image.",
        ),
    ]
    dockerfile: str = Field(
        min_length=1, description="Dockerfile text (templated), e.g. FROM {base_image} ..."
    )
    host_programs: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._+-]{0,63}$")]] = Field(
        default=[],
        description="Programs of this machine (on PATH) copied into the image right after its "
        "last FROM, with the shared libraries and loader they link to, as /usr/bin/<program>; "
        "the lab is unavailable where one is missing (give its install line in tools).",
    )


class PkiSpec(Strict):
    """A kubeadm-faithful /etc/kubernetes (PKI, kubeconfigs, API server manifest) generated on up."""

    dir: str = Field(
        default="etc/kubernetes", description="Lab-directory path that plays /etc/kubernetes."
    )
    kubernetes_version: str = Field(
        default="1.31",
        pattern=r"^v?1\.\d{1,2}(\.\d+)?$",
        description="1.29+: admin.conf in kubeadm:cluster-admins plus super-admin.conf; earlier: system:masters.",
    )
    node_name: str = Field(
        default="control-plane", pattern=r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"
    )
    advertise_address: str = Field(
        default="172.18.0.2", description="The API server's IP (a SAN, and the server URL)."
    )
    expired: list[str] = Field(
        default=[],
        description="Leaf certificates (kubeadm names: apiserver, etcd/server ...) made expired.",
    )
    wrong_ca: list[str] = Field(
        default=[],
        description="Leaf certificates signed by a look-alike CA (same name, other key).",
    )
    missing_san: list[str] = Field(
        default=[], description="CERT:SAN pairs left out, e.g. apiserver:kubernetes.default."
    )
    node: str | None = Field(
        default=None,
        description="Read the files from this node container (docker exec) instead of generating them "
        "(templated; LABTUI_PKI_NODE overrides it).",
    )

    _v_dir = field_validator("dir")(_lab_relative)

    @field_validator("advertise_address")
    @classmethod
    def _v_address(cls, value: str) -> str:
        import ipaddress

        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address") from None
        return value

    @model_validator(mode="after")
    def _v_faults(self) -> PkiSpec:
        from labtui.pki.layout import ClusterParams, Faults, PkiError

        params = ClusterParams(
            node_name=self.node_name,
            advertise_address=self.advertise_address,
            kubernetes_version=self.kubernetes_version,
        )
        try:
            Faults(tuple(self.expired), tuple(self.wrong_ca), tuple(self.missing_san)).validate(
                params
            )
        except PkiError as exc:
            raise ValueError(str(exc)) from None
        return self


class EnvironmentSpec(Strict):
    containers: list[ContainerSpec] = []
    images: list[ImageSpec] = Field(
        default=[], description="Images built on up, before the containers."
    )
    files: dict[str, str] = Field(
        default={},
        description="Files written into the lab directory on up: relative path -> content (templated).",
    )
    include: list[str] = Field(
        default=[],
        description="Paths under the scenario folder copied into the lab directory on up.",
    )
    setup: list[Argv] = Field(
        default=[],
        description="Commands run in the lab directory on a fresh up, in order, after the "
        "files are written (argv lists, templated, no shell); a failing one stops up.",
    )
    cluster: ClusterSpec | None = Field(
        default=None, description="A kind cluster for this lab (requires: [kind])."
    )
    pki: PkiSpec | None = Field(
        default=None, description="Generate a kubeadm PKI into the lab directory on up."
    )

    @model_validator(mode="after")
    def _unique_names(self) -> EnvironmentSpec:
        twice = first_duplicate(c.name for c in self.containers)
        if twice is not None:
            raise ValueError(f"container name {twice!r} is declared twice")
        return self


# --------------------------------------------------------------------------- values


class ValueSource(Strict):
    """A value computed from the environment when a check runs.

    Exactly one of: ``value`` (a template), ``command`` (run on the host),
    ``container`` + ``command`` (exec inside a container), ``node`` + ``command``
    (run on a node of the lab's cluster), ``container`` + ``field`` (a ``docker
    inspect`` field path). ``extract`` takes the first group of a regex
    (multiline) from the result.
    """

    value: str | None = None
    container: str | None = None
    node: NodeRole | None = Field(
        default=None, description="With command: run it on this node of the lab's cluster."
    )
    command: list[str] | None = None
    field: str | None = None
    certificate: str | None = Field(
        default=None,
        description="With field: a certificate, kubeconfig or directory in the lab (e.g. issuer.CN, signer, san.dns).",
    )
    extract: str | None = None

    _v_extract = field_validator("extract")(_check_regex)

    @model_validator(mode="after")
    def _one_mode(self) -> ValueSource:
        modes = [
            self.value is not None,
            self.command is not None,
            self.container is not None and self.field is not None,
            self.certificate is not None,
        ]
        if sum(modes) != 1:
            raise ValueError(
                "give exactly one of: value, command (optionally with container), container + field"
            )
        if self.container is not None and self.command is None and self.field is None:
            raise ValueError("container needs command (exec) or field (inspect)")
        if self.node is not None and (self.command is None or self.container is not None):
            raise ValueError("node needs command, and cannot be combined with container")
        if self.certificate is not None and self.field is None:
            raise ValueError("certificate needs field (e.g. subject.CN, issuer.CN, signer)")
        return self


# --------------------------------------------------------------------------- checks


class CheckBase(Strict):
    timeout: float = Field(
        default=10.0, gt=0, le=3600, description="Seconds before the check is cut."
    )
    description: str | None = Field(
        default=None, description="Shown to the learner instead of the default."
    )


class OutputExpectations(Strict):
    exit_code: int | None = 0
    stdout_equals: str | None = None
    stdout_contains: list[str] | str | None = None
    stdout_not_contains: list[str] | str | None = None
    stdout_matches: str | None = None
    stderr_contains: str | None = None

    _v_matches = field_validator("stdout_matches")(_check_regex)


class CommandCheck(CheckBase, OutputExpectations):
    """Run a command on the host (argv, no shell) and test its exit code and output."""

    kind: Literal["command"]
    command: Argv


class ExecCheck(CheckBase, OutputExpectations):
    """Run a command inside a running container, or on a node of the lab's cluster."""

    kind: Literal["exec"]
    container: str | None = None
    node: NodeRole | None = Field(
        default=None,
        description="Run on this node instead of in a container: docker exec into a kind "
        "node, a process here on a kubeadm node.",
    )
    command: Argv
    user: str | None = None

    @model_validator(mode="after")
    def _one_place(self) -> ExecCheck:
        if (self.container is None) == (self.node is None):
            raise ValueError("give exactly one of container or node")
        if self.node is not None and self.user is not None:
            raise ValueError("user applies to container only")
        return self


class ContainerCheck(CheckBase):
    """Inspect a container: existence, running state and a field path of ``docker inspect``."""

    kind: Literal["container"]
    name: str
    absent: bool = Field(default=False, description="Pass when no container has this name.")
    running: bool | None = None
    field: str | None = Field(
        default=None, description="Dotted path into docker inspect, e.g. HostConfig.PidMode."
    )
    equals: Any = None
    not_equals: Any = None
    contains: Any = None
    matches: str | None = None
    exists: bool | None = Field(
        default=None,
        description="The field is present and not empty (or is absent/empty when false).",
    )

    _v_matches = field_validator("matches")(_check_regex)

    @model_validator(mode="after")
    def _field_needed(self) -> ContainerCheck:
        tests = [self.equals, self.not_equals, self.contains, self.matches, self.exists]
        if any(t is not None for t in tests) and not self.field:
            raise ValueError("equals/not_equals/contains/matches/exists need a field")
        if self.field and all(t is None for t in tests):
            raise ValueError("field needs one of equals, not_equals, contains, matches, exists")
        if self.absent and (self.field or self.running is not None):
            raise ValueError("absent cannot be combined with running or field")
        return self


class FileCheck(CheckBase):
    """A file in the lab directory (or an absolute path): exists, contents, YAML path."""

    kind: Literal["file"]
    path: str
    exists: bool = True
    contains: str | None = None
    matches: str | None = None
    yaml_path: str | None = Field(
        default=None,
        description="Dotted path into the parsed YAML, e.g. spec.replicas or items.0.name.",
    )
    equals: Any = None

    _v_matches = field_validator("matches")(_check_regex)

    @model_validator(mode="after")
    def _yaml_equals(self) -> FileCheck:
        if self.equals is not None and self.yaml_path is None:
            raise ValueError("equals needs yaml_path")
        return self


class Normalize(StrEnum):
    STRIP = "strip"
    CASEFOLD = "casefold"
    COLLAPSE_SPACES = "collapse_spaces"
    NUMBER = "number"


class WrongAnswer(Strict):
    """An answer that deserves its own explanation, computed like ``expected``."""

    value: ValueSource | str
    message: str = Field(
        min_length=1, description="Shown when the answer equals value (templated)."
    )


class AnswerCheck(CheckBase):
    """The learner's typed answer against a value computed from the environment."""

    kind: Literal["answer"]
    expected: ValueSource | str
    normalize: list[Normalize] = [Normalize.STRIP, Normalize.CASEFOLD, Normalize.COLLAPSE_SPACES]
    accept_regex: bool = Field(
        default=False,
        description="Treat the computed value as a regex the answer must fully match.",
    )
    items: int | None = Field(
        default=None,
        ge=1,
        description="The answer is a list (comma or space separated) of at least this many items, "
        "each one of the computed comma-separated values.",
    )
    wrong_answers: list[WrongAnswer] = Field(
        default=[], description="Answers that get a specific message instead of 'not the answer'."
    )


class ChoiceOption(Strict):
    """One option of a multiple-choice question, with the feedback shown when it is picked."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")] = Field(
        description="Stable name of the option (two characters or more): solutions and "
        "answer files use it; learners answer with the letter they see."
    )
    text: str = Field(min_length=1)
    correct: bool = False
    feedback: str = Field(
        default="",
        description="Why this option is right or wrong; shown when it is picked (or missed).",
    )


class ChoiceCheck(CheckBase):
    """A multiple-choice question: one or several correct options, shuffled per learner."""

    kind: Literal["choice"]
    question: str = Field(
        default="", description="Shown above the options (the task's instructions set the scene)."
    )
    options: list[ChoiceOption] = Field(min_length=2, max_length=26)
    multiple: bool | None = Field(
        default=None,
        description="Several answers expected; default: true when more than one option is correct.",
    )
    shuffle: bool = Field(
        default=True, description="Show the options in an order of their own to each learner."
    )

    @model_validator(mode="after")
    def _consistent_options(self) -> ChoiceCheck:
        ids = [o.id for o in self.options]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"option id {dupes[0]!r} is used twice")
        right = sum(o.correct for o in self.options)
        if right == 0:
            raise ValueError("mark at least one option correct: true")
        if self.multiple is False and right > 1:
            raise ValueError(f"multiple is false but {right} options are correct")
        return self

    @property
    def is_multiple(self) -> bool:
        return (
            self.multiple if self.multiple is not None else sum(o.correct for o in self.options) > 1
        )


class AccessRule(Strict):
    """One ``kubectl auth can-i`` question, answered by the API server's authorizer."""

    verb: str
    resource: str = Field(
        description="Plural resource, optionally with a subresource: pods, pods/log, secrets."
    )
    group: str = Field(default="", description="API group; empty for the core group.")
    name: str | None = None
    namespace: str | None = Field(
        default=None, description="Default: the lab namespace; empty for cluster-wide."
    )
    allowed: bool = True


class K8sCheck(CheckBase):
    """A Kubernetes object (exists / absent / field path / count) or access reviews for a subject."""

    kind: Literal["k8s"]
    api_version: str = Field(
        default="v1", description="e.g. v1, apps/v1, rbac.authorization.k8s.io/v1."
    )
    resource: str | None = Field(
        default=None, description="Plural resource name: pods, secrets, rolebindings ..."
    )
    name: str | None = None
    namespace: str | None = Field(
        default=None, description="Default: the lab namespace (namespaced resources)."
    )
    label_selector: str | None = None
    field_selector: str | None = None
    absent: bool = Field(default=False, description="Pass when no object matches.")
    count: int | None = Field(default=None, ge=0, description="How many objects must match.")
    field: str | None = Field(
        default=None,
        description='Path into the object: spec.containers[0].image, metadata.labels["app.kubernetes.io/name"].',
    )
    equals: Any = None
    not_equals: Any = None
    contains: Any = None
    matches: str | None = None
    exists: bool | None = None
    user: str | None = Field(default=None, description="Subject of the access rules: a user name.")
    groups: list[str] = Field(default=[], description="Groups of that user.")
    service_account: str | None = Field(
        default=None, description="Subject: NAME (lab namespace) or NAMESPACE:NAME."
    )
    access: list[AccessRule] = Field(
        default=[], description="Every rule must hold for the check to pass."
    )

    _v_matches = field_validator("matches")(_check_regex)

    @model_validator(mode="after")
    def _one_question(self) -> K8sCheck:
        tests = [self.equals, self.not_equals, self.contains, self.matches, self.exists]
        if self.access:
            if self.resource is not None:
                raise ValueError(
                    "give either resource (an object check) or access (access reviews), not both"
                )
            if (self.user is None) == (self.service_account is None):
                raise ValueError("access needs exactly one subject: user or service_account")
            return self
        if self.resource is None:
            raise ValueError("give resource (an object check) or access (access reviews)")
        if self.user or self.service_account or self.groups:
            raise ValueError("user, groups and service_account belong to access checks")
        if any(t is not None for t in tests) and not self.field:
            raise ValueError("equals/not_equals/contains/matches/exists need a field")
        if self.field and all(t is None for t in tests):
            raise ValueError("field needs one of equals, not_equals, contains, matches, exists")
        if self.field and self.name is None:
            raise ValueError("field needs a name (one object)")
        if self.absent and (self.field or self.count is not None):
            raise ValueError("absent cannot be combined with field or count")
        if self.count is not None and self.name is not None:
            raise ValueError(
                "count is for lists: use label_selector or field_selector instead of name"
            )
        return self


class Flow(Strict):
    """One connection a reachability check tests."""

    model_config = ConfigDict(populate_by_name=True)

    source: str = Field(
        alias="from", description="namespace/name of a pod or workload, or an IP address."
    )
    to: str = Field(description="namespace/name of a pod or workload, or an IP address.")
    port: int = Field(ge=1, le=65535)
    protocol: Literal["TCP", "UDP", "SCTP"] = "TCP"
    expected: Literal["allowed", "denied"]


class ReachabilityCheck(CheckBase):
    """Flows that must be allowed or denied under the lab's NetworkPolicies.

    Locally the NetworkPolicy engine evaluates them over the manifests in the lab
    directory (the declared workloads plus the learner's policy files); in a
    cluster they are also probed for real and both verdicts are reported.
    """

    kind: Literal["reachability"]
    manifests: list[str] = Field(
        default=["."], description="Lab-directory files or folders of YAML/JSON manifests."
    )
    flows: list[Flow] = Field(min_length=1)

    @field_validator("manifests")
    @classmethod
    def _v_manifests(cls, value: list[str]) -> list[str]:
        for m in value:
            _lab_relative(m)
        return value


NAME_ATTRIBUTES = ("CN", "O", "OU", "C", "L", "ST")
KEY_USAGE_NAMES = tuple(KEY_USAGES)
EXT_KEY_USAGE_NAMES = tuple(EXTENDED_KEY_USAGES)


class CertificateCheck(CheckBase):
    """A certificate file, or the client (or CA) certificate of a kubeconfig, tested with x509."""

    kind: Literal["certificate"]
    path: str = Field(
        description="Lab-directory path: etc/kubernetes/pki/apiserver.crt, a kubeconfig such as jane.conf."
    )
    part: Literal["client", "ca"] = Field(
        default="client", description="For a kubeconfig: its client certificate or its CA."
    )
    subject: dict[str, str] = Field(
        default={},
        description="Name attributes that must be present, e.g. {CN: jane, O: developers}.",
    )
    issuer: dict[str, str] = {}
    san_contains: list[str] = Field(
        default=[], description="DNS names or IP addresses the SANs must include."
    )
    key_usage: list[str] = []
    extended_key_usage: list[str] = []
    is_ca: bool | None = None
    valid: bool | None = Field(
        default=None,
        description="Within its validity period now (false: expired or not yet valid).",
    )
    valid_for_days: int | None = Field(
        default=None, ge=0, description="Still valid this many days from now."
    )
    expires_within_days: int | None = Field(
        default=None, ge=0, description="Expires within this many days."
    )
    signed_by: str | None = Field(
        default=None, description="A CA certificate whose key made the signature (verified)."
    )
    key_matches: str | None = Field(
        default=None,
        description="A private key that belongs to the certificate; a kubeconfig's own path tests its client key.",
    )

    @model_validator(mode="after")
    def _sensible(self) -> CertificateCheck:
        for what, names in (("subject", self.subject), ("issuer", self.issuer)):
            bad = [k for k in names if k not in NAME_ATTRIBUTES]
            if bad:
                raise ValueError(
                    f"{what}: unknown attribute {bad[0]!r}; use {', '.join(NAME_ATTRIBUTES)}"
                )
        for what, given, known in (
            ("key_usage", self.key_usage, KEY_USAGE_NAMES),
            ("extended_key_usage", self.extended_key_usage, EXT_KEY_USAGE_NAMES),
        ):
            bad = [u for u in given if u not in known]
            if bad:
                raise ValueError(f"{what}: unknown usage {bad[0]!r}; use {', '.join(known)}")
        tests = [
            self.subject,
            self.issuer,
            self.san_contains,
            self.key_usage,
            self.extended_key_usage,
        ]
        flags = [
            self.is_ca,
            self.valid,
            self.valid_for_days,
            self.expires_within_days,
            self.signed_by,
            self.key_matches,
        ]
        if not any(tests) and all(f is None for f in flags):
            raise ValueError(
                "say what to test: subject, issuer, san_contains, key_usage, extended_key_usage, "
                "is_ca, valid, valid_for_days, expires_within_days, signed_by or key_matches"
            )
        return self


Check = Annotated[
    CommandCheck
    | ExecCheck
    | ContainerCheck
    | FileCheck
    | AnswerCheck
    | CertificateCheck
    | ChoiceCheck
    | K8sCheck
    | ReachabilityCheck,
    Field(discriminator="kind"),
]

CHECK_KINDS: tuple[str, ...] = (
    "command",
    "exec",
    "container",
    "file",
    "answer",
    "certificate",
    "choice",
    "k8s",
    "reachability",
)


# --------------------------------------------------------------------------- tasks


class Step(Strict):
    """A solution command with a place or a time limit of its own."""

    command: Argv
    node: NodeRole | None = Field(
        default=None, description="Run on this node of the lab's cluster instead of the host."
    )
    timeout: float | None = Field(
        default=None,
        gt=0,
        le=3600,
        description="Seconds before the step is cut (default 120); long steps report progress.",
    )
    undo: Argv | None = Field(
        default=None,
        description="Run (on the same place) when the step fails or is cut, so that nothing "
        "is left half-made, e.g. a cluster it was creating.",
    )


class Solution(Strict):
    explanation: str = ""
    run: list[Argv | Step] = Field(
        default=[],
        description="Commands run on the host in the lab directory, in order; "
        "{command, node, timeout} for one on a node or with its own time limit.",
    )
    files: dict[str, str] = Field(
        default={}, description="Files written into the lab directory (templated)."
    )
    answer: ValueSource | str | None = Field(
        default=None, description="The answer to submit for an answer task."
    )


class Task(Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    title: str = Field(min_length=1)
    instructions: str = ""
    hints: list[str] = []
    answer_prompt: str | None = Field(default=None, description="Shown above the answer input.")
    checks: list[Check] = Field(min_length=1)
    solution: Solution | None = None
    requires: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._+-]{0,63}$")]] = Field(
        default=[],
        description="What this task alone needs: docker, kind, cluster, node (the kubeadm "
        "control-plane node labtui runs on, with --cluster node), apparmor (a kernel with "
        "AppArmor), gvisor, docker-runsc, gvisor-shim, containerd-config (probes of "
        "labtui.engine.gvisor), or a program on PATH (ctr, podman). "
        "Where it is missing the task is shown unavailable and the rest of the lab still completes.",
    )

    @property
    def needs_answer(self) -> bool:
        return any(isinstance(c, AnswerCheck | ChoiceCheck) for c in self.checks)


class PodmanCleanup(Strict):
    """What the learner makes with podman, which keeps its own containers and images."""

    containers: list[Annotated[str, Field(pattern=NAME_PATTERN)]] = Field(
        default=[], description="Podman containers the learner creates."
    )
    images: list[str] = Field(
        default=[],
        description="Images the learner copies into podman's store, e.g. {base_image}.",
    )


class Cleanup(Strict):
    containers: list[Annotated[str, Field(pattern=NAME_PATTERN)]] = Field(
        default=[],
        description="Names the learner creates; removed on down when created during this lab.",
    )
    podman: PodmanCleanup = Field(
        default_factory=PodmanCleanup,
        description="Podman containers and images the learner makes; removed on down "
        "unless they already existed when the lab came up.",
    )


class Scenario(Strict):
    format_version: Literal[1] = Field(description="Version of this file format; currently 1.")
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    title: str = Field(min_length=1)
    topic: Topic
    difficulty: Difficulty = Difficulty.beginner
    minutes: int = Field(default=15, gt=0, le=600)
    requires: list[Requirement] = [Requirement.local]
    summary: str = ""
    introduction: str = ""
    conclusion: str = Field(
        default="", description="What was learned; shown when every task passes."
    )
    environment: EnvironmentSpec = EnvironmentSpec()
    tools: dict[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._+-]{0,63}$")], str] = Field(
        default={},
        description="How to install a program that tasks require: program -> install line, "
        "shown with 'not found on PATH' in the app, list, check and doctor.",
    )
    local_images: dict[Annotated[str, Field(pattern=IMAGE_REF_PATTERN)], str] = Field(
        default={},
        description="Images the lab's containers or Dockerfiles start from that are built on "
        "this machine, not pulled (e.g. by a script of labtui's source): image -> how to "
        "build it. Where one is missing the lab is unavailable with that line.",
    )
    tasks: list[Task] = Field(min_length=1)
    cleanup: Cleanup = Cleanup()

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        twice = first_duplicate(t.id for t in self.tasks)
        if twice is not None:
            raise ValueError(f"task id {twice!r} is used twice")
        env = self.environment
        uses_docker = bool(
            env.containers or env.images or self.cleanup.containers or self.local_images
        ) or any(
            isinstance(c, ContainerCheck) or (isinstance(c, ExecCheck) and c.container is not None)
            for t in self.tasks
            for c in t.checks
        )
        if (
            uses_docker
            and Requirement.docker not in self.requires
            and Requirement.kind not in self.requires
        ):
            raise ValueError("this scenario uses containers: add docker to requires")
        cluster = self.environment.cluster
        if cluster is not None and cluster.optional:
            if {Requirement.kind, Requirement.cluster} & set(self.requires):
                raise ValueError(
                    "environment.cluster.optional is for labs that run without a cluster: "
                    "drop kind/cluster from requires, or drop optional"
                )
        elif cluster is not None and Requirement.kind not in self.requires:
            raise ValueError("environment.cluster builds a kind cluster: add kind to requires")
        uses_k8s = any(isinstance(c, K8sCheck) for t in self.tasks for c in t.checks)
        if uses_k8s and not {Requirement.kind, Requirement.cluster} & set(self.requires):
            raise ValueError("this scenario has k8s checks: add kind (or cluster) to requires")
        return self

    def task(self, task_id: str) -> Task:
        for t in self.tasks:
            if t.id == task_id:
                return t
        raise KeyError(task_id)

    @property
    def container_names(self) -> list[str]:
        """Every container name this scenario owns: created on up or by the learner."""
        names = [c.name for c in self.environment.containers]
        names += [n for n in self.cleanup.containers if n not in names]
        return names


def json_schema() -> dict[str, Any]:
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "labtui scenario"
    return schema
