"""Time from launch to the first painted catalog, next to a minimal Textual app.

Both apps run as fresh processes on a pseudo-terminal (100x30), alternating, and
each exits itself on its first painted frame (``call_after_refresh``): the
minimal app once its one label is on screen, labtui once the catalog shows its
scenarios. The time is launch (just before spawning) to that paint. Prints the
median of each and their ratio; the target is labtui within 1.5x.

    .venv/bin/python bench/bench_startup.py [-n 15]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

MINIMAL = """
import os, time
from textual.app import App
from textual.widgets import Label

class Minimal(App):
    def compose(self):
        yield Label("hello")

    def on_mount(self):
        self.call_after_refresh(self.painted)

    def painted(self):
        with open(os.environ["BENCH_OUT"], "w") as fh:
            fh.write(repr(time.time()))
        self.exit()

Minimal().run()
"""

LABTUI = """
import os, time
import labtui.cli  # what the `labtui` command imports before it opens the app
from labtui.ui.app import LabApp

class Bench(LabApp):
    def catalog_painted(self):
        with open(os.environ["BENCH_OUT"], "w") as fh:
            fh.write(repr(time.time()))
        self.exit()

Bench().run()
"""


# The same app without importing the CLI first: separates the app's own cost from the CLI's.
LABTUI_APP_ONLY = LABTUI.replace(
    "import labtui.cli  # what the `labtui` command imports before it opens the app\n", ""
)


assert LABTUI_APP_ONLY != LABTUI


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


def launch(code: str, env: dict[str, str], out: Path, timeout: float = 60.0) -> float:
    """Seconds from spawn to the child's first paint."""
    out.unlink(missing_ok=True)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    reader = threading.Thread(target=_drain, args=(master,), daemon=True)
    reader.start()
    start = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**env, "BENCH_OUT": str(out)},
        start_new_session=True,
    )
    os.close(slave)
    try:
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
        reader.join(timeout=2)
    if not out.exists():
        raise SystemExit(f"child exited {proc.returncode} without painting")
    return float(out.read_text()) - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=15, help="runs of each app (default 15)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="labtui-bench-") as tmp:
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "LABTUI_DATA_DIR": str(Path(tmp) / "data"),
            "TEXTUAL": "",
        }
        out = Path(tmp) / "painted"
        launch(MINIMAL, env, out)  # warm the file cache for both
        launch(LABTUI, env, out)
        minimal: list[float] = []
        labtui: list[float] = []
        app_only: list[float] = []
        for _ in range(args.n):
            minimal.append(launch(MINIMAL, env, out))
            labtui.append(launch(LABTUI, env, out))
            app_only.append(launch(LABTUI_APP_ONLY, env, out))
    m, lab, app = (statistics.median(x) for x in (minimal, labtui, app_only))
    print(f"minimal Textual app (one label):     median {m * 1000:.0f} ms over {args.n} runs")
    print(f"labtui catalog (as `labtui` starts): median {lab * 1000:.0f} ms  ratio {lab / m:.2f}x")
    print(f"labtui catalog without labtui.cli:   median {app * 1000:.0f} ms  ratio {app / m:.2f}x")
    print("target: within 1.5x of the minimal app")


if __name__ == "__main__":
    main()
