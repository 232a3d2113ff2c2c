"""``labtui serve`` in a real headless Chromium: the page shows the catalog.

The terminal in the page draws on a canvas, so its text is not in the DOM. A
script added before the page loads keeps a copy of what the page receives over
its WebSocket (the app's terminal output); the test reads that text back with
the escape sequences removed, and saves a screenshot under tests/artifacts/.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labtui.classroom_cli import serve_command
from tests.conftest import REPO

ARTIFACTS = REPO / "tests" / "artifacts"
CATALOG_TITLE = "Kubernetes-security labs"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

RECORD_SCRIPT = r"""
(() => {
  window.__screenText = "";
  const decoder = new TextDecoder();
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    ws.addEventListener("message", (event) => {
      if (typeof event.data !== "string") {
        window.__screenText += decoder.decode(new Uint8Array(event.data), { stream: true });
      }
    });
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
})();
"""
READ_TEXT = r"""window.__screenText
  .replace(/\x1b\[[0-9;?<>=]*[ -\/]*[@-~]/g, "")
  .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, "")
  .replace(/\x1b[PX^_][\s\S]*?\x1b\\/g, "")"""


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End the process group this test started (the server and the app it spawned)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, deadline: float) -> str:
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return str(resp.read().decode())
        except OSError as exc:
            last = exc
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer: {last}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "labtui", "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "TERM": "xterm-256color"},
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_http(url, time.monotonic() + 30)
        yield url
    finally:
        _stop(proc)
        log.close()


class DevTools:
    """Just enough of the Chrome DevTools Protocol: send a command, wait for its reply."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        my_id = self.next_id
        await self.ws.send_json({"id": my_id, "method": method, "params": params})
        while True:
            msg = await self.ws.receive_json(timeout=30)
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))


async def _browse(url: str, user_dir: Path, shot: Path, want: list[str]) -> str:
    import aiohttp

    assert CHROMIUM is not None
    browser = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={user_dir}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "--window-size=1280,800",
            "about:blank",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        port_file = user_dir / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            assert time.monotonic() < deadline, "Chromium did not open its DevTools port"
            await asyncio.sleep(0.1)
        devtools_port = port_file.read_text().split()[0]
        pages = json.loads(_wait_http(f"http://127.0.0.1:{devtools_port}/json/list", deadline))
        target = next(p for p in pages if p.get("type") == "page")
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws,
        ):
            cdp = DevTools(ws)
            await cdp.call("Page.enable")
            await cdp.call("Page.addScriptToEvaluateOnNewDocument", source=RECORD_SCRIPT)
            await cdp.call("Page.navigate", url=url)
            text = ""
            deadline = time.monotonic() + 60
            while not all(w in text for w in want) and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                res = await cdp.call("Runtime.evaluate", expression=READ_TEXT, returnByValue=True)
                text = str(res.get("result", {}).get("value") or "")
            await asyncio.sleep(1.0)  # let the canvas draw what arrived
            png = await cdp.call("Page.captureScreenshot", format="png")
            shot.write_bytes(base64.b64decode(png["data"]))
            return text
    finally:
        _stop(browser)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
@pytest.mark.timeout(180)
def test_serve_shows_the_catalog_in_chromium(served: str, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n")
    shot = ARTIFACTS / "serve-catalog.png"
    shot.unlink(missing_ok=True)
    page = _wait_http(served, time.monotonic() + 5)
    assert 'class="textual-terminal"' in page and "labtui" in page
    want = [CATALOG_TITLE, "Security principles"]
    text = asyncio.run(_browse(served, tmp_path / "chromium-profile", shot, want))
    assert CATALOG_TITLE in text, text[-2000:]
    assert "Security principles" in text
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_serve_command_keeps_packs_and_learner(tmp_path: Path) -> None:
    command = serve_command([str(tmp_path)], "ada")
    assert command.startswith(sys.executable)
    assert f"--scenarios {tmp_path.resolve()}" in command and command.endswith("--learner ada")


def test_serve_command_hands_the_context_to_each_browser_s_app() -> None:
    command = serve_command([], None, "context:classroom")
    assert command.endswith("-m labtui --cluster context:classroom")
