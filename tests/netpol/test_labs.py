"""The network labs: valid, verified offline (checks fail before and pass after each solution)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from labtui.engine.verify import verify
from labtui.netpol.evaluate import evaluate, resolve
from labtui.netpol.parse import load
from labtui.scenario.loader import load_file
from labtui.scenario.model import AnswerCheck, ReachabilityCheck, Requirement, Scenario
from tests.conftest import SCENARIOS


def load_scenario(path: Path) -> Scenario:
    result = load_file(path)
    assert result.scenario is not None, result.problems
    return result.scenario


LABS = [
    "netpol-default-deny",
    "netpol-frontend-backend",
    "netpol-namespace-isolation",
    "netpol-egress-ipblock",
]


@pytest.mark.parametrize("lab", LABS)
def test_lab_verifies_offline(lab: str) -> None:
    scenario = load_scenario(SCENARIOS / lab / "scenario.yaml")
    assert scenario.requires == [Requirement.local]
    report = verify(scenario, SCENARIOS / lab)
    problems = [
        (
            t.task_id,
            t.error,
            t.failed_before,
            t.after and [r.message for r in t.after.results if not r.passed],
        )
        for t in report.tasks
        if not t.ok
    ]
    assert report.ok, problems


@pytest.mark.parametrize("lab", LABS)
def test_first_task_teaches_the_cni_requirement(lab: str) -> None:
    first = load_scenario(SCENARIOS / lab / "scenario.yaml").tasks[0]
    text = " ".join(first.instructions.split()).replace("*", "")
    assert re.search("every pod (can )?reach every other pod without NAT", text)
    assert any(isinstance(c, AnswerCheck) for c in first.checks)
    assert any(isinstance(c, ReachabilityCheck) for c in first.checks)


def test_the_or_form_lets_grafana_in(tmp_path: Path) -> None:
    """The trap of netpol-namespace-isolation: two peers instead of one admit all of monitoring."""
    folder = SCENARIOS / "netpol-namespace-isolation"
    shutil.copytree(folder / "cluster", tmp_path / "cluster")
    raw = yaml.safe_load((folder / "scenario.yaml").read_text())
    files = {**raw["tasks"][0]["solution"]["files"], **raw["tasks"][1]["solution"]["files"]}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)

    def grafana() -> bool:
        c = load([tmp_path])
        return evaluate(c, resolve(c, "monitoring/grafana"), resolve(c, "prod/api"), 9090).allowed

    assert not grafana()
    path = tmp_path / "policies" / "allow-monitoring.yaml"
    doc = yaml.safe_load(path.read_text())
    peer = doc["spec"]["ingress"][0]["from"][0]
    doc["spec"]["ingress"][0]["from"] = [
        {"namespaceSelector": peer["namespaceSelector"]},
        {"podSelector": peer["podSelector"]},
    ]
    path.write_text(yaml.safe_dump(doc))
    assert grafana()


def test_network_labs_are_recognised() -> None:
    from labtui.checks.reachability import is_network_lab

    assert all(is_network_lab(load_scenario(SCENARIOS / lab / "scenario.yaml")) for lab in LABS)
    assert not is_network_lab(load_scenario(SCENARIOS / "pid-namespace-sharing" / "scenario.yaml"))
