"""The kubeadm cluster whose control-plane node labtui runs on (``--cluster node``).

The situation of a learner on a classroom VM, a Killercoda or killer.sh node, or a
Vagrant box: root on the control-plane node of a kubeadm cluster. Labs reach the
cluster with kubeadm's ``/etc/kubernetes/admin.conf``, run node commands here, and
apply their API server settings (audit logging, encryption at rest, admission
plugins) the way the CKS exam expects: by editing the static pod manifest
``/etc/kubernetes/manifests/kube-apiserver.yaml`` and waiting for the kubelet to
restart the API server.

Before the first edit the manifest is copied, byte for byte, to
``/etc/kubernetes/labtui-backup/`` (never into ``manifests/``: the kubelet would
run the copy as a second API server). ``down`` puts it back and waits again, then
deletes the namespaces and cluster-wide objects made since ``up``, so the cluster
is left as it was found. One lab at a time may hold the API server's settings.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from labtui.errors import EnvironmentUnavailable, LabError
from labtui.names import SCENARIO_LABEL
from labtui.notify import Notify
from labtui.scenario.model import ClusterSpec
from labtui.state.files import write_atomic

KUBEADM_DIR = Path("/etc/kubernetes")
ADMIN_CONF = KUBEADM_DIR / "admin.conf"
MANIFEST = KUBEADM_DIR / "manifests" / "kube-apiserver.yaml"
BACKUP_DIR = KUBEADM_DIR / "labtui-backup"
BACKUP_MANIFEST = BACKUP_DIR / "kube-apiserver.yaml"
BACKUP_OWNER = BACKUP_DIR / "owner.json"
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
# The kubelet notices a changed static pod file within its file check period (20 s by
# default); the new API server then needs its own start-up time.
RESTART_TIMEOUT = 240.0
# After a node file goes back, how long the mirror pod showing the original manifest's
# hash must hold when no restart is seen (the kubelet may never have run the edit).
SETTLE = 15.0
# What a lab notes at up to leave the cluster as it found it (in the lab directory).
BEFORE_FILE = ".node-before.json"
DECRYPT_FILE = ".labtui-decrypt.yaml"

# Cluster-wide kinds a lab may create; ``down`` deletes the ones made since ``up``.
# Namespaces go last, and their contents with them.
CLUSTER_WIDE: tuple[tuple[str, str], ...] = (
    ("rbac.authorization.k8s.io/v1", "clusterroles"),
    ("rbac.authorization.k8s.io/v1", "clusterrolebindings"),
    ("admissionregistration.k8s.io/v1", "validatingadmissionpolicies"),
    ("admissionregistration.k8s.io/v1", "validatingadmissionpolicybindings"),
    ("admissionregistration.k8s.io/v1", "validatingwebhookconfigurations"),
    ("admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations"),
    ("node.k8s.io/v1", "runtimeclasses"),
    ("scheduling.k8s.io/v1", "priorityclasses"),
    ("storage.k8s.io/v1", "storageclasses"),
    ("v1", "persistentvolumes"),
    ("certificates.k8s.io/v1", "certificatesigningrequests"),
    ("v1", "namespaces"),
)

SINGULAR = {
    "clusterroles": "ClusterRole",
    "clusterrolebindings": "ClusterRoleBinding",
    "validatingadmissionpolicies": "ValidatingAdmissionPolicy",
    "validatingadmissionpolicybindings": "ValidatingAdmissionPolicyBinding",
    "validatingwebhookconfigurations": "ValidatingWebhookConfiguration",
    "mutatingwebhookconfigurations": "MutatingWebhookConfiguration",
    "runtimeclasses": "RuntimeClass",
    "priorityclasses": "PriorityClass",
    "storageclasses": "StorageClass",
    "persistentvolumes": "PersistentVolume",
    "certificatesigningrequests": "CertificateSigningRequest",
    "namespaces": "namespace",
    "nodes": "node",
}

# Namespaced kinds a lab may put in namespaces that outlive it; down deletes the ones
# carrying its label.
LABELLED_NAMESPACED: tuple[tuple[str, str], ...] = (
    ("networking.k8s.io/v1", "networkpolicies"),
    ("v1", "pods"),
    ("v1", "configmaps"),
    ("v1", "secrets"),
    ("v1", "services"),
    ("v1", "serviceaccounts"),
    ("apps/v1", "deployments"),
    ("rbac.authorization.k8s.io/v1", "roles"),
    ("rbac.authorization.k8s.io/v1", "rolebindings"),
)

# In the API server's pod, the same paths as a kind cluster of the lab has.
AUDIT_DIR = "/etc/kubernetes/policies"
ENCRYPTION_DIR = "/etc/kubernetes/encryption"
ADMISSION_DIR = "/etc/kubernetes/admission"
VOLUME_PREFIX = "labtui-"


def unavailable() -> str | None:
    """Why this machine is not a kubeadm control-plane node labtui can use, or None."""
    if not ADMIN_CONF.exists():
        return (
            f"{ADMIN_CONF} does not exist: this machine is not a kubeadm control-plane node "
            "(`make cluster` makes one here)"
        )
    if not os.access(ADMIN_CONF, os.R_OK):
        return f"{ADMIN_CONF} is not readable: run labtui as root on the control-plane node"
    return None


def admin_kubeconfig() -> str:
    why = unavailable()
    if why:
        raise EnvironmentUnavailable(
            f"--cluster node: {why}", "use --cluster kind on a laptop, or --context NAME"
        )
    return ADMIN_CONF.read_text()


def control_plane_name(kube: Any) -> str:
    """The name of the control-plane Node (kubeadm labels it)."""
    nodes = kube.list_objects("v1", "nodes", label_selector=CONTROL_PLANE_LABEL)
    if not nodes:
        raise LabError(
            f"no Node has the label {CONTROL_PLANE_LABEL}",
            "is this a kubeadm cluster? `kubectl get nodes --show-labels`",
        )
    return str(nodes[0]["metadata"]["name"])


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Volume:
    name: str
    host_path: str
    mount_path: str
    read_only: bool
    kind: str  # hostPath type


def _flag_value(command: list[str], flag: str) -> str | None:
    for arg in command:
        if arg.startswith(f"--{flag}="):
            return arg.split("=", 1)[1]
    return None


def settings_for(
    spec: ClusterSpec, lab_dir: Path, command: list[str], encryption_file: str | None = None
) -> tuple[dict[str, str], list[Volume]]:
    """The API server flags and volumes for ``spec``; its files come from ``lab_dir``.

    A lab file is mounted by its directory (an editor replaces a file by renaming,
    which a single-file mount would not see), at the path a kind cluster uses.
    ``encryption_file`` names another file of the encryption directory to point at.
    """
    lab = lab_dir.absolute()
    flags: dict[str, str] = {}
    volumes: list[Volume] = []
    if spec.audit:
        policy = lab / spec.audit.policy
        volumes.append(
            Volume("labtui-audit-policy", str(policy.parent), AUDIT_DIR, True, "Directory")
        )
        log_dir = str(PurePosixPath(spec.audit.log_path).parent)
        volumes.append(Volume("labtui-audit-log", log_dir, log_dir, False, "DirectoryOrCreate"))
        flags["audit-policy-file"] = f"{AUDIT_DIR}/{policy.name}"
        flags["audit-log-path"] = spec.audit.log_path
    if spec.encryption:
        config = lab / spec.encryption.config
        volumes.append(
            Volume("labtui-encryption", str(config.parent), ENCRYPTION_DIR, True, "Directory")
        )
        flags["encryption-provider-config"] = f"{ENCRYPTION_DIR}/{encryption_file or config.name}"
        if spec.encryption.automatic_reload:
            flags["encryption-provider-config-automatic-reload"] = "true"
    if spec.admission:
        # Added to what the manifest enables (kubeadm: NodeRestriction), never replacing it;
        # a plugin the lab disables leaves that list too: the API server refuses to start
        # when the two lists overlap.
        now = [p for p in (_flag_value(command, "enable-admission-plugins") or "").split(",") if p]
        enabled = list(
            dict.fromkeys(
                [*(p for p in now if p not in spec.admission.disable), *spec.admission.enable]
            )
        )
        if enabled != now:
            flags["enable-admission-plugins"] = ",".join(enabled)
        if spec.admission.disable:
            flags["disable-admission-plugins"] = ",".join(spec.admission.disable)
        if spec.admission.config:
            config = lab / spec.admission.config
            volumes.append(
                Volume("labtui-admission", str(config.parent), ADMISSION_DIR, True, "Directory")
            )
            flags["admission-control-config-file"] = f"{ADMISSION_DIR}/{config.name}"
    return flags, volumes


def edit_manifest(text: str, flags: dict[str, str], volumes: list[Volume]) -> str:
    """The kube-apiserver static pod manifest with ``flags`` set and ``volumes`` mounted."""
    pod = yaml.safe_load(text)
    spec = pod["spec"]
    container = next(c for c in spec["containers"] if c.get("name") == "kube-apiserver")
    command = [
        arg
        for arg in container.get("command", [])
        if not any(arg.startswith(f"--{flag}=") for flag in flags)
    ]
    command += [f"--{flag}={value}" for flag, value in flags.items()]
    container["command"] = command
    names = {v.name for v in volumes}
    mounts = [m for m in container.get("volumeMounts") or [] if m.get("name") not in names]
    pod_volumes = [v for v in spec.get("volumes") or [] if v.get("name") not in names]
    for v in volumes:
        mounts.append({"name": v.name, "mountPath": v.mount_path, "readOnly": v.read_only})
        pod_volumes.append({"name": v.name, "hostPath": {"path": v.host_path, "type": v.kind}})
    container["volumeMounts"] = mounts
    spec["volumes"] = pod_volumes
    return yaml.safe_dump(pod, sort_keys=False)


def holder() -> str | None:
    """The lab whose settings the API server runs with now, or None."""
    if not BACKUP_MANIFEST.exists():
        return None
    try:
        return str(json.loads(BACKUP_OWNER.read_text())["scenario"])
    except (OSError, ValueError, KeyError, TypeError):
        return "an unknown lab"


class ApiServerSettings:
    """The lab's hold on the API server's static pod manifest: edit, wait, restore."""

    def __init__(self, kube: Any, scenario_id: str, notify: Notify) -> None:
        self.kube = kube
        self.scenario_id = scenario_id
        self.notify = notify

    def holder(self) -> str | None:
        return holder()

    def original(self) -> bytes:
        return BACKUP_MANIFEST.read_bytes() if BACKUP_MANIFEST.exists() else MANIFEST.read_bytes()

    def apply(self, spec: ClusterSpec, lab_dir: Path, encryption_file: str | None = None) -> None:
        """Set ``spec``'s flags on the API server (from the original manifest) and wait for it."""
        holder = self.holder()
        if holder not in (None, self.scenario_id):
            raise EnvironmentUnavailable(
                f"the API server runs with the settings of lab {holder}",
                f"`labtui down {holder}` restores its manifest first",
            )
        keeper = files_held().get(str(MANIFEST))
        if keeper not in (None, self.scenario_id):
            raise EnvironmentUnavailable(
                f"lab {keeper} keeps {MANIFEST} for you to edit by hand",
                f"`labtui down {keeper}` puts it back first",
            )
        original = self.original()
        if not BACKUP_MANIFEST.exists():
            BACKUP_DIR.mkdir(mode=0o700, exist_ok=True)
            write_atomic(BACKUP_MANIFEST, original)
            log_dir = None
            if spec.audit:
                log_dir = str(PurePosixPath(spec.audit.log_path).parent)
            write_atomic(
                BACKUP_OWNER,
                json.dumps(
                    {
                        "scenario": self.scenario_id,
                        "made": time.time(),
                        # Made by this lab (the audit log directory): removed again on down.
                        "created": [log_dir] if log_dir and not Path(log_dir).exists() else [],
                    }
                ),
            )
        pod = yaml.safe_load(original)
        container = next(c for c in pod["spec"]["containers"] if c.get("name") == "kube-apiserver")
        flags, volumes = settings_for(spec, lab_dir, container.get("command", []), encryption_file)
        self._write(edit_manifest(original.decode(), flags, volumes).encode(), "the lab's settings")

    def restore(self) -> bool:
        """Put the original manifest back, byte for byte, and wait; False when there was none."""
        holder = self.holder()
        if holder is None:
            return False
        if holder != self.scenario_id:
            return False
        original = BACKUP_MANIFEST.read_bytes()
        created: list[str] = []
        with contextlib.suppress(OSError, ValueError, AttributeError):
            created = list(json.loads(BACKUP_OWNER.read_text()).get("created") or [])
        self._write(original, "its original manifest")
        for path in created:
            _remove_tree(Path(path))
        BACKUP_OWNER.unlink(missing_ok=True)
        BACKUP_MANIFEST.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            BACKUP_DIR.rmdir()
        return True

    def _write(self, data: bytes, what: str) -> None:
        if MANIFEST.read_bytes() == data:
            return
        node = control_plane_name(self.kube)
        before = self._hash(node)
        self.notify(f"restarting the API server with {what} ({MANIFEST})")
        # Written beside the backup and renamed into place: the kubelet never sees half a file.
        tmp = BACKUP_DIR / ".kube-apiserver.yaml.new"
        BACKUP_DIR.mkdir(mode=0o700, exist_ok=True)
        tmp.write_bytes(data)
        os.chmod(tmp, MANIFEST.stat().st_mode & 0o777)
        os.replace(tmp, MANIFEST)
        self.wait_restarted(node, before)

    def _hash(self, node: str) -> str | None:
        try:
            pod = self.kube.get("v1", "pods", f"kube-apiserver-{node}", "kube-system")
        except LabError:
            return None
        return config_hash(pod)

    def wait_restarted(
        self, node: str, before: str | None, timeout: float = RESTART_TIMEOUT
    ) -> None:
        """Until the API server's mirror pod runs the new manifest and is Ready."""
        from labtui.drivers.kube import is_ready

        self.notify("waiting for the API server to come back")
        since = time.time() - 2.0
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            try:
                pod = self.kube.get("v1", "pods", f"kube-apiserver-{node}", "kube-system")
                if pod:
                    now = config_hash(pod)
                    if now != before and (is_ready(pod) or _started_since(pod, since)):
                        # The new container runs (the old one held the port until it was
                        # gone) and says it is ready: no need to wait for the pod's probes.
                        self.kube.request("GET", "/readyz")
                        return
                    last = "the API server pod still runs the old manifest or is not Ready"
            except LabError as exc:
                last = exc.message
            except Exception as exc:  # the API server is down mid-restart: connection errors
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(2.0)
        raise LabError(
            f"the API server did not come back within {timeout:g} s ({last})",
            f"look at `crictl ps -a --name kube-apiserver` and `crictl logs` on this node; "
            f"the original manifest is kept in {BACKUP_MANIFEST} and `labtui down "
            f"{self.scenario_id}` puts it back",
        )


