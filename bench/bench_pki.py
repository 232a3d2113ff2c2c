"""`labtui pki generate` against `openssl genrsa 2048`, in one run.

RSA key generation dominates generating a PKI, so both sides are measured in
keys per second:
  labtui:  RUNS in-process `labtui pki generate` invocations (16 RSA-2048 keys each
           for the 1.29+ layout: 10 certificates, sa.key, 5 kubeconfigs), timed end
           to end (keys, signing, PEM and kubeconfig files);
  openssl: `openssl genrsa 2048` processes making the same number of keys, once one
           after another and once with as many in parallel as labtui uses threads.
Prints keys per second for each and the ratios.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from click.testing import CliRunner

from labtui.pki.cli import pki

RUNS = int(os.environ.get("BENCH_RUNS", "10"))


def labtui_keys_per_second(tmp: Path) -> tuple[float, int]:
    runner = CliRunner()
    keys = 0
    start = time.perf_counter()
    for i in range(RUNS):
        result = runner.invoke(pki, ["generate", str(tmp / f"lab{i}")])
        if result.exit_code != 0:
            sys.exit(f"labtui pki generate failed: {result.output}")
        keys += int(result.output.rsplit(" keys in ", 1)[0].rsplit(", ", 1)[1])
    return keys / (time.perf_counter() - start), keys


def genrsa(path: Path) -> None:
    subprocess.run(
        ["openssl", "genrsa", "-out", str(path), "2048"],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def openssl_keys_per_second(tmp: Path, keys: int, workers: int) -> float:
    start = time.perf_counter()
    if workers == 1:
        for i in range(keys):
            genrsa(tmp / f"k{i}.pem")
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda i: genrsa(tmp / f"p{i}.pem"), range(keys)))
    return keys / (time.perf_counter() - start)


def main() -> None:
    workers = min(os.cpu_count() or 1, 8)
    with tempfile.TemporaryDirectory(prefix="labtui-bench-pki-") as d:
        tmp = Path(d)
        ours, keys = labtui_keys_per_second(tmp)
        serial = openssl_keys_per_second(tmp, keys, 1)
        parallel = openssl_keys_per_second(tmp, keys, workers) if workers > 1 else serial
    print(
        f"labtui pki generate: {RUNS} runs, {keys} RSA-2048 keys, {ours:.1f} keys/s "
        f"({keys / RUNS:.0f} keys and {RUNS / (keys / ours):.2f} PKIs per second)"
    )
    print(
        f"openssl genrsa 2048: {serial:.1f} keys/s one at a time, {parallel:.1f} keys/s with {workers} in parallel"
    )
    print(
        f"ratio labtui / openssl: {ours / serial:.2f}x (serial), {ours / parallel:.2f}x (parallel, {workers} workers)"
    )


if __name__ == "__main__":
    main()
