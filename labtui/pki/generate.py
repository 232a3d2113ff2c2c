"""Generate a kubeadm-faithful ``/etc/kubernetes`` (PKI, kubeconfigs, API server manifest).

The layout comes from :mod:`labtui.pki.layout`. Lab setups can plant faults: a
certificate that has expired, one signed by a look-alike CA (same issuer name,
different key, so only a signature check catches it), or one missing a SAN.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import os
import secrets
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from labtui.pki.layout import (
    CA_BACKDATE_MINUTES,
    CA_VALIDITY_DAYS,
    LEAF_VALIDITY_DAYS,
    CertSpec,
    ClusterParams,
    Faults,
    KubeconfigSpec,
    certificates,
    kubeconfigs,
)
from labtui.pki.usages import CLIENT_AUTH, EXTENDED_KEY_USAGES

RSA_BITS = 2048
EKU_OIDS = {name: ObjectIdentifier(oid) for name, oid in EXTENDED_KEY_USAGES.items()}
EXPIRED_AGE_DAYS = 400


@dataclass
class GeneratedPki:
    root: Path
    files: list[Path] = field(default_factory=list)
    keys_generated: int = 0


@dataclass
class _Issued:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey


def _name(cn: str, organizations: Iterable[str] = ()) -> x509.Name:
    # Go's pkix.Name puts O before CN, which is the order openssl prints.
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in organizations]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _serial() -> int:
    return secrets.randbelow(2**63 - 2) + 1


def _key_usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=True,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _sans(dns: Iterable[str], ips: Iterable[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
    names += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    return names


def make_ca(cn: str, key: rsa.RSAPrivateKey, not_before: dt.datetime) -> x509.Certificate:
    """Like client-go's NewSelfSignedCACert: 10 years, CA:TRUE, DNS SAN = CN."""
    name = _name(cn)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(_serial())
        .not_valid_before(not_before)
        .not_valid_after(
            not_before
            + dt.timedelta(minutes=CA_BACKDATE_MINUTES)
            + dt.timedelta(days=CA_VALIDITY_DAYS)
        )
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.SubjectAlternativeName(_sans([cn], [])), critical=False)
    )
    return builder.sign(key, hashes.SHA256())


def sign_leaf(
    spec: CertSpec,
    key: rsa.RSAPrivateKey,
    ca: _Issued,
    not_before: dt.datetime,
    not_after: dt.datetime,
    dns: Iterable[str] | None = None,
    ips: Iterable[str] | None = None,
) -> x509.Certificate:
    """Like kubeadm's NewSignedCert: key usage digitalSignature+keyEncipherment, the spec's EKUs."""
    dns = list(spec.dns if dns is None else dns)
    ips = list(spec.ips if ips is None else ips)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(spec.cn, spec.organizations))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(_serial())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([EKU_OIDS[u] for u in spec.usages]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
    )
    if dns or ips:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(_sans(dns, ips)), critical=False
        )
    return builder.sign(ca.key, hashes.SHA256())


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: rsa.RSAPrivateKey) -> bytes:
    # kubeadm writes RSA keys as PKCS#1 ("RSA PRIVATE KEY").
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def new_keys(count: int, bits: int = RSA_BITS) -> list[rsa.RSAPrivateKey]:
    """RSA key generation dominates; OpenSSL releases the GIL, so threads help."""
    workers = min(count, os.cpu_count() or 1, 8)
    if workers <= 1:
        return [rsa.generate_private_key(65537, bits) for _ in range(count)]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda _: rsa.generate_private_key(65537, bits), range(count)))


def _write(path: Path, data: bytes, private: bool, out: GeneratedPki) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.chmod(path, 0o600 if private else 0o644)
    out.files.append(path)


def kubeconfig_yaml(
    params: ClusterParams,
    user: str,
    ca: x509.Certificate,
    cert: bytes,
    key: bytes,
    server: str | None = None,
) -> str:
    """A kubeconfig as kubeadm writes it: CA, client certificate and key embedded."""

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    context = f"{user}@{params.cluster_name}"
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": params.cluster_name,
                "cluster": {
                    "certificate-authority-data": b64(cert_pem(ca)),
                    "server": server or params.server,
                },
            }
        ],
        "contexts": [{"name": context, "context": {"cluster": params.cluster_name, "user": user}}],
        "current-context": context,
        "preferences": {},
        "users": [
            {
                "name": user,
                "user": {"client-certificate-data": b64(cert), "client-key-data": b64(key)},
            }
        ],
    }
    return yaml.safe_dump(doc, sort_keys=False)


