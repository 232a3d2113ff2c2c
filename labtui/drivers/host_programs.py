"""Programs of this machine copied into a lab image, with the shared libraries they load.

Lab images start from ``{base_image}`` (busybox), which has no openssl, curl or
strace, and no registry can be reached to pull an image that has them. A lab that
names a program in ``environment.images[].host_programs`` gets this machine's copy
of it: the binary, every shared library ``ldd`` lists for it and the dynamic
loader, under ``/opt/labtui/host/<program>/``, started by ``/usr/bin/<program>``,
a ``/bin/sh`` wrapper that runs it through that loader with that library path. The
image's own libraries (if any) are never replaced, so busybox keeps working and
the program runs the same on any base image. A statically linked program is
copied as ``/usr/bin/<program>`` itself.

Files the program opens at run time (configuration, plugins, certificates) are not
copied; the program runs with its defaults for them.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from labtui.drivers import shell
from labtui.errors import EnvironmentUnavailable, LabError

ROOT = "/opt/labtui/host"
# The folder of the build context that holds them; the Dockerfile copies it to /.
CONTEXT_DIR = "labtui-host"
COPY_LINE = f"COPY {CONTEXT_DIR}/ /"

_LIBRARY = re.compile(r"^\s*(\S+)\s+=>\s+(\S+)\s+\(0x[0-9a-fA-F]+\)\s*$")
_LOADER = re.compile(r"^\s*(/\S+)\s+\(0x[0-9a-fA-F]+\)\s*$")
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$")
_FROM = re.compile(r"^\s*FROM\s", re.IGNORECASE)


@dataclass(frozen=True)
class ContextFile:
    """A file of the build context: its path there, its content and mode."""

    path: str
    data: bytes
    mode: int = 0o644


@dataclass(frozen=True)
class Linkage:
    """What ``ldd`` says a binary loads: (soname, path) pairs and the loader (None: static)."""

    libraries: tuple[tuple[str, str], ...]
    loader: str | None


def parse_ldd(output: str) -> Linkage:
    """Read ``ldd`` output (glibc or musl); a library it cannot find is an error."""
    libraries: list[tuple[str, str]] = []
    loader = None
    for line in output.splitlines():
        missing = _NOT_FOUND.match(line)
        if missing:
            raise LabError(f"shared library {missing.group(1)} not found", line.strip())
        lib = _LIBRARY.match(line)
        if lib:
            libraries.append((lib.group(1), lib.group(2)))
            continue
        found = _LOADER.match(line)
        if found:
            loader = found.group(1)
    return Linkage(tuple(libraries), loader)


def linkage(binary: Path) -> Linkage:
    """The libraries and loader of ``binary`` on this machine."""
    res = shell.run(["ldd", str(binary)], timeout=30, env={"LC_ALL": "C"})
    text = res.stdout + res.stderr
    if res.not_found:
        raise EnvironmentUnavailable(
            f"cannot list the shared libraries of {binary}: ldd not found",
            "install your distribution's libc tools (ldd), e.g. apt-get install libc-bin",
        )
    if not res.ok:
        if "not a dynamic executable" in text or "statically linked" in text:
            return Linkage((), None)
        raise LabError(f"ldd {binary} failed", text.strip() or f"exit code {res.exit_code}")
    if "statically linked" in text:
        return Linkage((), None)
    found = parse_ldd(res.stdout)
    if found.loader is None:
        raise LabError(f"ldd {binary} names no dynamic loader", res.stdout.strip())
    return found


def locate(program: str, install: str | None = None) -> Path:
    """The program's binary on this machine (symlinks resolved), or why the lab cannot run."""
    where = shell.which(program)
    if where is None:
        hint = f"install: {install}" if install else f"install {program} on this machine"
        raise EnvironmentUnavailable(f"needs {program}: not found on PATH", hint)
    return Path(where).resolve()


def wrapper(program: str, loader: str) -> str:
    home = f"{ROOT}/{program}"
    argv = [f"{home}/lib/{Path(loader).name}", "--library-path", f"{home}/lib"]
    return f'#!/bin/sh\nexec {shlex.join([*argv, f"{home}/bin/{program}"])} "$@"\n'


def files_for(program: str, binary: Path, found: Linkage) -> list[ContextFile]:
    """The build-context files that put ``binary`` into an image as ``program``."""
    base = f"{CONTEXT_DIR}{ROOT}/{program}"
    if found.loader is None:
        return [ContextFile(f"{CONTEXT_DIR}/usr/bin/{program}", binary.read_bytes(), 0o755)]
    out = [ContextFile(f"{base}/bin/{program}", binary.read_bytes(), 0o755)]
    seen = set()
    for name, path in [*found.libraries, (Path(found.loader).name, found.loader)]:
        if name in seen:
            continue
        seen.add(name)
        out.append(ContextFile(f"{base}/lib/{name}", Path(path).resolve().read_bytes(), 0o755))
    out.append(
        ContextFile(
            f"{CONTEXT_DIR}/usr/bin/{program}", wrapper(program, found.loader).encode(), 0o755
        )
    )
    return out


def context(programs: list[str], install: dict[str, str] | None = None) -> list[ContextFile]:
    """Every file the build needs for ``programs`` (an unavailable one says how to install it)."""
    out: list[ContextFile] = []
    for program in programs:
        binary = locate(program, (install or {}).get(program))
        out += files_for(program, binary, linkage(binary))
    return out


def with_copy(dockerfile: str) -> str:
    """The Dockerfile with the programs copied in right after its last FROM.

    RUN steps of the final stage can use them; earlier stages never see them.
    """
    lines = dockerfile.splitlines()
    last = max((i for i, line in enumerate(lines) if _FROM.match(line)), default=None)
    if last is None:
        raise LabError("the Dockerfile has no FROM line", "start it with FROM {base_image}")
    return "\n".join([*lines[: last + 1], COPY_LINE, *lines[last + 1 :]]) + "\n"
