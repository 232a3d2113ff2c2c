"""``labtui netpol``: ask the engine about flows and matrices from the command line.

The heavy modules load inside each command so ``labtui --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from labtui.cli_support import LabGroup
from labtui.errors import InvalidInput

PROTOCOLS = click.Choice(["TCP", "UDP", "SCTP"], case_sensitive=False)


@click.group(cls=LabGroup)
def netpol() -> None:
    """Evaluate Kubernetes NetworkPolicies offline, with an explanation of every verdict."""


def _batch(cluster: Any, path: str) -> list[dict[str, Any]]:
    from labtui.netpol.batch import answer

    try:
        items = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{path}: cannot read a JSON list: {exc}") from None
    return answer(cluster, items, path)


def _note_assumed(cluster: Any) -> None:
    """Say which namespaces no Namespace object declares (on stderr: JSON stays clean)."""
    if cluster.assumed:
        click.echo(
            f"note: assumed namespaces {', '.join(cluster.assumed)} (no Namespace object "
            "declares them), with only the label kubernetes.io/metadata.name",
            err=True,
        )


@netpol.command()
@click.argument("manifests", nargs=-1, required=True, type=click.Path())
@click.option(
    "--from", "source", metavar="A", help="namespace/name of a pod or workload, or an IP address."
)
@click.option(
    "--to", "dest", metavar="B", help="namespace/name of a pod or workload, or an IP address."
)
@click.option("--port", type=click.IntRange(1, 65535), help="Destination port.")
@click.option("--protocol", type=PROTOCOLS, default="TCP", show_default=True)
@click.option("--json", "as_json", is_flag=True, help='Print {"allowed": bool, "reason": str}.')
@click.option(
    "--batch",
    type=click.Path(dir_okay=False),
    help='A JSON list of {"from","to","port","protocol"}; prints it with allowed and reason.',
)
def query(
    manifests: tuple[str, ...],
    source: str | None,
    dest: str | None,
    port: int | None,
    protocol: str,
    as_json: bool,
    batch: str | None,
) -> None:
    """Is a connection allowed? MANIFEST: files or directories of YAML/JSON."""
    from labtui.netpol.evaluate import evaluate, resolve
    from labtui.netpol.parse import load

    if batch is None and (source is None or dest is None or port is None):
        raise click.UsageError("give --from, --to and --port (or --batch FILE)")
    cluster = load(manifests)
    _note_assumed(cluster)
    if batch is not None:
        click.echo(json.dumps(_batch(cluster, batch), indent=2))
        return
    assert source is not None and dest is not None and port is not None
    verdict = evaluate(
        cluster, resolve(cluster, source), resolve(cluster, dest), port, protocol.upper()
    )
    if as_json:
        click.echo(json.dumps(verdict.to_dict()))
        return
    word = (
        click.style("ALLOWED", fg="green", bold=True)
        if verdict.allowed
        else click.style("DENIED", fg="red", bold=True)
    )
    click.echo(f"{word} {verdict.flow}")
    click.echo(f"  egress:  {verdict.egress.why}")
    click.echo(f"  ingress: {verdict.ingress.why}")


@netpol.command()
@click.argument("manifests", nargs=-1, required=True, type=click.Path())
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="Probe every destination on this port (default: each one's declared container ports).",
)
@click.option("--protocol", type=PROTOCOLS, default="TCP", show_default=True)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print endpoints, targets and the allowed matrix as JSON.",
)
def matrix(manifests: tuple[str, ...], port: int | None, protocol: str, as_json: bool) -> None:
    """The reachability matrix of every pod and workload in MANIFEST (files or directories)."""
    from labtui.netpol.matrix import compute, render
    from labtui.netpol.parse import load

    cluster = load(manifests)
    _note_assumed(cluster)
    result = compute(cluster, port, protocol.upper())
    click.echo(json.dumps(result.to_dict()) if as_json else render(result))
