"""``labtui cluster ...``: the kind side of cluster labs, and the global ``--context`` option."""

from __future__ import annotations

from typing import Any

import click

from labtui.cli_support import LabGroup

# ``--context NAME``: Kubernetes labs run in a namespace of this existing cluster. The
# value reaches ``main`` as ``kube_context`` and is handed to every verb from there;
# without it, ``clusters.chosen_context`` falls back to ``LABTUI_CONTEXT``.
context_option = click.option(
    "--context",
    "kube_context",
    metavar="NAME",
    default=None,
    help="Run Kubernetes labs on this existing cluster (kube context), one namespace per learner.",
)


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
