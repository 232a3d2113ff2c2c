"""``labtui cluster ...``: the kind side of cluster labs, and the global ``--cluster`` option."""

from __future__ import annotations

from typing import Any

import click

from labtui.cli_support import LabGroup

# ``--cluster kind|node|context:NAME``: where Kubernetes labs run. The value reaches
# ``main`` and is handed to every verb from there; without it,
# ``clusters.chosen_cluster`` falls back to ``LABTUI_CLUSTER``, then ``LABTUI_CONTEXT``.
cluster_option = click.option(
    "--cluster",
    "cluster",
    metavar="TARGET",
    default=None,
    help="Where cluster labs run: kind (a kind cluster per lab, the default), node (this "
    "kubeadm control-plane node) or context:NAME (a shared cluster, one namespace per learner).",
)
# ``--context NAME`` is ``--cluster context:NAME``, kept for the scripts that use it.
context_option = click.option(
    "--context",
    "kube_context",
    metavar="NAME",
    default=None,
    help="Same as --cluster context:NAME.",
)


def cluster_given(cluster: str | None, kube_context: str | None) -> str | None:
    """The one ``--cluster`` value of both options, checked; None when neither was given."""
    from labtui.engine.clusters import parse_cluster
    from labtui.errors import InvalidInput

    if cluster and kube_context:
        raise click.UsageError("give --cluster or --context, not both")
    value = cluster or (f"context:{kube_context}" if kube_context else None)
    if value:
        try:
            parse_cluster(value)
        except InvalidInput as exc:
            raise click.BadParameter(f"{exc.message}; {exc.hint}", param_hint="--cluster") from None
    return value


def cluster_learner(cluster: str | None) -> str | None:
    """On a shared cluster's context, the learner the cluster says you are; else None."""
    from labtui.engine.clusters import chosen_cluster
    from labtui.engine.identity import UNKNOWN_CONTEXT, context_identity
    from labtui.errors import LabError

    try:
        context = chosen_cluster(cluster).context
    except LabError:
        return None
    if not context:
        return None
    identity, why = context_identity(context)
    if identity is not None:
        return identity.learner
    if why and "not on PATH" not in why and not why.startswith(UNKNOWN_CONTEXT):
        click.echo(
            f"warning: cannot tell who you are on context {context} ({why.splitlines()[0]}): "
            "learners sharing this OS account should each pass --learner NAME",
            err=True,
        )
    return None


@click.group("cluster", cls=LabGroup)
def cluster() -> None:
    """kind clusters of the cluster labs."""


@cluster.command("config")
@click.argument("scenario_id")
@click.pass_obj
def config_cmd(obj: Any, scenario_id: str) -> None:
    """Print the kind config a scenario's cluster is built from (works offline)."""
    from labtui.cli_support import err
    from labtui.drivers.kind import cluster_name, mounted_files, render_config
    from labtui.engine.clusters import spec_of
    from labtui.errors import InvalidInput
    from labtui.scenario.model import Requirement
    from labtui.state import paths

    session = obj.session(scenario_id, runs=False)
    scenario = session.scenario
    if Requirement.kind not in scenario.requires:
        raise InvalidInput(
            f"scenario {scenario_id} does not use a kind cluster (requires: "
            f"{', '.join(r.value for r in scenario.requires)})"
        )
    spec, lab_dir = spec_of(scenario), paths.lab_dir(scenario.id)
    click.echo(render_config(spec, cluster_name(scenario.id), lab_dir), nl=False)
    missing = [p for p in mounted_files(spec, lab_dir) if not p.is_file()]
    if missing:
        err(
            f"note: the mounts above carry files that do not exist yet "
            f"({', '.join(str(p) for p in missing)}); `labtui up {scenario_id}` writes "
            "them and creates the cluster. Given to `kind create cluster` before that, "
            "the node would get empty directories."
        )


@cluster.command("list")
def list_cmd() -> None:
    """labtui's kind clusters on this machine (never anyone else's)."""
    from labtui.drivers.kind import PREFIX, KindDriver

    ours = [c for c in KindDriver().clusters() if c.startswith(PREFIX)]
    click.echo("\n".join(ours) if ours else "no labtui clusters")
