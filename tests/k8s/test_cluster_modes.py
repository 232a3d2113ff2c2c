"""kind mode and existing-cluster mode of a Session: namespaces, availability, env, templates."""

from __future__ import annotations

import os
from pathlib import Path

import kmock
import pytest
import yaml
from click.testing import CliRunner

from labtui.cli import main
from labtui.drivers.kube import KubeClient
from labtui.engine import clusters
from labtui.engine.clusters import ClusterChoice
from labtui.engine.requirements import Availability
from labtui.engine.session import Session
from labtui.errors import EnvironmentUnavailable, InvalidInput
from labtui.scenario.catalog import Catalog
from labtui.scenario.model import Scenario
from labtui.state.progress import ProgressStore
from tests.k8s.conftest import Cluster

KIND_LABS = [
    "rbac-least-privilege",
    "secrets-in-kubernetes",
    "audit-logging",
    "etcd-encryption-at-rest",
    "admission-control",
    "apiserver-access",
]


def entry(sid: str) -> tuple[Scenario, Path]:
    e = Catalog().find(sid)
    assert e.scenario is not None
    return e.scenario, e.folder


def session(sid: str, tmp_path: Path, context: str | None = None, learner: str = "ada") -> Session:
    sc, folder = entry(sid)
    return Session(
        sc,
        folder,
        store=ProgressStore(learner, path=tmp_path / "p.json"),
        cluster=f"context:{context}" if context else None,
    )


def test_learner_namespaces_are_dns_labels() -> None:
    assert (
        clusters.learner_namespace("Ada.Lovelace", "rbac-least-privilege")
        == "labtui-ada-lovelace-rbac-least-privilege"
    )
    long = clusters.learner_namespace("x" * 60, "etcd-encryption-at-rest")
    assert len(long) <= 63 and long.startswith("labtui-xxx")
    assert long != clusters.learner_namespace("x" * 61, "etcd-encryption-at-rest")


def test_kind_sessions_point_kubeconfig_into_the_lab_dir(tmp_path: Path) -> None:
    s = session("audit-logging", tmp_path)
    assert s.env["KUBECONFIG"] == str(s.lab_dir / "kubeconfig")
    assert s.env["LAB_CLUSTER"] == "labtui-audit-logging"
    assert s.env["LAB_NAMESPACE"] == "lab"
    assert s.render("{control_plane} {namespace} {cluster_name}") == (
        "labtui-audit-logging-control-plane lab labtui-audit-logging"
    )
    # On kind a node command goes through docker exec into the node's container.
    assert s.render("{on_node}grep x") == "docker exec labtui-audit-logging-control-plane grep x"
    docker_lab = session("pid-namespace-sharing", tmp_path)
    assert "KUBECONFIG" not in docker_lab.env


def test_context_sessions_use_a_namespace_per_learner(tmp_path: Path) -> None:
    s = session("rbac-least-privilege", tmp_path, context="classroom", learner="ada")
    assert s.render("{namespace}") == "labtui-ada-rbac-least-privilege"
    assert "LAB_CLUSTER" not in s.env


@pytest.mark.parametrize("sid", KIND_LABS)
def test_catalog_says_kind_labs_need_kind_here(sid: str) -> None:
    sc, _ = entry(sid)
    reasons = Availability(None, {"kind": False, "kubectl": True}).missing(sc)
    assert reasons == ["needs kind: not found on PATH"]


def test_on_an_existing_cluster_only_namespaced_labs_are_available() -> None:
    here = Availability(
        None, {"kind": False, "kubectl": True}, ClusterChoice("context", "classroom")
    )
    available = {sid: here.missing(entry(sid)[0]) for sid in KIND_LABS}
    assert available["rbac-least-privilege"] == []
    assert available["secrets-in-kubernetes"] == []
    assert "audit logging" in available["audit-logging"][0]
    assert "encryption at rest" in available["etcd-encryption-at-rest"][0]
    assert "node access" in available["admission-control"][0]
    assert "node access or cluster-wide configuration" in available["apiserver-access"][0]
    assert all("--context" in r[0] for sid, r in available.items() if r)
    no_kubectl = Availability(
        None, {"kind": False, "kubectl": False}, ClusterChoice("context", "classroom")
    )
    assert no_kubectl.missing(entry("rbac-least-privilege")[0]) == [
        "needs kubectl: not found on PATH"
    ]


def _json(*args: str) -> object:
    import json

    res = CliRunner().invoke(main, list(args))
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_context_is_handed_to_list_and_doctor_not_left_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no kubectl: the context's own reason shows
    rows = _json("--context", "classroom", "list", "--json")
    assert os.environ.get("LABTUI_CONTEXT") is None
    assert isinstance(rows, list)
    unavailable = {r["id"]: r["unavailable"] for r in rows}
    assert "needs kubectl: not found on PATH" in unavailable["rbac-least-privilege"]
    assert any("--context" in r for r in unavailable["audit-logging"])
    doctor = _json("--context", "classroom", "doctor", "--json")
    assert isinstance(doctor, dict)
    items = {i["name"]: i for i in doctor["items"]}
    assert items["cluster labs"]["detail"] == "--context classroom needs kubectl: not found on PATH"
    assert os.environ.get("LABTUI_CONTEXT") is None