def apiserver_manifest(params: ClusterParams) -> str:
    """The TLS flags of kubeadm's kube-apiserver static Pod: which file is used for what."""
    pki = "/etc/kubernetes/pki"
    flags = [
        f"--advertise-address={params.advertise_address}",
        "--allow-privileged=true",
        "--authorization-mode=Node,RBAC",
        f"--client-ca-file={pki}/ca.crt",
        "--enable-admission-plugins=NodeRestriction",
        "--enable-bootstrap-token-auth=true",
        f"--etcd-cafile={pki}/etcd/ca.crt",
        f"--etcd-certfile={pki}/apiserver-etcd-client.crt",
        f"--etcd-keyfile={pki}/apiserver-etcd-client.key",
        "--etcd-servers=https://127.0.0.1:2379",
        f"--kubelet-client-certificate={pki}/apiserver-kubelet-client.crt",
        f"--kubelet-client-key={pki}/apiserver-kubelet-client.key",
        "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
        f"--proxy-client-cert-file={pki}/front-proxy-client.crt",
        f"--proxy-client-key-file={pki}/front-proxy-client.key",
        "--requestheader-allowed-names=front-proxy-client",
        f"--requestheader-client-ca-file={pki}/front-proxy-ca.crt",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-username-headers=X-Remote-User",
        f"--secure-port={params.bind_port}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-account-key-file={pki}/sa.pub",
        f"--service-account-signing-key-file={pki}/sa.key",
        f"--service-cluster-ip-range={params.service_subnet}",
        f"--tls-cert-file={pki}/apiserver.crt",
        f"--tls-private-key-file={pki}/apiserver.key",
    ]
    doc = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "labels": {"component": "kube-apiserver", "tier": "control-plane"},
            "name": "kube-apiserver",
            "namespace": "kube-system",
        },
        "spec": {
            "containers": [
                {
                    "command": ["kube-apiserver", *flags],
                    "image": f"registry.k8s.io/kube-apiserver:v{params.version[0]}.{params.version[1]}.0",
                    "name": "kube-apiserver",
                    "volumeMounts": [{"mountPath": pki, "name": "k8s-certs", "readOnly": True}],
                }
            ],
            "hostNetwork": True,
            "priorityClassName": "system-node-critical",
            "volumes": [
                {"hostPath": {"path": pki, "type": "DirectoryOrCreate"}, "name": "k8s-certs"}
            ],
        },
    }
    return yaml.safe_dump(doc, sort_keys=False)


def generate(
    root: Path,
    params: ClusterParams | None = None,
    faults: Faults | None = None,
    now: dt.datetime | None = None,
    bits: int = RSA_BITS,
) -> GeneratedPki:
    """Write ``root/pki/...``, ``root/*.conf`` and ``root/manifests/kube-apiserver.yaml``.

    ``root`` plays ``/etc/kubernetes``. When a certificate is to be expired, the
    cluster is made ``EXPIRED_AGE_DAYS`` old: CAs date from then, every other
    leaf looks renewed, and the expired one still has its original year.
    """
    params = params or ClusterParams()
    faults = faults or Faults()
    faults.validate(params)
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    age = dt.timedelta(days=EXPIRED_AGE_DAYS if faults.expired else 0)
    ca_not_before = now - age - dt.timedelta(minutes=CA_BACKDATE_MINUTES)

    specs = certificates(params)
    by_name = {s.name: s for s in specs}
    kconfs = kubeconfigs(params)
    stray_cas = {s.ca for s in specs if s.name in faults.wrong_ca}
    keys = new_keys(len(specs) + len(kconfs) + 1 + len(stray_cas), bits)
    out = GeneratedPki(root, keys_generated=len(keys))
    pki = root / "pki"

    issued: dict[str, _Issued] = {}
    strays: dict[str, _Issued] = {}
    missing = {(n, s) for n, _, s in (m.partition(":") for m in faults.missing_san)}
    for spec in specs:
        key = keys.pop()
        if spec.is_ca:
            issued[spec.name] = _Issued(make_ca(spec.cn, key, ca_not_before), key)
            continue
        assert spec.ca is not None
        signer = issued[spec.ca]
        if spec.name in faults.wrong_ca:
            if spec.ca not in strays:
                stray_key = keys.pop()
                strays[spec.ca] = _Issued(
                    make_ca(by_name[spec.ca].cn, stray_key, ca_not_before), stray_key
                )
            signer = strays[spec.ca]
        not_after = (
            ca_not_before + dt.timedelta(days=LEAF_VALIDITY_DAYS)
            if spec.name in faults.expired
            else now + dt.timedelta(days=LEAF_VALIDITY_DAYS)
        )
        dns = [d for d in spec.dns if (spec.name, d) not in missing]
        ips = [i for i in spec.ips if (spec.name, i) not in missing]
        # kubeadm: a leaf's NotBefore is its CA's NotBefore.
        cert = sign_leaf(spec, key, signer, signer.cert.not_valid_before_utc, not_after, dns, ips)
        issued[spec.name] = _Issued(cert, key)

    for name, item in issued.items():
        _write(pki / f"{name}.crt", cert_pem(item.cert), False, out)
        _write(pki / f"{name}.key", key_pem(item.key), True, out)

    sa = keys.pop()
    _write(pki / "sa.key", key_pem(sa), True, out)
    _write(
        pki / "sa.pub",
        sa.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        False,
        out,
    )

    ca = issued["ca"]
    for kc in kconfs:
        key = keys.pop()
        cert = _client_cert(kc, key, ca, now)
        text = kubeconfig_yaml(params, kc.user, ca.cert, cert_pem(cert), key_pem(key))
        _write(root / kc.file, text.encode(), True, out)

    _write(
        root / "manifests" / "kube-apiserver.yaml", apiserver_manifest(params).encode(), False, out
    )
    return out


def _client_cert(
    kc: KubeconfigSpec, key: rsa.RSAPrivateKey, ca: _Issued, now: dt.datetime
) -> x509.Certificate:
    spec = CertSpec(kc.file, kc.user, "ca", organizations=kc.organizations, usages=(CLIENT_AUTH,))
    return sign_leaf(
        spec, key, ca, ca.cert.not_valid_before_utc, now + dt.timedelta(days=LEAF_VALIDITY_DAYS)
    )
