"""What labtui's checks of this lab read from the live images (Python 3, no packages).

    python3 check_image.py sbom FILE IMAGE
        FILE is an SBOM in CycloneDX or SPDX JSON (any generator) that lists every
        Go module the binary in IMAGE was built with, at the version it was built
        with; the modules are read from the binary's own build information.
    python3 check_image.py vulns IMAGE DB [--level symbol|package|module] [--regex]
        govulncheck -mode binary on the binary in IMAGE, against the database
        directory DB: the IDs found at that level or above (symbol: the binary
        holds a vulnerable function; package: it holds the vulnerable package;
        module: it was built with the vulnerable module), comma-separated, or
        "none". --regex prints a pattern that also accepts the IDs' aliases.

The binary is copied out of the image with `docker create` and `docker cp`
(nothing in the image runs) into a temporary directory that is removed after.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

BINARY = "/usr/local/bin/shop-api"
LEVELS = ("module", "package", "symbol")


class CheckError(Exception):
    """What is wrong, in one line for the learner."""


def docker(*argv: str) -> str:
    res = subprocess.run(["docker", *argv], capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        raise CheckError(f"docker {argv[0]}: {res.stderr.strip() or res.stdout.strip()}")
    return res.stdout.strip()


def copy_binary(image: str, dest: Path, path: str = BINARY) -> Path:
    """Copy ``path`` out of ``image`` into the folder ``dest``; the copy keeps its mode."""
    container = docker("create", "--network", "none", image)
    try:
        docker("cp", f"{container}:{path}", str(dest / "binary"))
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, timeout=60)
    return dest / "binary"


# Go's build information (debug/buildinfo): a 32-byte header that starts with this
# magic, then (Go 1.18 and later, flag bit 2) two varint-length strings: the Go
# version and the module information that `go version -m` prints.
_MAGIC = b"\xff Go buildinf:"


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data):
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
    raise CheckError("truncated build information")


def _module_info(binary: bytes) -> str:
    """The module information string; the magic may also occur as a plain string."""
    start = binary.find(_MAGIC)
    old = False
    while start >= 0 and start + 32 <= len(binary):
        if binary[start + 15] & 2:
            pos = start + 32
            size, pos = _varint(binary, pos)
            pos += size  # the Go version
            size, pos = _varint(binary, pos)
            info = binary[pos : pos + size].decode("utf-8", "replace")
            if "path\t" in info:
                return info
        else:
            old = True
        start = binary.find(_MAGIC, start + 1)
    if old:
        raise CheckError("build information of a Go release before 1.18: not supported")
    raise CheckError("not a Go binary with build information")


def build_modules(binary: bytes) -> dict[str, str]:
    """The modules a Go binary was built with (``dep`` lines), path -> version."""
    info = _module_info(binary)
    modules: dict[str, str] = {}
    replaced: str | None = None
    for line in info.splitlines():
        fields = line.split("\t")
        if fields[0] == "dep" and len(fields) >= 3:
            replaced = fields[1]
            modules[fields[1]] = fields[2]
        elif fields[0] == "=>" and replaced is not None and len(fields) >= 3:
            modules[replaced] = fields[2]  # a replaced module: the version that was built
    return modules


def _bare(version: str) -> str:
    return version.strip().removeprefix("v")


def _purl_module(purl: str) -> tuple[str, str] | None:
    """``pkg:golang/golang.org/x/text@v0.3.6?type=module`` -> (golang.org/x/text, v0.3.6)."""
    match = re.match(r"^pkg:golang/([^@?#]+)@([^?#]+)", purl.strip())
    if match is None:
        return None
    return unquote(match.group(1)), unquote(match.group(2))


def sbom_components(document: Any) -> tuple[str, list[tuple[str, str]]]:
    """The SBOM's format and its (name, version) pairs, purls included."""
    if not isinstance(document, dict):
        raise CheckError("not an SBOM: the JSON is not an object")
    pairs: list[tuple[str, str]] = []
    if document.get("bomFormat") == "CycloneDX":
        if not isinstance(document.get("specVersion"), str):
            raise CheckError("CycloneDX without specVersion")

        def walk(items: Any) -> Iterator[dict[str, Any]]:
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict):
                    yield item
                    yield from walk(item.get("components"))

        metadata = document.get("metadata") or {}
        found = list(walk(document.get("components")))
        if isinstance(metadata, dict) and isinstance(metadata.get("component"), dict):
            found += list(walk([metadata["component"]]))
        for item in found:
            if isinstance(item.get("name"), str) and isinstance(item.get("version"), str):
                pairs.append((item["name"], item["version"]))
            if isinstance(item.get("purl"), str) and (pm := _purl_module(item["purl"])):
                pairs.append(pm)
        return f"CycloneDX {document['specVersion']}", pairs
    spdx = document.get("spdxVersion")
    if isinstance(spdx, str) and spdx.startswith("SPDX-"):
        packages = document.get("packages")
        if not isinstance(packages, list):
            raise CheckError(f"{spdx} without a packages list")
        for package in packages:
            if not isinstance(package, dict):
                continue
            name, version = package.get("name"), package.get("versionInfo")
            if isinstance(name, str) and isinstance(version, str):
                pairs.append((name, version))
            for ref in package.get("externalRefs") or []:
                locator = ref.get("referenceLocator") if isinstance(ref, dict) else None
                if isinstance(locator, str) and (pm := _purl_module(locator)):
                    pairs.append(pm)
        return spdx, pairs
    raise CheckError(
        "not an SBOM in CycloneDX JSON (bomFormat: CycloneDX) or SPDX JSON (spdxVersion: SPDX-...)"
    )


