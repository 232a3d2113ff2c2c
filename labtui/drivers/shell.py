"""Subprocesses: argv only, stdin closed, a timeout, the whole process group killed on expiry."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MAX_OUTPUT = 1_000_000


@dataclass(frozen=True)
class CommandResult:
    argv: list[str]
    exit_code: int | None
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False
    not_found: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


def _clip(data: bytes) -> str:
    text = data[:MAX_OUTPUT].decode("utf-8", errors="replace")
    return text + ("\n… (output cut)" if len(data) > MAX_OUTPUT else "")


def run(
    argv: list[str],
    timeout: float = 10.0,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> CommandResult:
    """Run ``argv`` without a shell; never raises for a failing or missing command."""
    start = time.monotonic()
    if cwd is not None and not Path(cwd).is_dir():
        return CommandResult(
            argv, None, "", f"working directory {cwd} does not exist", 0.0, not_found=True
        )
    full_env = {**os.environ, **(env or {})}
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=full_env,
            start_new_session=True,
        )
    except FileNotFoundError:
        return CommandResult(argv, None, "", f"command not found: {argv[0]}", 0.0, not_found=True)
    except OSError as exc:
        return CommandResult(
            argv, None, "", f"cannot run {argv[0]}: {exc.strerror}", 0.0, not_found=True
        )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
        return CommandResult(
            argv, None, _clip(out), _clip(err), time.monotonic() - start, timed_out=True
        )
    except BaseException:
        kill_group(proc)
        proc.wait()
        raise
    return CommandResult(argv, proc.returncode, _clip(out), _clip(err), time.monotonic() - start)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def which(name: str) -> str | None:
    return shutil.which(name)
