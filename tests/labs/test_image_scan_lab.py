"""The image-scan-and-sbom lab: a real SBOM generator and a real scanner, offline.

On the real engine the lab proves itself (`solve --verify`, in a network namespace
of its own where one can be made, so nothing can be fetched) and `down` removes the
images the learner built and the containers they made. The checks catch the near
misses: an SBOM of the other release, a JSON file that is not an SBOM, a "fixed"
image that still holds the vulnerable binary or no binary at all.

Without Docker: the lab's helper (check_image.py, shipped to learners) reads Go build
information and both SBOM formats as documented, the shipped database is the real
records of the pinned golang.org/x/vulndb, indexed as govulncheck reads them, and
govulncheck finds in the two releases what the lab says it finds.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from labtui.drivers.docker import LABEL
from labtui.engine.session import Session
from labtui.scenario.catalog import Catalog
from tests.conftest import SCENARIOS
from tests.labs.lab_scripts import load_pack_module
from tests.labs.test_container_labs import leftovers
from tests.test_cli import labtui

LAB = "image-scan-and-sbom"
FOLDER = SCENARIOS / LAB
REPO = FOLDER.parents[1]
DB = FOLDER / "vulndb"
TOOLS = ("shop-api-1.0", "shop-api-1.1", "cyclonedx-gomod", "govulncheck")
PREFIX = "labtui-image-scan/"

needs_tools = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS),
    reason="needs shop-api-1.0/1.1, cyclonedx-gomod and govulncheck: "
    "scripts/install-lab-tools.sh shop-api cyclonedx-gomod govulncheck, "
    "then PATH=$HOME/.cache/labtui/tools/bin:$PATH",
)


def load_helper() -> ModuleType:
    return load_pack_module("labtui_lab_check_image", FOLDER / "check_image.py")


helper = load_helper()


def lab() -> Session:
    entry = Catalog().find(LAB)
    assert entry.scenario is not None, entry.problems
    return Session(entry.scenario, entry.folder)


def lab_images() -> list[str]:
    """Every image or container of this lab on the engine, whoever's."""
    out = subprocess.run(
        ["docker", "images", "-a", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}",
         "--filter", f"label={LABEL}={LAB}"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split("\n")  # fmt: skip
    named = subprocess.run(
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split()  # fmt: skip
    containers = subprocess.run(
        ["docker", "ps", "-a", "--format", "{{.Names}}", "--filter", f"label={LABEL}={LAB}"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split()  # fmt: skip
    return (
        [f"image {i}" for i in out if i.strip()]
        + [f"image {n}" for n in named if n.startswith(PREFIX)]
        + [f"container {c}" for c in containers]
    )


def offline_prefix() -> list[str]:
    """``unshare -n``: a network namespace with only loopback, where root can make one."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return []
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=30)
    return ["unshare", "-n"] if probe.returncode == 0 else []


def failing(session: Session, task: str, answer: str | None = None) -> list[str]:
    result = session.check(task, answer=answer, record=False)
    return [r.message for r in result.results if not r.passed]


def docker(*argv: str) -> str:
    res = subprocess.run(["docker", *argv], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


# --- on the real engine -----------------------------------------------------------


@pytest.mark.docker
@needs_tools
def test_solve_verify_offline_exits_0_and_down_leaves_nothing() -> None:
    prefix = offline_prefix()
    res = subprocess.run(
        [*prefix, sys.executable, "-m", "labtui", "solve", LAB, "--verify"],
        capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL, cwd=REPO,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert f"{LAB}: verified" in res.stdout
    for task in ("build-image", "write-sbom", "scan-binary", "fix-image", "what-scanning-misses"):
        assert re.search(rf"^{task}\s.*✓$", res.stdout, re.MULTILINE), res.stdout
    assert leftovers(LAB) == []
    assert lab_images() == []


@pytest.fixture
def fresh() -> Iterator[Session]:
    session = lab()
    session.up()
    try:
        yield session
    finally:
        session.down()


@pytest.mark.docker
@needs_tools
def test_checks_catch_the_near_misses(fresh: Session) -> None:
    s, d = fresh, fresh.lab_dir
    for task in s.scenario.tasks:
        result = s.check(task.id, record=False)
        assert not any(r.passed for r in result.results), task.id
    s.apply_solution("build-image")
    assert failing(s, "build-image") == []

    # an SBOM of the other release: the image ships x/text v0.3.6, this one says v0.41.0
    fixed = shutil.which("shop-api-1.1")
    assert fixed is not None
    sbom = d / "shop-1.0.sbom.json"
    subprocess.run(
        ["cyclonedx-gomod", "bin", "-json", "-output", str(sbom), fixed],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    assert failing(s, "write-sbom") == [
        "exit code 1, expected 0: shop-1.0.sbom.json (CycloneDX 1.6) does not list "
        "golang.org/x/text v0.3.6, which the image's binary was built with"
    ]
    # JSON that names the module but is no SBOM
    sbom.write_text(
        json.dumps({"components": [{"name": "golang.org/x/text", "version": "v0.3.6"}]})
    )
    assert "not an SBOM" in failing(s, "write-sbom")[0]
    s.apply_solution("write-sbom")
    assert failing(s, "write-sbom") == []

    assert "Package Results" in failing(s, "scan-binary", "GO-2022-1059")[0]
    assert failing(s, "scan-binary", "CVE-2021-38561") == []  # its alias is accepted

    # "fixed" by tagging the vulnerable release 1.1: the scan still finds it
    docker("tag", "labtui-image-scan/shop:1.0", "labtui-image-scan/shop:1.1")
    assert failing(s, "fix-image") == ["output differs"]
    # an image without the service scans clean, and is no fix
    empty = d / "empty"
    empty.mkdir()
    (empty / "Dockerfile").write_text("FROM labtui-image-scan/runtime:lab\n")
    docker("build", "-q", "-t", "labtui-image-scan/shop:1.1", str(empty))
    problems = failing(s, "fix-image")
    assert len(problems) == 2 and "docker cp" in problems[1], problems
    s.apply_solution("fix-image")
    assert failing(s, "fix-image") == []


@pytest.mark.docker
@needs_tools
def test_down_removes_the_learners_images_and_containers() -> None:
    session = lab()
    session.up()
    try:
        session.apply_solution("build-image")
        session.apply_solution("fix-image")
        # what a learner leaves: the extract container, an unnamed one, an extra tag
        docker("create", "--name", "image-scan-extract", "labtui-image-scan/shop:1.0")
        docker("create", "labtui-image-scan/shop:1.1")
        docker("tag", "labtui-image-scan/shop:1.1", "labtui-image-scan/shop:latest")
        assert len(lab_images()) >= 5
    finally:
        session.down()
    assert leftovers(LAB) == []
    assert lab_images() == []


# --- the helper, the database and the scanner, without Docker ----------------------


def buildinfo_blob(modinfo: str, go_version: str = "go1.26.8") -> bytes:
    """The build information section of a Go 1.18+ binary, as the linker writes it."""

    def varint(n: int) -> bytes:
        out = b""
        while n >= 0x80:
            out += bytes([n & 0x7F | 0x80])
            n >>= 7
        return out + bytes([n])

    header = b"\xff Go buildinf:" + bytes([8, 2]) + b"\0" * 16
    assert len(header) == 32
    sentinel = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6"
    info = sentinel.decode("latin-1") + modinfo + sentinel.decode("latin-1")
    raw = info.encode("latin-1")
    return (
        b"ELF..." + header + varint(len(go_version)) + go_version.encode() + varint(len(raw)) + raw
    )


def test_build_modules_reads_deps_and_replacements() -> None:
    blob = buildinfo_blob(
        "path\texample.com/shop-api\nmod\texample.com/shop-api\t(devel)\t\n"
        "dep\tgolang.org/x/text\tv0.3.6\th1:abc=\n"
        "dep\texample.com/lib\tv1.0.0\t\n=>\texample.com/fork\tv1.0.1\th1:def=\n"
        "build\t-trimpath=true\n" + "x" * 200  # a long string: a two-byte length
    )
    assert helper.build_modules(blob) == {
        "golang.org/x/text": "v0.3.6",
        "example.com/lib": "v1.0.1",
    }
    with pytest.raises(helper.CheckError, match="not a Go binary"):
        helper.build_modules(b"#!/bin/sh\necho hi\n")


@needs_tools
def test_build_modules_agrees_with_the_real_binaries() -> None:
    for program, version in (("shop-api-1.0", "v0.3.6"), ("shop-api-1.1", "v0.41.0")):
        path = shutil.which(program)
        assert path is not None
        modules = helper.build_modules(Path(path).read_bytes())
        assert modules == {"golang.org/x/text": version}, program


def test_sbom_components_read_cyclonedx_and_spdx() -> None:
    cdx = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": {"component": {"name": "example.com/shop-api", "version": "v1.0.0"}},
        "components": [
            {"name": "shop", "version": "1", "components": [
                {"name": "x", "purl": "pkg:golang/golang.org/x/text@v0.3.6?type=module"}]},
        ],
    }  # fmt: skip
    kind, pairs = helper.sbom_components(cdx)
    assert kind == "CycloneDX 1.6"
    assert ("golang.org/x/text", "v0.3.6") in pairs
    assert ("example.com/shop-api", "v1.0.0") in pairs
    spdx = {
        "spdxVersion": "SPDX-2.3",
        "packages": [
            {"name": "text", "versionInfo": "v0.3.6", "externalRefs": [
                {"referenceType": "purl",
                 "referenceLocator": "pkg:golang/golang.org/x/text%2Flanguage@v0.3.6"}]},
        ],
    }  # fmt: skip
    kind, pairs = helper.sbom_components(spdx)
    assert kind == "SPDX-2.3"
    assert ("golang.org/x/text/language", "v0.3.6") in pairs
    wrongs: list[object] = [
        [],
        {"bomFormat": "CycloneDX"},
        {"spdxVersion": "SPDX-2.3"},
        {"name": "x"},
    ]
    for wrong in wrongs:
        with pytest.raises(helper.CheckError):
            helper.sbom_components(wrong)


def test_check_sbom_wants_every_module_at_its_version(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    with pytest.raises(helper.CheckError, match="does not exist yet"):
        helper.check_sbom(path, {"golang.org/x/text": "v0.3.6"})
    path.write_text(json.dumps({"spdxVersion": "SPDX-2.3", "packages": [
        {"name": "golang.org/x/text", "versionInfo": "0.3.6"}]}))  # fmt: skip
    assert helper.check_sbom(path, {"golang.org/x/text": "v0.3.6"}).endswith(
        "lists golang.org/x/text v0.3.6"
    )
    with pytest.raises(helper.CheckError, match=r"does not list golang\.org/x/text v0\.41\.0"):
        helper.check_sbom(path, {"golang.org/x/text": "v0.41.0"})


def test_vulns_by_level_keeps_each_ids_deepest_finding() -> None:
    stream = (
        '{"osv": {"id": "GO-1", "aliases": ["CVE-1"]}}\n{\n  "finding": {"osv": "GO-1", '
        '"trace": [{"module": "m", "package": "m/p", "function": "F"}]}}'
        '{"finding": {"osv": "GO-1", "trace": [{"module": "m"}]}}'
        '{"finding": {"osv": "GO-2", "trace": [{"module": "m", "package": "m/p"}]}}'
        '{"finding": {"osv": "GO-3", "trace": [{"module": "m"}]}}'
    )
    level, aliases = helper.vulns_by_level(stream)
    assert level == {"GO-1": "symbol", "GO-2": "package", "GO-3": "module"}
    assert aliases == {"GO-1": ["CVE-1"]}


def shipped_records() -> dict[str, dict[str, object]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((DB / "ID").glob("*.json"))}


def test_the_shipped_database_is_a_consistent_v1_index() -> None:
    records = shipped_records()
    assert sorted(records) == [
        "GO-2020-0015", "GO-2021-0113", "GO-2022-1059", "GO-2026-5970", "GO-2026-6629",
    ]  # fmt: skip
    modules = json.loads((DB / "index" / "modules.json").read_text())
    assert [m["path"] for m in modules] == ["golang.org/x/text"]
    fixed = {v["id"]: v["fixed"] for v in modules[0]["vulns"]}
    for rid, record in records.items():
        assert record["id"] == rid
        events = [
            e
            for a in record["affected"]  # type: ignore[attr-defined]
            for r in a["ranges"]
            for e in r["events"]
        ]
        assert fixed[rid] == [e["fixed"] for e in events if "fixed" in e][-1]
    vulns = json.loads((DB / "index" / "vulns.json").read_text())
    assert {v["id"]: v["aliases"] for v in vulns} == {
        rid: r["aliases"] for rid, r in records.items()
    }
    assert "modified" in json.loads((DB / "index" / "db.json").read_text())
    provenance = (DB / "PROVENANCE.md").read_text()
    for rid in records:
        assert f"| {rid} |" in provenance


def vulndb_module() -> Path | None:
    """The pinned golang.org/x/vulndb in the local module cache, when it is there."""
    go = shutil.which("go") or "/usr/local/go/bin/go"
    if not Path(go).exists():
        return None
    version = re.search(r'version="\$\{1:-(v[^}]+)\}"', (FOLDER / "refresh-vulndb.sh").read_text())
    assert version is not None
    cache = subprocess.run([go, "env", "GOMODCACHE"], capture_output=True, text=True, timeout=60)
    path = Path(cache.stdout.strip()) / f"golang.org/x/vulndb@{version.group(1)}"
    return path if (path / "data" / "osv").is_dir() else None


def test_the_shipped_records_are_the_modules_records() -> None:
    module = vulndb_module()
    if module is None:
        pytest.skip(
            "golang.org/x/vulndb is not in the module cache: refresh-vulndb.sh downloads it"
        )
    provenance = (DB / "PROVENANCE.md").read_text()
    for rid, record in shipped_records().items():
        original = module / "data" / "osv" / f"{rid}.json"
        assert json.loads(original.read_text()) == record, rid
        assert hashlib.sha256(original.read_bytes()).hexdigest() in provenance, rid
    # and no record of the module that affects golang.org/x/text is left out
    affecting = {
        p.stem
        for p in (module / "data" / "osv").glob("GO-*.json")
        if '"name": "golang.org/x/text"' in p.read_text()
    }
    assert affecting == set(shipped_records())


def govulncheck(program: str) -> dict[str, str]:
    path = shutil.which(program)
    assert path is not None
    res = subprocess.run(
        ["govulncheck", "-db", DB.resolve().as_uri(), "-mode", "binary", "-format", "json", path],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    level: dict[str, str] = helper.vulns_by_level(res.stdout)[0]
    return level


@needs_tools
def test_govulncheck_finds_what_the_lab_teaches() -> None:
    """One record in the binary's code, one in its package, two only in its module."""
    assert govulncheck("shop-api-1.0") == {
        "GO-2021-0113": "symbol",
        "GO-2022-1059": "package",
        "GO-2026-5970": "module",
        "GO-2026-6629": "module",
    }
    assert govulncheck("shop-api-1.1") == {}
    path = shutil.which("shop-api-1.0")
    assert path is not None
    text = subprocess.run(
        ["govulncheck", "-db", DB.resolve().as_uri(), "-mode", "binary", path],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert text.returncode == 3  # what CI fails on
    assert "#1: language.Parse" in text.stdout


# --- tools and how the lab names them ------------------------------------------------


def test_missing_tools_make_tasks_unavailable_with_the_install_lines(tmp_path: Path) -> None:
    proc = labtui("check", LAB, "--task", "scan-binary", env={"PATH": str(tmp_path)})
    assert "needs govulncheck: not found on PATH" in proc.stdout + proc.stderr
    entry = Catalog().find(LAB)
    assert entry.scenario is not None
    scenario = entry.scenario
    pins = {}
    for tool in ("govulncheck", "cyclonedx-gomod"):
        text = (REPO / "scripts" / "lab-tools" / f"{tool}.sh").read_text()
        match = re.search(r"^\w+_VERSION=(\S+)$", text, re.MULTILINE)
        assert match is not None
        pins[tool] = match.group(1)
        assert f"@v{pins[tool]}" in scenario.tools[tool]
        assert f"{tool} {pins[tool]}" in scenario.introduction
    shop = (REPO / "scripts" / "lab-tools" / "shop-api.sh").read_text()
    assert "scenarios/image-scan-and-sbom/src" in shop
    for release in ("shop-api-1.0", "shop-api-1.1"):
        assert "install-lab-tools.sh shop-api" in scenario.tools[release]
    for task in scenario.tasks[:-1]:
        assert task.requires, f"{task.id} runs a tool but requires none"


def test_the_sample_pins_a_vulnerable_and_a_fixed_text_module() -> None:
    src = FOLDER / "src"
    assert "golang.org/x/text v0.3.6" in (src / "go.mod").read_text()
    assert "golang.org/x/text v0.41.0" in (src / "go.fixed.mod").read_text()
    assert "golang.org/x/text v0.3.6 h1:" in (src / "go.sum").read_text()
    assert "golang.org/x/text v0.41.0 h1:" in (src / "go.fixed.sum").read_text()
    modules = json.loads((DB / "index" / "modules.json").read_text())
    newest_fix = max(
        (tuple(int(x) for x in v["fixed"].split(".")) for v in modules[0]["vulns"]),
    )
    assert newest_fix == (0, 41, 0)  # release 1.1 is the first that fixes every record
    assert "language.Parse(" in (src / "main.go").read_text()
    assert "ParseAcceptLanguage" not in (src / "main.go").read_text()