def test_labtui_context_stands_in_for_the_option(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("LABTUI_CONTEXT", "from-env")

    def cluster_detail(*args: str) -> str:
        doctor = _json(*args, "doctor", "--json")
        assert isinstance(doctor, dict)
        return str({i["name"]: i for i in doctor["items"]}["cluster labs"]["detail"])

    assert cluster_detail().startswith("--context from-env ")
    assert cluster_detail("--context", "given").startswith("--context given ")
    assert os.environ["LABTUI_CONTEXT"] == "from-env"
    assert clusters.chosen_cluster(None) == ClusterChoice("context", "from-env")
    assert Availability.probe(cluster="context:given").context == "given"


def test_exams_and_the_app_run_their_labs_on_the_given_context() -> None:
    from labtui.engine.exam import Exam, plan_exam
    from labtui.ui.app import LabApp

    exam = Exam(plan_exam("rbac-least-privilege"), "ada", cluster="context:classroom")
    assert {s.cluster_choice.context for s in exam.sessions.values()} == {"classroom"}
    assert exam.sessions["rbac-least-privilege"].render("{namespace}") == (
        "labtui-ada-rbac-least-privilege"
    )
    exam.close()
    app = LabApp(learner="ada", cluster="context:classroom")
    lab = app.session_for(Catalog().find("rbac-least-privilege"))
    assert lab.cluster_choice.context == "classroom"
    kind = LabApp(learner="ada").session_for(Catalog().find("rbac-least-privilege"))
    assert kind.cluster_choice == ClusterChoice("kind")


@pytest.mark.parametrize("sid", KIND_LABS)
def test_solve_verify_exits_3_without_kind(
    sid: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # neither kind nor kubectl
    res = CliRunner().invoke(main, ["solve", sid, "--verify"])
    assert res.exit_code == 3, res.output
    assert "not found on PATH" in res.output
    assert "what to do:" in res.output


def test_up_of_a_namespace_lab_refuses_cluster_wide_labs_on_a_context(tmp_path: Path) -> None:
    s = session("audit-logging", tmp_path, context="classroom")
    with pytest.raises(EnvironmentUnavailable, match="needs its own kind cluster"):
        s.up()
    assert not s.is_up


def test_objects_outside_the_lab_namespace_are_refused() -> None:
    ok = [{"kind": "Secret", "metadata": {"name": "s"}}]
    clusters._check_scope(ok, "labtui-ada-x", "m.yaml")
    with pytest.raises(InvalidInput, match="cluster-wide"):
        clusters._check_scope([{"kind": "ClusterRole", "metadata": {"name": "r"}}], "ns", "m.yaml")
    with pytest.raises(InvalidInput, match="names namespace kube-system"):
        clusters._check_scope(
            [{"kind": "Secret", "metadata": {"name": "s", "namespace": "kube-system"}}],
            "ns",
            "m.yaml",
        )


@pytest.mark.asyncio
async def test_existing_cluster_mode_end_to_end(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """up / check / down of the RBAC lab in a learner namespace, with kubectl reading the user's context."""
    import shutil

    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not on PATH")
    user_config = yaml.safe_load(cluster.kubeconfig_path.read_text())
    user_config["contexts"][0]["name"] = "classroom"
    user_config["current-context"] = "classroom"
    user_kubeconfig = tmp_path / "user-kubeconfig"
    user_kubeconfig.write_text(yaml.safe_dump(user_config))
    monkeypatch.setenv("KUBECONFIG", str(user_kubeconfig))
    for res in ("rbac.authorization.k8s.io/v1/rolebindings", "v1/serviceaccounts"):
        cluster.api.resources[res] = kmock.ResourceInfo()

    s = session("rbac-least-privilege", tmp_path, context="classroom", learner="ada")
    lines: list[str] = []
    await cluster.run(lambda: s.up(progress=lines.append))
    ns = "labtui-ada-rbac-least-privilege"
    assert f"using kube context classroom, namespace {ns}" in lines
    lab_config = yaml.safe_load((s.lab_dir / "kubeconfig").read_text())
    assert lab_config["contexts"][0]["context"]["namespace"] == ns
    assert os.stat(s.lab_dir / "kubeconfig").st_mode & 0o777 == 0o600
    stored = {(k[1], k[2]) for k in cluster.api.objects}
    assert {(ns, "pod-reader"), (ns, "db-credentials"), (ns, "pod-reader-edit")} <= stored
    assert cluster.api.namespaces[ns]["metadata"]["labels"] == {
        "labtui.scenario": "rbac-least-privilege",
        "labtui.learner": "ada",
    }

    # A second up keeps the learner's changes: the starting manifests are applied once.
    kube = KubeClient.from_file(s.lab_dir / "kubeconfig")
    await cluster.run(kube.delete, "v1", "secrets", "db-credentials", ns)
    await cluster.run(s.up)
    assert await cluster.run(kube.get, "v1", "secrets", "db-credentials", ns) is None

    result = await cluster.run(lambda: s.check("remove-broad-binding", record=False))
    assert [r.passed for r in result.results] == [
        False,
        True,
    ]  # the binding exists; no grants in the emulator

    await cluster.run(s.down)
    assert ns not in cluster.api.namespaces


# Without an engine, "needs docker" comes first in the reason the text line shows.
@pytest.mark.docker
def test_list_shows_kind_labs_as_unavailable_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import json

    monkeypatch.setenv("PATH", str(tmp_path))
    res = CliRunner().invoke(main, ["list", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["id"]: r for r in json.loads(res.output)}
    for sid in KIND_LABS:
        assert "needs kind: not found on PATH" in rows[sid]["unavailable"]
    text = CliRunner().invoke(main, ["list"]).output
    assert "unavailable here: needs kind: not found on PATH" in text
