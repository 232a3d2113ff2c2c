"""`labtui check pid-namespace-sharing` against the docker CLI calls it replaces, in one run.

The lab is brought up and solved, then both sides are timed alternately:
  labtui: one `labtui check pid-namespace-sharing` process (every task's checks);
  raw:    the same inspections as a shell script would make them, one docker CLI
          call per check (inspect fields, exec `ps`), run one after another.
Prints the median of each and the ratio (target: labtui <= 1.5x raw).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
LAB = "pid-namespace-sharing"
RAW = [
    ["docker", "inspect", "-f", "{{.State.Running}}", "c1"],
    ["docker", "inspect", "-f", "{{json .Config.Cmd}}", "c1"],
    ["docker", "inspect", "-f", "{{.State.Running}}", "c2"],
    ["docker", "inspect", "-f", "{{.HostConfig.PidMode}}", "c2"],
    ["docker", "inspect", "-f", "{{.Id}}", "c1"],
    ["docker", "exec", "c2", "ps", "aux"],
    ["docker", "exec", "c1", "ps", "aux"],
    ["docker", "exec", "c2", "ps", "-o", "pid,args"],
    ["docker", "exec", "c2", "cat", "/proc/1/root/etc/hostname"],
    ["docker", "inspect", "-f", "{{.State.Pid}}", "c1"],
]


def timed(argv: list[list[str]], env: dict[str, str]) -> float:
    start = time.perf_counter()
    for cmd in argv:
        subprocess.run(
            cmd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    return time.perf_counter() - start


def main() -> int:
    labtui = [sys.executable, "-m", "labtui"]
    with tempfile.TemporaryDirectory(prefix="labtui-bench-") as data:
        env = {**os.environ, "LABTUI_DATA_DIR": data}
        env.setdefault("LABTUI_BASE_IMAGE", "labtui/base:local")
        subprocess.run([*labtui, "down", LAB], env=env, capture_output=True, check=False)
        solved = subprocess.run(
            [*labtui, "solve", LAB], env=env, capture_output=True, text=True, check=False
        )
        if solved.returncode != 0:
            print(solved.stdout, solved.stderr, file=sys.stderr)
            return 1
        try:
            ours, raw = [], []
            timed([[*labtui, "check", LAB]], env)  # warm caches once on each side
            timed(RAW, env)
            for _ in range(ROUNDS):
                ours.append(timed([[*labtui, "check", LAB]], env))
                raw.append(timed(RAW, env))
        finally:
            subprocess.run([*labtui, "down", LAB], env=env, capture_output=True, check=False)
    a, b = statistics.median(ours), statistics.median(raw)
    print(f"labtui check {LAB}: median {a * 1000:.0f} ms over {ROUNDS} runs")
    print(f"docker CLI, {len(RAW)} calls:      median {b * 1000:.0f} ms over {ROUNDS} runs")
    print(f"ratio labtui/raw: {a / b:.2f} (target <= 1.50)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
