"""kubeadm's PKI as data: which certificates exist, who signs them, what they say.

Follows kubeadm's ``phases/certs/certlist.go``, ``util/pkiutil/pki_helpers.go`` and
``phases/kubeconfig/kubeconfig.go``. From Kubernetes 1.29 the admin identity moved
from the super-user group ``system:masters`` to ``kubeadm:cluster-admins`` (bound to
cluster-admin by RBAC, so it can be revoked), ``super-admin.conf`` keeps
``system:masters`` for break-glass use, and the etcd client certificates lost their
``system:masters`` organisation.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from labtui.pki.usages import CLIENT_AUTH, SERVER_AUTH

MASTERS = "system:masters"
CLUSTER_ADMINS = "kubeadm:cluster-admins"
NODES = "system:nodes"

CA_VALIDITY_DAYS = 3650
LEAF_VALIDITY_DAYS = 365
CA_BACKDATE_MINUTES = 5


@dataclass(frozen=True)
class ClusterParams:
    """What ``kubeadm init`` reads from its configuration and the machine."""

    node_name: str = "control-plane"
    advertise_address: str = "172.18.0.2"
    kubernetes_version: str = "1.31"
    service_subnet: str = "10.96.0.0/12"
    dns_domain: str = "cluster.local"
    cluster_name: str = "kubernetes"
    bind_port: int = 6443

    @property
    def version(self) -> tuple[int, int]:
        return parse_version(self.kubernetes_version)

    @property
    def cluster_admins_layout(self) -> bool:
        """1.29+: admin.conf in kubeadm:cluster-admins, super-admin.conf in system:masters."""
        return self.version >= (1, 29)

    @property
    def service_ip(self) -> str:
        """The first address of the service subnet: the ``kubernetes`` Service's ClusterIP."""
        net = ipaddress.ip_network(self.service_subnet, strict=False)
        return str(net.network_address + 1)

    @property
    def server(self) -> str:
        host = self.advertise_address
        if ":" in host:
            host = f"[{host}]"
        return f"https://{host}:{self.bind_port}"


def parse_version(text: str) -> tuple[int, int]:
    """``1.31``, ``v1.28.3`` -> (1, 31); raises ValueError with what is expected."""
    parts = text.strip().lstrip("v").split(".")
    try:
        major, minor = int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        raise ValueError(
            f"kubernetes version {text!r} is not MAJOR.MINOR (e.g. 1.31 or v1.28.3)"
        ) from None
    if major != 1 or not 0 <= minor < 100:
        raise ValueError(f"kubernetes version {text!r} is not a 1.x version")
    return major, minor


@dataclass(frozen=True)
class CertSpec:
    """One certificate kubeadm writes under ``/etc/kubernetes/pki``."""

    name: str  # kubeadm's base name, also the file name without .crt/.key
    cn: str
    ca: str | None  # base name of the signing CA; None for a CA
    organizations: tuple[str, ...] = ()
    usages: tuple[str, ...] = ()
    dns: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()

    @property
    def is_ca(self) -> bool:
        return self.ca is None


@dataclass(frozen=True)
class KubeconfigSpec:
    """One kubeconfig kubeadm writes under ``/etc/kubernetes``."""

    file: str
    user: str
    organizations: tuple[str, ...] = field(default=())


