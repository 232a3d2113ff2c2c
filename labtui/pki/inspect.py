"""Read certificates (PEM files or the ones inside a kubeconfig) and answer questions about them.

Field names (used by ``certificate`` checks and by computed answers):
``subject``, ``subject.CN``, ``subject.O``, ``issuer``, ``issuer.CN``, ``issuer.O``,
``san.dns``, ``san.ip``, ``san.dns.N``, ``san.ip.N``, ``key_usage``, ``ext_key_usage``,
``not_before``, ``not_after``, ``days_left``, ``serial``, ``is_ca``,
``signer`` (the CA file under the PKI directory whose key signed it) and
``file`` (the file under the PKI directory holding the very same certificate).
On a kubeconfig, ``ca.FIELD`` asks about the embedded CA instead of the client
certificate. On a directory: ``count`` (certificates below it) and ``expired``.
``text`` is any file's text, for a ValueSource ``extract``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import posixpath
from dataclasses import dataclass
from typing import Any

import yaml
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from labtui.pki.files import LabFiles
from labtui.pki.usages import EXTENDED_KEY_USAGES, KEY_USAGES

DEFAULT_PKI_DIR = "etc/kubernetes/pki"

EKU_NAMES = {ObjectIdentifier(oid): name for name, oid in EXTENDED_KEY_USAGES.items()}
NAME_ATTRS = {
    "CN": NameOID.COMMON_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "C": NameOID.COUNTRY_NAME,
    "L": NameOID.LOCALITY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
}
FIELDS = (
    "subject",
    "subject.CN",
    "subject.O",
    "issuer",
    "issuer.CN",
    "issuer.O",
    "san.dns",
    "san.ip",
    "san.dns.N",
    "san.ip.N",
    "key_usage",
    "ext_key_usage",
    "not_before",
    "not_after",
    "days_left",
    "serial",
    "is_ca",
    "signer",
    "file",
)


class CertError(Exception):
    """A file that is missing or is not what it should be; the message says which and why."""


@dataclass(frozen=True)
class Loaded:
    path: str  # as the scenario or learner named it
    cert: x509.Certificate
    key: bytes | None = (
        None  # the private key PEM, when the file carries one (kubeconfig, .pem bundle)
    )


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def read(files: LabFiles, path: str) -> bytes:
    try:
        return files.read_file(path)
    except FileNotFoundError:
        raise CertError(f"{path} does not exist in {files.where(path)}") from None


def parse_pem(data: bytes, path: str) -> x509.Certificate:
    if b"-----BEGIN CERTIFICATE-----" not in data:
        if data.lstrip().startswith(b"-----BEGIN CERTIFICATE REQUEST-----"):
            raise CertError(
                f"{path} is a certificate request (CSR), not a certificate: sign it first"
            )
        raise CertError(f"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    try:
        return x509.load_pem_x509_certificates(data)[0]
    except ValueError as exc:
        raise CertError(f"{path} has a damaged certificate: {exc}") from None


def _b64(value: Any, what: str, path: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=False)
    except (binascii.Error, ValueError):
        raise CertError(f"{path}: {what} is not valid base64") from None


def _kubeconfig(data: bytes, path: str) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(data.decode("utf-8", errors="replace"))
    except yaml.YAMLError as exc:
        raise CertError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or doc.get("kind") not in (None, "Config") or "users" not in doc:
        raise CertError(f"{path} is not a kubeconfig (no users)")
    return doc


def _named(doc: dict[str, Any], section: str, name: str | None, path: str) -> dict[str, Any]:
    items = doc.get(section) or []
    if not isinstance(items, list) or not items:
        raise CertError(f"{path}: the kubeconfig has no {section}")
    for item in items:
        if isinstance(item, dict) and (name is None or item.get("name") == name):
            key = section.rstrip("s") if section != "clusters" else "cluster"
            body = item.get(key)
            if isinstance(body, dict):
                return body
    raise CertError(f"{path}: no {section.rstrip('s')} named {name!r}")


def _embedded(
    files: LabFiles, doc: dict[str, Any], path: str, part: str
) -> tuple[bytes, bytes | None, str]:
    """(cert PEM, key PEM or None, where it came from) of the current context's user or cluster."""
    current = doc.get("current-context")
    context = _named(doc, "contexts", current, path) if current else {}
    base = posixpath.dirname(path)
    if part == "ca":
        cluster = _named(doc, "clusters", context.get("cluster"), path)
        if "certificate-authority-data" in cluster:
            return (
                _b64(cluster["certificate-authority-data"], "certificate-authority-data", path),
                None,
                path,
            )
        if "certificate-authority" in cluster:
            ref = posixpath.join(base, str(cluster["certificate-authority"]))
            return read(files, ref), None, ref
        raise CertError(f"{path}: the cluster has no certificate-authority(-data)")
    user = _named(doc, "users", context.get("user"), path)
    key: bytes | None = None
    if "client-key-data" in user:
        key = _b64(user["client-key-data"], "client-key-data", path)
    elif "client-key" in user:
        key = read(files, posixpath.join(base, str(user["client-key"])))
    if "client-certificate-data" in user:
        return _b64(user["client-certificate-data"], "client-certificate-data", path), key, path
    if "client-certificate" in user:
        ref = posixpath.join(base, str(user["client-certificate"]))
        return read(files, ref), key, ref
    raise CertError(
        f"{path}: the user has no client-certificate(-data) (token or exec credentials?)"
    )


