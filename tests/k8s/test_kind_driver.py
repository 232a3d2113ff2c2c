"""The kind driver's create / reuse / delete logic, against a stand-in ``kind`` program.

The real kind cannot run here (no node image); the stand-in speaks the same CLI
(``get clusters``, ``create cluster --name --config --wait``, ``delete cluster``,
``get kubeconfig``) and records what it was asked. Real clusters are covered by the
``kind``-marked tests.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from labtui.drivers.kind import CONFIG_FILE, HASH_FILE, KindDriver, _clean, stream
from labtui.errors import EnvironmentUnavailable, LabError
from labtui.scenario.model import ClusterSpec

FAKE_KIND = r"""#!PYTHON
import json, os, sys, time
state_file = os.environ["FAKE_KIND_STATE"]
state = json.load(open(state_file)) if os.path.exists(state_file) else {"clusters": [], "calls": []}
args = sys.argv[1:]
state["calls"].append(args)
def save():
    json.dump(state, open(state_file, "w"))
if args[:2] == ["get", "clusters"]:
    print("\n".join(state["clusters"]) or "No kind clusters found.", file=sys.stdout if state["clusters"] else sys.stderr)
elif args[:2] == ["create", "cluster"]:
    name = args[args.index("--name") + 1]
    config = args[args.index("--config") + 1]
    assert os.path.isabs(config)
    for line in ["Creating cluster \"%s\" ..." % name, " \u2022 Ensuring node image (kindest/node:v1.32.2) \U0001f5bc  ...",
                 "\x1b[32m \u2713 Ensuring node image\x1b[0m", " \u2713 Waiting \u2264 2m0s for control-plane = Ready \u23f3"]:
        print(line, file=sys.stderr, flush=True)
    if os.environ.get("FAKE_KIND_FAIL"):
        print("ERROR: failed to create cluster: node image not found", file=sys.stderr)
        save(); sys.exit(1)
    if os.environ.get("FAKE_KIND_HANG"):
        save(); time.sleep(60)
    state["clusters"].append(name)
elif args[:2] == ["delete", "cluster"]:
    name = args[args.index("--name") + 1]
    state["clusters"].remove(name)
elif args[:2] == ["get", "kubeconfig"]:
    name = args[args.index("--name") + 1]
    print("apiVersion: v1\nkind: Config\ncurrent-context: kind-%s\ncontexts:\n- name: kind-%s\n  context: {cluster: kind-%s, user: kind-%s}\nclusters:\n- name: kind-%s\n  cluster: {server: 'https://127.0.0.1:6443'}\nusers:\n- name: kind-%s\n  user: {token: t}" % ((name,) * 6))
save()
"""


@pytest.fixture
def fake_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    kind = bin_dir / "kind"
    kind.write_text(FAKE_KIND.replace("PYTHON", sys.executable, 1))
    kind.chmod(kind.stat().st_mode | stat.S_IEXEC)
    state = tmp_path / "kind-state.json"
    monkeypatch.setenv("FAKE_KIND_STATE", str(state))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return state


def calls(state: Path) -> list[list[str]]:
    import json

    return [c for c in json.loads(state.read_text())["calls"] if c[:2] != ["get", "clusters"]]


def test_create_then_reuse_then_recreate_on_a_new_config(fake_kind: Path, tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    (lab / "audit").mkdir(parents=True)
    (lab / "audit" / "policy.yaml").write_text("kind: Policy\n")
    spec = ClusterSpec.model_validate({"audit": {"policy": "audit/policy.yaml"}})
    lines: list[str] = []
    first = KindDriver().ensure(spec, "labtui-demo", lab, lines.append)
    assert first.created
    assert (lab / CONFIG_FILE).is_file() and (lab / HASH_FILE).is_file()
    assert first.kubeconfig.stat().st_mode & 0o777 == 0o600
    assert "Ensuring node image (kindest/node:v1.32.2) \U0001f5bc  ..." in lines
    assert "Ensuring node image" in lines
    create = calls(fake_kind)[0]
    assert create[:4] == ["create", "cluster", "--name", "labtui-demo"]
    assert create[-2:] == ["--wait", "120s"]

    again = KindDriver().ensure(spec, "labtui-demo", lab, lines.append)
    assert not again.created
    assert "reusing cluster labtui-demo (same config)" in lines

    changed = ClusterSpec.model_validate({"audit": {"policy": "audit/policy.yaml"}, "workers": 1})
    third = KindDriver().ensure(changed, "labtui-demo", lab, lines.append)
    assert third.created
    verbs = [c[:2] for c in calls(fake_kind)]
    assert verbs.count(["create", "cluster"]) == 2
    assert ["delete", "cluster"] in verbs


def test_a_failed_create_is_environment_unavailable_with_kinds_last_words(
    fake_kind: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KIND_FAIL", "1")
    with pytest.raises(EnvironmentUnavailable, match="node image not found"):
        KindDriver().ensure(ClusterSpec(), "labtui-demo", tmp_path / "lab", lambda _: None)
    assert not (tmp_path / "lab" / HASH_FILE).exists()


def test_a_hung_create_is_cut_at_the_timeout(
    fake_kind: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KIND_HANG", "1")
    with pytest.raises(EnvironmentUnavailable, match="timed out"):
        KindDriver(timeout=1.5).ensure(
            ClusterSpec(), "labtui-demo", tmp_path / "lab", lambda _: None
        )


def test_only_labtui_clusters_are_touched(fake_kind: Path) -> None:
    with pytest.raises(LabError, match="refusing to touch cluster 'kind'"):
        KindDriver().delete("kind")
    assert KindDriver().delete("labtui-absent") is False


def test_missing_kind_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EnvironmentUnavailable) as err:
        KindDriver().ensure(ClusterSpec(), "labtui-demo", tmp_path / "lab", lambda _: None)
    assert err.value.message == "needs kind: not found on PATH"
    assert "go install sigs.k8s.io/kind@v0.27.0" in err.value.hint


def test_stream_hands_over_lines_as_they_come() -> None:
    got: list[str] = []
    code, last = stream(
        [sys.executable, "-c", "print('one'); print('two\\r\\x1b[1mthree\\x1b[0m')"], got.append, 10
    )
    assert (code, last, got) == (0, "three", ["one", "three"])


def test_clean_strips_spinners() -> None:
    assert (
        _clean(" ⠈⠁ Starting control-plane 🕹️\r ✓ Starting control-plane 🕹️\n")
        == "Starting control-plane 🕹️"
    )
