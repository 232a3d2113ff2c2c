"""``environment.images[].host_programs``: this machine's programs copied into a lab image.

The libraries come from ``ldd``; the program runs through the copied loader, so the
base image's own libraries (none in a static busybox image) never matter.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from labtui.drivers import host_programs
from labtui.drivers.docker import build_context
from labtui.engine.requirements import Availability
from labtui.engine.session import Session
from labtui.engine.trust import review
from labtui.errors import EnvironmentUnavailable, LabError
from labtui.scenario.loader import load_file

GLIBC = """\
\tlinux-vdso.so.1 (0x00007ffd5b3f6000)
\tlibssl.so.3 => /lib/x86_64-linux-gnu/libssl.so.3 (0x00007f1c1d6a5000)
\tlibcrypto.so.3 => /lib/x86_64-linux-gnu/libcrypto.so.3 (0x00007f1c1d200000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1c1d01e000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f1c1d852000)
"""
MUSL = """\
\t/lib/ld-musl-x86_64.so.1 (0x7f5b1b8f1000)
\tlibssl.so.3 => /lib/libssl.so.3 (0x7f5b1b83a000)
\tlibc.musl-x86_64.so.1 => /lib/ld-musl-x86_64.so.1 (0x7f5b1b8f1000)
"""


def test_ldd_output_of_glibc_and_musl() -> None:
    glibc = host_programs.parse_ldd(GLIBC)
    assert glibc.loader == "/lib64/ld-linux-x86-64.so.2"
    assert [name for name, _ in glibc.libraries] == ["libssl.so.3", "libcrypto.so.3", "libc.so.6"]
    musl = host_programs.parse_ldd(MUSL)
    assert musl.loader == "/lib/ld-musl-x86_64.so.1"
    assert ("libssl.so.3", "/lib/libssl.so.3") in musl.libraries


def test_a_library_ldd_cannot_find_is_an_error() -> None:
    with pytest.raises(LabError, match=r"libfoo\.so\.1 not found"):
        host_programs.parse_ldd("\tlibfoo.so.1 => not found\n" + GLIBC)


def test_the_copy_follows_the_last_from() -> None:
    text = "FROM {base_image} AS tools\nRUN true\nfrom scratch\nCOPY --from=tools /bin /bin\n"
    lines = host_programs.with_copy(text).splitlines()
    assert lines == [
        "FROM {base_image} AS tools",
        "RUN true",
        "from scratch",
        host_programs.COPY_LINE,
        "COPY --from=tools /bin /bin",
    ]
    with pytest.raises(LabError, match="no FROM"):
        host_programs.with_copy("RUN true\n")


def test_a_dynamic_program_comes_with_its_libraries_loader_and_wrapper() -> None:
    binary = Path(shutil.which("true") or "/bin/true").resolve()
    found = host_programs.linkage(binary)
    if found.loader is None:
        pytest.skip(f"{binary} is statically linked here")
    files = {f.path: f for f in host_programs.files_for("true", binary, found)}
    home = f"{host_programs.CONTEXT_DIR}{host_programs.ROOT}/true"
    assert files[f"{home}/bin/true"].data == binary.read_bytes()
    loader = Path(found.loader).name
    assert f"{home}/lib/{loader}" in files
    assert any(p.startswith(f"{home}/lib/libc.") for p in files)
    wrapper = files[f"{host_programs.CONTEXT_DIR}/usr/bin/true"]
    assert wrapper.mode == 0o755
    assert wrapper.data.decode() == (
        "#!/bin/sh\nexec /opt/labtui/host/true/lib/"
        f'{loader} --library-path /opt/labtui/host/true/lib /opt/labtui/host/true/bin/true "$@"\n'
    )


def test_a_static_program_is_copied_as_it_is() -> None:
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("no busybox here")
    binary = Path(busybox).resolve()
    found = host_programs.linkage(binary)
    if found.loader is not None:
        pytest.skip(f"{binary} is dynamically linked here")
    files = host_programs.files_for("busybox", binary, found)
    assert [(f.path, f.mode) for f in files] == [
        (f"{host_programs.CONTEXT_DIR}/usr/bin/busybox", 0o755)
    ]


def test_a_missing_program_is_unavailable_with_its_install_line() -> None:
    with pytest.raises(EnvironmentUnavailable) as info:
        host_programs.context(["labtui-no-such-program"], {"labtui-no-such-program": "apt x"})
    assert info.value.message == "needs labtui-no-such-program: not found on PATH"
    assert info.value.hint == "install: apt x"


def test_build_context_is_a_tar_with_the_dockerfile_first() -> None:
    files = [host_programs.ContextFile("labtui-host/usr/bin/x", b"#!/bin/sh\n", 0o755)]
    with tarfile.open(fileobj=build_context("FROM scratch\n", files)) as tar:
        members = tar.getmembers()
        assert [(m.name, m.mode) for m in members] == [
            ("Dockerfile", 0o644),
            ("labtui-host/usr/bin/x", 0o755),
        ]
        dockerfile = tar.extractfile("Dockerfile")
        assert dockerfile is not None and dockerfile.read() == b"FROM scratch\n"
    assert isinstance(build_context("FROM scratch\n", []), io.BytesIO)


SCENARIO = """\
format_version: 1
id: host-prog-lab
title: Host programs
topic: containers
requires: [docker]
environment:
  images:
    - name: labtui-host-prog-lab/tools:t
      host_programs: ["{program}"]
      dockerfile: |
        FROM {{base_image}}
        RUN /usr/bin/{program} --version
tools:
  "{program}": apt-get install {program}
tasks:
  - id: t
    title: T
    checks:
      - kind: command
        command: [docker, run, --rm, --network, none, labtui-host-prog-lab/tools:t, "{program}", --version]
        stdout_contains: GNU coreutils
"""


def load(tmp_path: Path, program: str) -> Session:
    folder = tmp_path / "pack" / "host-prog-lab"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scenario.yaml").write_text(SCENARIO.format(program=program))
    loaded = load_file(folder / "scenario.yaml")
    assert loaded.ok and loaded.scenario is not None, loaded.problems
    return Session(loaded.scenario, folder)


def test_a_missing_host_program_makes_the_lab_unavailable(tmp_path: Path) -> None:
    lab = load(tmp_path, "labtui-no-such-program")
    reasons = Availability(docker_error=None).missing(lab.scenario)
    assert reasons == [
        "needs labtui-no-such-program: not found on PATH; "
        "install: apt-get install labtui-no-such-program"
    ]
    assert any("labtui-no-such-program" in f.text for f in review(lab.scenario))


@pytest.mark.docker
def test_the_image_runs_the_program_of_this_machine(tmp_path: Path) -> None:
    version = subprocess.run(["true", "--version"], capture_output=True, text=True, timeout=10)
    if "GNU coreutils" not in version.stdout:
        pytest.skip("true here is not GNU coreutils'")
    lab = load(tmp_path, "true")
    assert Availability(docker_error=None).missing(lab.scenario) == []
    try:
        lab.up()
        assert lab.check("t").passed
    finally:
        report = lab.down()
    assert report.images