def load(files: LabFiles, path: str, part: str = "client") -> Loaded:
    """A certificate file, or the client certificate (``part="ca"``: the CA) of a kubeconfig."""
    data = read(files, path)
    if b"-----BEGIN" in data:
        key = data if b"PRIVATE KEY-----" in data else None
        return Loaded(path, parse_pem(data, path), key)
    doc = _kubeconfig(data, path)
    pem, key, source = _embedded(files, doc, path, part)
    what = "embedded CA" if part == "ca" else "client certificate"
    return Loaded(path, parse_pem(pem, f"{source} ({what})"), key)


# --------------------------------------------------------------------------- fields


def name_values(name: x509.Name, attr: str) -> list[str]:
    oid = NAME_ATTRS.get(attr)
    if oid is None:
        raise CertError(f"unknown name attribute {attr!r}; use one of {', '.join(NAME_ATTRS)}")
    return [str(a.value) for a in name.get_attributes_for_oid(oid)]


def openssl_name(name: x509.Name) -> str:
    """The name as ``openssl x509 -noout -subject`` prints it: ``O = g, CN = u``."""
    short = {v: k for k, v in NAME_ATTRS.items()}
    parts = []
    for rdn in name.rdns:
        for a in rdn:
            parts.append(f"{short.get(a.oid, a.oid.dotted_string)} = {a.value!s}")
    return ", ".join(parts)