def check_sbom(path: Path, modules: dict[str, str]) -> str:
    """One line saying what the SBOM lists; CheckError when a module is missing."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckError(f"{path.name} does not exist yet") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckError(f"{path.name} is not JSON: {exc}") from None
    kind, pairs = sbom_components(document)
    listed = {(name, _bare(version)) for name, version in pairs}
    missing = [f"{m} {v}" for m, v in sorted(modules.items()) if (m, _bare(v)) not in listed]
    if missing:
        raise CheckError(
            f"{path.name} ({kind}) does not list {', '.join(missing)}, "
            "which the image's binary was built with"
        )
    return f"{path.name} ({kind}) lists " + ", ".join(
        f"{m} {v}" for m, v in sorted(modules.items())
    )


def json_stream(text: str) -> Iterator[dict[str, Any]]:
    """govulncheck -format json writes one JSON object after another (not one per line)."""
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        obj, pos = decoder.raw_decode(text, pos)
        if isinstance(obj, dict):
            yield obj


def vulns_by_level(stream: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Each finding's ID at its deepest level, and every record's aliases."""
    level: dict[str, str] = {}
    aliases: dict[str, list[str]] = {}
    for message in json_stream(stream):
        if "osv" in message and isinstance(message["osv"], dict):
            entry = message["osv"]
            aliases[entry["id"]] = list(entry.get("aliases") or [])
        finding = message.get("finding")
        if isinstance(finding, dict):
            frame = (finding.get("trace") or [{}])[0]
            here = (
                "symbol"
                if frame.get("function")
                else "package"
                if frame.get("package")
                else "module"
            )
            seen = level.get(finding["osv"], "module")
            level[finding["osv"]] = max(here, seen, key=LEVELS.index)
    return level, aliases


def govulncheck(binary: Path, db: Path) -> str:
    res = subprocess.run(
        [
            "govulncheck",
            "-db",
            db.resolve().as_uri(),
            "-mode",
            "binary",
            "-format",
            "json",
            str(binary),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if res.returncode != 0:
        raise CheckError(f"govulncheck failed: {res.stderr.strip()[-300:]}")
    return res.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sbom = sub.add_parser("sbom")
    sbom.add_argument("file", type=Path)
    sbom.add_argument("image")
    vulns = sub.add_parser("vulns")
    vulns.add_argument("image")
    vulns.add_argument("db", type=Path)
    vulns.add_argument("--level", choices=LEVELS, default="symbol")
    vulns.add_argument("--regex", action="store_true")
    args = parser.parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="labtui-image-scan-") as tmp:
            binary = copy_binary(args.image, Path(tmp))
            if args.command == "sbom":
                print(check_sbom(args.file, build_modules(binary.read_bytes())))
                return 0
            level, aliases = vulns_by_level(govulncheck(binary, args.db))
            floor = LEVELS.index(args.level)
            ids = sorted(i for i, at in level.items() if LEVELS.index(at) >= floor)
            if args.regex:
                names = [n for i in ids for n in (i, *aliases.get(i, []))]
                print("|".join(re.escape(n) for n in names) or "none")
            else:
                print(",".join(ids) or "none")
            return 0
    except CheckError as exc:
        print(exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
