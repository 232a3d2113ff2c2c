"""A small Docker Engine API client over the local unix socket, for the check hot path.

``labtui check`` runs often (after every shell session, on every key press of
`c`), and most of its checks are an inspect or an exec. The docker SDK pulls in
``requests`` and friends, which costs more start-up time than the checks
themselves; this client speaks the same HTTP API with the standard library.
It serves inspect, exec and version on a local socket only; everything else,
and every non-unix DOCKER_HOST (tcp, ssh, TLS), goes through the SDK.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import struct
from typing import Any
from urllib.parse import quote

DEFAULT_SOCKET = "/var/run/docker.sock"


class EngineError(Exception):
    """The engine answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class EngineUnreachable(OSError):
    """Nothing answers on the socket."""


def local_socket() -> str | None:
    """The unix socket path to use, or None when DOCKER_HOST points elsewhere."""
    host = os.environ.get("DOCKER_HOST", "")
    if not host:
        return DEFAULT_SOCKET
    if host.startswith("unix://") and not os.environ.get("DOCKER_TLS_VERIFY"):
        return host[len("unix://") :]
    return None


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError as exc:
            sock.close()
            raise EngineUnreachable(exc.errno, f"{exc.strerror}: {self._path}") from None
        self.sock = sock


class EngineAPI:
    def __init__(self, path: str, timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout

    def _request(self, method: str, url: str, body: Any = None) -> tuple[int, bytes]:
        conn = _UnixConnection(self.path, self.timeout)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, url, body=payload, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        except (ConnectionError, http.client.HTTPException, TimeoutError) as exc:
            raise EngineUnreachable(0, f"{type(exc).__name__}: {exc}") from None
        finally:
            conn.close()

    def _json(
        self, method: str, url: str, body: Any = None, ok: tuple[int, ...] = (200, 201)
    ) -> Any:
        status, data = self._request(method, url, body)
        if status not in ok:
            raise EngineError(status, _message(data))
        return json.loads(data) if data else None

    def version(self) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", "/version")
        return result

    def inspect(self, name: str) -> dict[str, Any] | None:
        status, data = self._request("GET", f"/containers/{quote(name, safe='')}/json")
        if status == 404:
            return None
        if status != 200:
            raise EngineError(status, _message(data))
        result: dict[str, Any] = json.loads(data)
        return result

    def exec(
        self, name: str, argv: list[str], user: str | None = None
    ) -> tuple[int | None, bytes, bytes]:
        created = self._json(
            "POST",
            f"/containers/{quote(name, safe='')}/exec",
            {
                "AttachStdout": True,
                "AttachStderr": True,
                "AttachStdin": False,
                "Tty": False,
                "Cmd": argv,
                "User": user or "",
            },
        )
        exec_id = created["Id"]
        status, raw = self._request(
            "POST", f"/exec/{exec_id}/start", {"Detach": False, "Tty": False}
        )
        if status != 200:
            raise EngineError(status, _message(raw))
        out, err = demux(raw)
        info = self._json("GET", f"/exec/{exec_id}/json")
        return info.get("ExitCode"), out, err


def demux(raw: bytes) -> tuple[bytes, bytes]:
    """Split Docker's multiplexed stream (8-byte frame headers) into stdout and stderr."""
    out, err = bytearray(), bytearray()
    i = 0
    while i + 8 <= len(raw):
        kind, size = raw[i], struct.unpack(">I", raw[i + 4 : i + 8])[0]
        chunk = raw[i + 8 : i + 8 + size]
        (err if kind == 2 else out).extend(chunk)
        i += 8 + size
    return bytes(out), bytes(err)


def _message(data: bytes) -> str:
    try:
        return str(json.loads(data).get("message", data[:200]))
    except (ValueError, AttributeError):
        return data[:200].decode("utf-8", errors="replace")