def sans(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return [str(d) for d in ext.get_values_for_type(x509.DNSName)], [
        str(i) for i in ext.get_values_for_type(x509.IPAddress)
    ]


def key_usages(cert: x509.Certificate) -> list[str]:
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return []
    return [name for name, attr in KEY_USAGES.items() if getattr(ku, attr)]


def ext_key_usages(cert: x509.Certificate) -> list[str]:
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return []
    return [EKU_NAMES.get(o, o.dotted_string) for o in eku]


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def days_left(cert: x509.Certificate, at: dt.datetime | None = None) -> int:
    return (cert.not_valid_after_utc - (at or now())).days


def is_expired(cert: x509.Certificate, at: dt.datetime | None = None) -> bool:
    at = at or now()
    return not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def signed_by(cert: x509.Certificate, ca: x509.Certificate) -> str | None:
    """None when ``ca``'s key made ``cert``'s signature; otherwise why not."""
    if cert.issuer != ca.subject:
        return f"its issuer is {openssl_name(cert.issuer)}, not {openssl_name(ca.subject)}"
    try:
        cert.verify_directly_issued_by(ca)
    except InvalidSignature:
        return "the issuer name matches but the signature does not verify: another key with the same CA name signed it"
    except (ValueError, TypeError) as exc:
        return str(exc)
    return None


def key_matches(cert: x509.Certificate, key_pem: bytes, path: str) -> str | None:
    """None when the private key belongs to the certificate's public key."""
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        return f"{path} is not an unencrypted PEM private key ({exc})"
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return f"{path} is neither an RSA nor an ECDSA key"

    def der(pub: Any) -> bytes:
        return bytes(
            pub.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    if der(key.public_key()) != der(cert.public_key()):
        return f"{path} is the key of another certificate"
    return None


def certificates_under(files: LabFiles, directory: str) -> list[tuple[str, x509.Certificate]]:
    """(path, certificate) of every readable ``*.crt`` below ``directory``."""
    out = []
    for p in files.list_files("/" + directory.strip("/")):
        if p.endswith(".crt"):
            try:
                out.append((p.lstrip("/"), parse_pem(files.read_file(p), p)))
            except (CertError, FileNotFoundError):
                continue
    return out


def _relative(path: str, directory: str) -> str:
    return posixpath.relpath(path, directory.strip("/"))


def find_signer(files: LabFiles, cert: x509.Certificate, pki_dir: str) -> str | None:
    for path, ca in certificates_under(files, pki_dir):
        if is_ca(ca) and signed_by(cert, ca) is None:
            return _relative(path, pki_dir)
    return None


def find_same(files: LabFiles, cert: x509.Certificate, pki_dir: str) -> str | None:
    for path, other in certificates_under(files, pki_dir):
        if other == cert:
            return _relative(path, pki_dir)
    return None


def field_value(files: LabFiles, path: str, field: str, pki_dir: str = DEFAULT_PKI_DIR) -> str:
    """One field of a certificate, kubeconfig or directory, as text (lists comma-separated)."""
    part = "client"
    if field.startswith("ca."):
        part, field = "ca", field[3:]
    if field in ("count", "expired"):
        found = certificates_under(files, path)
        if not found and not files.list_files("/" + path.strip("/")):
            raise CertError(f"{path} is not a directory with certificates in {files.where(path)}")
        if field == "count":
            return str(len(found))
        return ", ".join(_relative(p, path) for p, c in found if is_expired(c))
    if field == "text":
        return read(files, path).decode("utf-8", errors="replace")
    cert = load(files, path, part).cert
    return cert_field(files, cert, field, pki_dir)


def cert_field(
    files: LabFiles, cert: x509.Certificate, field: str, pki_dir: str = DEFAULT_PKI_DIR
) -> str:
    head, _, rest = field.partition(".")
    if head in ("subject", "issuer"):
        name = cert.subject if head == "subject" else cert.issuer
        return openssl_name(name) if not rest else ", ".join(name_values(name, rest))
    if head == "san":
        dns, ips = sans(cert)
        kind, _, index = rest.partition(".")
        if kind not in ("dns", "ip"):
            raise CertError(f"unknown field {field!r}: use san.dns or san.ip")
        values = dns if kind == "dns" else ips
        if not index:
            return ", ".join(values)
        if not index.isdigit() or int(index) >= len(values):
            raise CertError(
                f"the certificate has no {kind} SAN number {index} (it has {len(values)})"
            )
        return values[int(index)]
    simple = {
        "key_usage": lambda: ", ".join(key_usages(cert)),
        "ext_key_usage": lambda: ", ".join(ext_key_usages(cert)),
        "not_before": lambda: cert.not_valid_before_utc.isoformat(),
        "not_after": lambda: cert.not_valid_after_utc.isoformat(),
        "days_left": lambda: str(days_left(cert)),
        "serial": lambda: format(cert.serial_number, "X"),
        "is_ca": lambda: str(is_ca(cert)).lower(),
    }
    if field in simple:
        return simple[field]()
    if field == "signer":
        found = find_signer(files, cert, pki_dir)
        if found is None:
            raise CertError(f"no CA certificate under {pki_dir} signed it")
        return found
    if field == "file":
        found = find_same(files, cert, pki_dir)
        if found is None:
            raise CertError(f"no file under {pki_dir} holds the same certificate")
        return found
    raise CertError(
        f"unknown certificate field {field!r}; use one of {', '.join(FIELDS)}, count, expired"
    )
