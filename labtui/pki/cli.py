"""``labtui pki``: generate a kubeadm-style /etc/kubernetes anywhere, no cluster needed."""

from __future__ import annotations

import time
from pathlib import Path

import click
from cryptography.hazmat.primitives.serialization import Encoding

from labtui.cli_support import LabGroup
from labtui.errors import InvalidInput
from labtui.pki.layout import ClusterParams, Faults, PkiError, cert_names, parse_version

_PEM = Encoding.PEM


def _version(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        parse_version(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@click.group(cls=LabGroup)
def pki() -> None:
    """kubeadm certificates and kubeconfigs."""


@pki.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--node-name", default="control-plane", show_default=True, help="The control-plane node's name."
)
@click.option(
    "--advertise-address", default="172.18.0.2", show_default=True, help="The API server's IP."
)
@click.option(
    "--kubernetes-version",
    default="1.31",
    show_default=True,
    callback=_version,
    help="1.29+ puts admin.conf in kubeadm:cluster-admins and adds super-admin.conf.",
)
@click.option(
    "--expired",
    multiple=True,
    metavar="CERT",
    help="Make this leaf expired (e.g. apiserver); repeatable.",
)
@click.option(
    "--wrong-ca",
    multiple=True,
    metavar="CERT",
    help="Sign this leaf with a look-alike CA; repeatable.",
)
@click.option(
    "--missing-san",
    multiple=True,
    metavar="CERT:SAN",
    help="Leave a SAN out (apiserver:kubernetes.default).",
)
@click.option(
    "--force", is_flag=True, help="Overwrite files in a directory that already holds a PKI."
)
def generate(
    directory: Path,
    node_name: str,
    advertise_address: str,
    kubernetes_version: str,
    expired: tuple[str, ...],
    wrong_ca: tuple[str, ...],
    missing_san: tuple[str, ...],
    force: bool,
) -> None:
    """Write DIRECTORY/pki/*, DIRECTORY/*.conf and DIRECTORY/manifests/kube-apiserver.yaml.

    DIRECTORY plays /etc/kubernetes.
    """
    import ipaddress

    from labtui.pki.generate import generate as do_generate

    try:
        ipaddress.ip_address(advertise_address)
    except ValueError:
        raise click.BadParameter(
            f"{advertise_address!r} is not an IP address", param_hint="--advertise-address"
        ) from None
    if (directory / "pki" / "ca.crt").exists() and not force:
        raise InvalidInput(
            f"{directory} already holds a PKI (pki/ca.crt)",
            "pick another directory, or add --force to overwrite it",
        )
    params = ClusterParams(
        node_name=node_name,
        advertise_address=advertise_address,
        kubernetes_version=kubernetes_version,
    )
    start = time.perf_counter()
    try:
        out = do_generate(directory, params, Faults(expired, wrong_ca, missing_san))
    except PkiError as exc:
        raise InvalidInput(
            str(exc), f"certificate names are {', '.join(cert_names(params))}"
        ) from None
    for path in out.files:
        click.echo(str(path))
    click.echo(
        f"{len(out.files)} files, {out.keys_generated} keys in {time.perf_counter() - start:.2f}s",
        err=True,
    )


@pki.command()
@click.option(
    "--ca",
    "ca_file",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The cluster CA certificate (embedded).",
)
@click.option(
    "--cert",
    "cert_file",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The user's client certificate (embedded).",
)
@click.option(
    "--key",
    "key_file",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The user's private key (embedded).",
)
@click.option("--server", required=True, help="The API server URL, e.g. https://172.18.0.2:6443.")
@click.option("--cluster-name", default="kubernetes", show_default=True)
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of standard output.",
)
def kubeconfig(
    ca_file: Path,
    cert_file: Path,
    key_file: Path,
    server: str,
    cluster_name: str,
    output: Path | None,
) -> None:
    """A kubeconfig embedding CA, certificate and key, as kubeadm writes them (no kubectl needed).

    The user name is the certificate's CN.
    """
    from cryptography import x509

    from labtui.pki.generate import kubeconfig_yaml

    def pem_cert(path: Path) -> x509.Certificate:
        try:
            return x509.load_pem_x509_certificate(path.read_bytes())
        except ValueError:
            raise click.BadParameter(f"{path} is not a PEM certificate") from None

    ca, cert = pem_cert(ca_file), pem_cert(cert_file)
    key = key_file.read_bytes()
    if b"PRIVATE KEY-----" not in key:
        raise click.BadParameter(f"{key_file} is not a PEM private key", param_hint="--key")
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    if not names:
        raise click.BadParameter(
            f"{cert_file} has no CN: the CN is the user name", param_hint="--cert"
        )
    params = ClusterParams(cluster_name=cluster_name)
    text = kubeconfig_yaml(
        params, str(names[0].value), ca, cert.public_bytes(_PEM), key, server=server
    )
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text)
    output.chmod(0o600)
    click.echo(f"wrote {output}", err=True)