def config_hash(pod: dict[str, Any] | None) -> str | None:
    """The kubelet's hash of the manifest a static pod's mirror pod runs."""
    if not pod:
        return None
    return (pod.get("metadata", {}).get("annotations") or {}).get("kubernetes.io/config.hash")


def _started_since(pod: dict[str, Any], since: float, container: str = "kube-apiserver") -> bool:
    """The pod's ``container`` (kubeadm names it as the pod) runs, started after ``since``."""
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        started = ((status.get("state") or {}).get("running") or {}).get("startedAt")
        if status.get("name") == container and started:
            return _timestamp(started) >= since
    return False


def _timestamp(stamp: Any) -> float:
    """An API timestamp (``2026-12-03T08:47:58Z``) in seconds; 0 when it is not one."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def decrypting_config(text: str) -> str | None:
    """The EncryptionConfiguration with ``identity`` first: reads everything, writes plain text.

    None when the configuration encrypts nothing (only identity), so there is nothing
    to decrypt before the API server loses the keys.
    """
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        return None
    changed = copy.deepcopy(data)
    encrypts = False
    for resource in changed.get("resources") or []:
        providers = [p for p in resource.get("providers") or [] if "identity" not in p]
        if providers:
            encrypts = True
        resource["providers"] = [{"identity": {}}, *providers]
    return yaml.safe_dump(changed, sort_keys=False) if encrypts else None


# --------------------------------------------------------------------------- leaving it as found


def snapshot(kube: Any) -> dict[str, Any]:
    """The cluster-wide objects there are now, by resource."""
    objects: dict[str, list[str]] = {}
    for api_version, plural in CLUSTER_WIDE:
        try:
            items = kube.list_objects(api_version, plural)
        except LabError:
            continue
        objects[f"{api_version}/{plural}"] = sorted(i["metadata"]["name"] for i in items)
    return {
        "time": time.time(),
        "objects": objects,
        "node_labels": _labels(kube, "nodes"),
        "namespace_labels": _labels(kube, "namespaces"),
    }


def _labels(kube: Any, plural: str) -> dict[str, dict[str, str]]:
    try:
        return {
            o["metadata"]["name"]: dict(o["metadata"].get("labels") or {})
            for o in kube.list_objects("v1", plural)
        }
    except LabError:
        return {}


def restore_labels(
    kube: Any, before: dict[str, dict[str, str]], notify: Notify, plural: str = "nodes"
) -> None:
    """Put the labels of Nodes (or Namespaces) that were there back as they were: labels
    added since removed, changed ones reset."""
    for node in kube.list_objects("v1", plural):
        name = node["metadata"]["name"]
        if name not in before:
            continue
        was, now = before[name], dict(node["metadata"].get("labels") or {})
        patch: dict[str, str | None] = {k: None for k in now if k not in was}
        patch.update({k: v for k, v in was.items() if now.get(k) != v})
        if patch:
            notify(f"putting back the labels of {SINGULAR.get(plural, plural)} {name}")
            from labtui.drivers.kube import resource_path

            kube.request(
                "PATCH",
                resource_path("v1", plural, None, name),
                body={"metadata": {"labels": patch}},
                content_type="application/merge-patch+json",
            )


def record_before(kube: Any, lab_dir: Path) -> None:
    """Note what the cluster had at the first ``up`` (a second ``up`` keeps the first note)."""
    path = lab_dir / BEFORE_FILE
    if not path.exists():
        write_atomic(path, json.dumps(snapshot(kube)))


def _created_at(obj: dict[str, Any]) -> float:
    return _timestamp((obj.get("metadata") or {}).get("creationTimestamp"))


def leave_as_found(
    kube: Any, lab_dir: Path, scenario_id: str, notify: Notify, wait: float = 360.0
) -> None:
    """Delete what the lab made: objects labelled with it, and unlabelled ones made since up.

    Objects another lab labelled as its own are left alone.
    """
    path = lab_dir / BEFORE_FILE
    try:
        before = json.loads(path.read_text())
    except (OSError, ValueError):
        before = {"time": None, "objects": {}}
    since = before.get("time")
    if before.get("node_labels"):
        restore_labels(kube, before["node_labels"], notify, "nodes")
    if before.get("namespace_labels"):
        restore_labels(kube, before["namespace_labels"], notify, "namespaces")
    # What the lab labelled as its own in namespaces that stay (kube-system, default).
    for api_version, plural in LABELLED_NAMESPACED:
        try:
            items = kube.list_objects(
                api_version, plural, label_selector=f"{SCENARIO_LABEL}={scenario_id}"
            )
        except LabError:
            continue
        for obj in items:
            meta = obj.get("metadata") or {}
            notify(f"deleting {plural} {meta.get('namespace')}/{meta.get('name')}")
            kube.delete(api_version, plural, str(meta.get("name")), meta.get("namespace"))
    gone: list[tuple[str, str, str]] = []
    for api_version, plural in CLUSTER_WIDE:
        key = f"{api_version}/{plural}"
        had = set(before.get("objects", {}).get(key, []))
        try:
            items = kube.list_objects(api_version, plural)
        except LabError:
            continue
        for obj in items:
            meta = obj.get("metadata") or {}
            name = str(meta.get("name"))
            owner = (meta.get("labels") or {}).get(SCENARIO_LABEL)
            ours = owner == scenario_id or (
                owner is None
                and name not in had
                and since is not None
                and _created_at(obj) >= int(since)
            )
            if not ours:
                continue
            if plural == "namespaces" and name in ("default", "kube-system", "kube-public"):
                continue
            notify(f"deleting {SINGULAR.get(plural, plural)} {name}")
            kube.delete(api_version, plural, name)
            gone.append((api_version, plural, name))
    deadline = time.monotonic() + wait
    for api_version, plural, name in gone:
        if plural != "namespaces":
            continue
        while kube.get(api_version, plural, name) is not None:
            if time.monotonic() > deadline:
                raise LabError(
                    f"namespace {name} is still terminating after {wait:g} s",
                    f"`kubectl get namespace {name} -o yaml` shows what holds it; the "
                    "namespace controller runs in kube-controller-manager, which restarts "
                    "after every API server restart (`crictl ps -a --name "
                    "kube-controller-manager`): run down again once it is back",
                )
            time.sleep(1.0)
    path.unlink(missing_ok=True)


def rewrite_secrets(kube: Any, notify: Notify) -> int:
    """Write every Secret again (``kubectl get secrets -A -o json | kubectl replace -f -``)."""
    secrets = kube.list_objects("v1", "secrets")
    notify(f"writing {len(secrets)} Secrets again in plain text")
    from labtui.drivers.kube import resource_path

    for secret in secrets:
        meta = secret["metadata"]
        kube.request(
            "PUT",
            resource_path("v1", "secrets", meta.get("namespace"), meta["name"]),
            body=secret,
        )
    return len(secrets)


# --------------------------------------------------------------------------- files the learner edits

FILES_DIR = BACKUP_DIR / "files"
MANIFESTS_DIR = KUBEADM_DIR / "manifests"
# Run by `make cluster` (scripts/cluster-up.sh): a supervisor restarts what exits.
SUPERVISED_RUN = Path("/run/labtui-cluster")


def _files_index(scenario_id: str) -> Path:
    return FILES_DIR / scenario_id / "index.json"


def files_held() -> dict[str, str]:
    """Every node file whose copy a lab keeps now: path -> lab."""
    held: dict[str, str] = {}
    if not FILES_DIR.is_dir():
        return held
    for index in sorted(FILES_DIR.glob("*/index.json")):
        try:
            data = json.loads(index.read_text())
            for entry in data["files"]:
                held[str(entry["path"])] = str(data["scenario"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return held


class NodeFiles:
    """Files on the node the learner edits by hand (a static pod manifest, the kubelet's
    configuration, containerd's): kept byte for byte at ``up``, put back at ``down``.

    A path that did not exist at ``up`` (a policy file, a log directory the learner
    makes) is removed again. Owner, group and mode come back with the bytes. After
    putting back a static pod manifest labtui waits for the kubelet to run it again;
    after the kubelet's or containerd's files it restarts that service. Labs may keep
    different files at once; a file another lab keeps (or the API server manifest while
    a lab holds its settings) is refused with the lab that has it.
    """

    def __init__(self, kube: Any, scenario_id: str, notify: Notify) -> None:
        self.kube = kube
        self.scenario_id = scenario_id
        self.notify = notify
        self.index = _files_index(scenario_id)
        self.copies = self.index.parent

    def keep(self, paths: list[str]) -> None:
        if self.index.exists():
            return  # a second up: the first copies are the ones to go back to
        held = files_held()
        settings = holder()
        for name in paths:
            other = held.get(name)
            if other is None and settings and Path(name) == MANIFEST:
                other = settings
            if other is not None and other != self.scenario_id:
                raise EnvironmentUnavailable(
                    f"lab {other} has {name} changed or kept for you to edit",
                    f"`labtui down {other}` puts it back first",
                )
        self.copies.mkdir(parents=True, mode=0o700, exist_ok=True)
        entries = []
        for i, name in enumerate(paths):
            path = Path(name)
            entry: dict[str, Any] = {"path": name, "existed": path.exists() or path.is_symlink()}
            if path.is_dir() and not path.is_symlink():
                import shutil

                copy_name = f"{i}.tree"
                shutil.copytree(path, self.copies / copy_name, symlinks=True)
                entry.update(copy=copy_name, dir=True)
            elif not entry["existed"]:
                # Directories made on the way to it go again too (/var/log/kubernetes for
                # /var/log/kubernetes/audit/), as long as nothing else was in them at up.
                top = path
                while not top.parent.exists():
                    top = top.parent
                if top != path:
                    entry["made"] = str(top)
            else:
                copy_name = f"{i}.file"
                write_atomic(self.copies / copy_name, path.read_bytes())
                st = path.stat()
                entry.update(copy=copy_name, mode=st.st_mode & 0o7777, uid=st.st_uid, gid=st.st_gid)
                component = _static_pod(path)
                if component:
                    # What the kubelet calls the original manifest: down waits for it.
                    entry["hash"] = self._hash(component)
            entries.append(entry)
        write_atomic(
            self.index,
            json.dumps({"scenario": self.scenario_id, "made": time.time(), "files": entries}),
        )

    def changed(self) -> list[str]:
        """The kept paths that differ from their copies now."""
        return [e["path"] for e in self._entries() if not _same(e, self.copies)]

    def restore(self) -> bool:
        """Put every kept file back (or remove what was not there); False when none were kept."""
        if not self.index.exists():
            return False
        restarts: list[str] = []
        manifests: list[tuple[str, str | None, str | None]] = []
        since = time.time() - 2.0
        for entry in self._entries():
            if _same(entry, self.copies):
                continue
            path = Path(entry["path"])
            component = _static_pod(path)
            before = self._hash(component) if component else None
            self.notify(f"putting back {path}")
            _put_back(entry, self.copies)
            if component:
                manifests.append((component, before, entry.get("hash")))
            service = _service_of(path)
            if service and service not in restarts:
                restarts.append(service)
        for service in restarts:
            restart_service(service, self.notify)
        for component, before, original in manifests:
            self.wait_component(component, before, original, since)
        import shutil

        shutil.rmtree(self.copies, ignore_errors=True)
        for parent in (FILES_DIR, BACKUP_DIR):
            with contextlib.suppress(OSError):
                parent.rmdir()
        return True

    def _entries(self) -> list[dict[str, Any]]:
        try:
            return list(json.loads(self.index.read_text())["files"])
        except (OSError, ValueError, KeyError, TypeError):
            return []

    def _hash(self, component: str) -> str | None:
        try:
            node = control_plane_name(self.kube)
            pod = self.kube.get("v1", "pods", f"{component}-{node}", "kube-system")
        except Exception:  # the API server may be down: the learner's manifest broke it
            return None
        return config_hash(pod)

    def wait_component(
        self,
        component: str,
        before: str | None,
        original: str | None = None,
        since: float | None = None,
        timeout: float = RESTART_TIMEOUT,
    ) -> None:
        """Until the static pod ``component`` runs its put-back manifest and is Ready.

        ``before`` is the mirror pod's hash when the file went back, ``original`` the
        hash it had at up. The kubelet updates the mirror pod a moment after it acts, so
        ``before`` may already be the original's (an edit it never ran, or had not yet
        reported): then a container started since the put-back, or the original's hash
        holding for a while, says the same.
        """
        from labtui.drivers.kube import is_ready

        self.notify(f"waiting for {component} to run its original manifest")
        since = time.time() - 2.0 if since is None else since
        settle = time.monotonic() + SETTLE
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            try:
                node = control_plane_name(self.kube)
                pod = self.kube.get("v1", "pods", f"{component}-{node}", "kube-system")
                if pod:
                    now = config_hash(pod)
                    back = now != before or _started_since(pod, since, component)
                    if original is not None and now == original:
                        back = back or time.monotonic() > settle
                    elif original is not None:
                        back = False  # still the learner's manifest
                    if back and is_ready(pod):
                        if component == "kube-apiserver":
                            self.kube.request("GET", "/readyz")
                        return
                    last = f"{component} still runs the edited manifest or is not Ready"
            except LabError as exc:
                last = exc.message
            except Exception as exc:  # the API server is down mid-restart
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(2.0)
        raise LabError(
            f"{component} did not come back within {timeout:g} s ({last})",
            f"look at `crictl ps -a --name {component}` and `crictl logs` on this node",
        )


def _same(entry: dict[str, Any], copies: Path) -> bool:
    path = Path(entry.get("made") or entry["path"])
    if not entry["existed"]:
        return not (path.exists() or path.is_symlink())
    if entry.get("dir"):
        return False  # a directory is always put back whole
    try:
        st = path.stat()
        return (
            path.read_bytes() == (copies / entry["copy"]).read_bytes()
            and st.st_mode & 0o7777 == entry["mode"]
            and (st.st_uid, st.st_gid) == (entry["uid"], entry["gid"])
        )
    except OSError:
        return False


def _put_back(entry: dict[str, Any], copies: Path) -> None:
    import shutil

    path = Path(entry.get("made") or entry["path"])
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif (path.exists() or path.is_symlink()) and (not entry["existed"] or entry.get("dir")):
        # A file kept at up is replaced by the rename below, never removed first.
        path.unlink()
    if not entry["existed"]:
        return
    if entry.get("dir"):
        shutil.copytree(copies / entry["copy"], path, symlinks=True)
        return
    # Written beside the file and renamed over it: the kubelet never sees half a file nor
    # none (it skips names starting with a dot), and a rename never crosses a mount
    # (/var/lib/kubelet may be one).
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.labtui-new"
    tmp.write_bytes((copies / entry["copy"]).read_bytes())
    os.chmod(tmp, entry["mode"])
    os.chown(tmp, entry["uid"], entry["gid"])
    os.replace(tmp, path)


def _static_pod(path: Path) -> str | None:
    """The component a kubeadm static pod manifest runs (``kube-apiserver``), or None."""
    if path.parent == MANIFESTS_DIR and path.suffix == ".yaml":
        return path.stem
    return None


def _service_of(path: Path) -> str | None:
    """The node service that reads ``path`` only when it starts."""
    text = str(path)
    if text.startswith("/var/lib/kubelet/") or text.startswith("/etc/systemd/system/kubelet"):
        return "kubelet"
    if text.startswith("/etc/containerd/"):
        return "containerd"
    return None


def restart_service(name: str, notify: Notify, timeout: float = 120.0) -> None:
    """Restart the kubelet or containerd: by systemd where it runs them, else by the
    supervisor of ``make cluster``, which starts again what exits."""
    import shutil
    import signal
    import subprocess

    notify(f"restarting {name}")
    systemctl = shutil.which("systemctl")
    if systemctl:
        # Quiet: where systemd is not PID 1 ("System has not been booted with systemd").
        active = subprocess.run(
            [systemctl, "is-active", "--quiet", name],
            check=False,
            timeout=30,
            capture_output=True,
        )
        if active.returncode == 0:
            subprocess.run([systemctl, "restart", name], check=True, timeout=timeout)
            return
    pid_file = SUPERVISED_RUN / f"{name}.child.pid"
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError) as exc:
        raise LabError(
            f"cannot restart {name}: neither systemd nor labtui's cluster supervisor runs it",
            f"restart {name} the way this node starts it",
        ) from exc
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            now = int(pid_file.read_text().strip())
            if now != pid and Path(f"/proc/{now}").exists():
                return
        time.sleep(0.5)
    raise LabError(
        f"{name} did not start again within {timeout:g} s",
        f"look at how this node runs {name} (`make cluster` keeps its log in its log directory)",
    )