def _sorted_unique(names: list[str]) -> tuple[str, ...]:
    # kubeadm's RemoveDuplicateAltNames turns DNS names into a sorted set; IPs keep their order.
    return tuple(sorted(set(names)))


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def certificates(p: ClusterParams) -> list[CertSpec]:
    """kubeadm's default certificate list, CAs first, in the order kubeadm creates them."""
    masters = () if p.cluster_admins_layout else (MASTERS,)
    kubelet_client_group = CLUSTER_ADMINS if p.cluster_admins_layout else MASTERS
    apiserver_dns = [
        p.node_name,
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        f"kubernetes.default.svc.{p.dns_domain}",
    ]
    etcd_dns = [p.node_name, "localhost"]
    etcd_ips = [p.advertise_address, "127.0.0.1", "::1"]
    return [
        CertSpec("ca", "kubernetes", None, dns=("kubernetes",)),
        CertSpec(
            "apiserver",
            "kube-apiserver",
            "ca",
            usages=(SERVER_AUTH,),
            dns=_sorted_unique(apiserver_dns),
            ips=_unique([p.service_ip, p.advertise_address]),
        ),
        CertSpec(
            "apiserver-kubelet-client",
            "kube-apiserver-kubelet-client",
            "ca",
            organizations=(kubelet_client_group,),
            usages=(CLIENT_AUTH,),
        ),
        CertSpec("front-proxy-ca", "front-proxy-ca", None, dns=("front-proxy-ca",)),
        CertSpec(
            "front-proxy-client", "front-proxy-client", "front-proxy-ca", usages=(CLIENT_AUTH,)
        ),
        CertSpec("etcd/ca", "etcd-ca", None, dns=("etcd-ca",)),
        CertSpec(
            "etcd/server",
            p.node_name,
            "etcd/ca",
            usages=(SERVER_AUTH, CLIENT_AUTH),
            dns=_sorted_unique(etcd_dns),
            ips=_unique(etcd_ips),
        ),
        CertSpec(
            "etcd/peer",
            p.node_name,
            "etcd/ca",
            usages=(SERVER_AUTH, CLIENT_AUTH),
            dns=_sorted_unique(etcd_dns),
            ips=_unique(etcd_ips),
        ),
        CertSpec(
            "etcd/healthcheck-client",
            "kube-etcd-healthcheck-client",
            "etcd/ca",
            organizations=masters,
            usages=(CLIENT_AUTH,),
        ),
        CertSpec(
            "apiserver-etcd-client",
            "kube-apiserver-etcd-client",
            "etcd/ca",
            organizations=masters,
            usages=(CLIENT_AUTH,),
        ),
    ]


def kubeconfigs(p: ClusterParams) -> list[KubeconfigSpec]:
    """The kubeconfigs of ``kubeadm init phase kubeconfig all``, each with a client certificate from ``ca``."""
    specs = [
        KubeconfigSpec(
            "admin.conf",
            "kubernetes-admin",
            (CLUSTER_ADMINS,) if p.cluster_admins_layout else (MASTERS,),
        )
    ]
    if p.cluster_admins_layout:
        specs.append(KubeconfigSpec("super-admin.conf", "kubernetes-super-admin", (MASTERS,)))
    specs += [
        KubeconfigSpec("kubelet.conf", f"system:node:{p.node_name}", (NODES,)),
        KubeconfigSpec("controller-manager.conf", "system:kube-controller-manager"),
        KubeconfigSpec("scheduler.conf", "system:kube-scheduler"),
    ]
    return specs


def cert_names(p: ClusterParams) -> list[str]:
    return [c.name for c in certificates(p)]


class PkiError(ValueError):
    """Options that name certificates or SANs the layout does not have."""


@dataclass(frozen=True)
class Faults:
    """Mistakes planted on purpose for a lab to find."""

    expired: tuple[str, ...] = ()
    wrong_ca: tuple[str, ...] = ()
    missing_san: tuple[str, ...] = ()  # "apiserver:kubernetes.default"

    def validate(self, params: ClusterParams) -> None:
        specs = {c.name: c for c in certificates(params)}
        leaves = [n for n, c in specs.items() if not c.is_ca]
        for option, names in (("expired", self.expired), ("wrong_ca", self.wrong_ca)):
            for name in names:
                if name not in leaves:
                    raise PkiError(
                        f"{option}: {name!r} is not a kubeadm leaf certificate; use one of {', '.join(leaves)}"
                    )
        for item in self.missing_san:
            name, sep, san = item.partition(":")
            if not sep or name not in specs:
                raise PkiError(
                    f"missing_san: {item!r} must be CERT:SAN, e.g. apiserver:kubernetes.default"
                )
            if san not in specs[name].dns + specs[name].ips:
                have = ", ".join(specs[name].dns + specs[name].ips) or "none"
                raise PkiError(f"missing_san: {name} has no SAN {san!r} (it has: {have})")
