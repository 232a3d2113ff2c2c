"""Whose labs these are on a shared Docker engine: one id per data directory.

Several learners can share one engine (a classroom VM with several accounts, or
one account with several ``LABTUI_DATA_DIR``s or ``--learner`` names, each of which
keeps its own id). Everything labtui creates there
is labelled with the owner id of the data directory that made it, so ``down``
and ``clean`` touch only the caller's labs. The id is random rather than the
user name: two data directories of one OS user are two learners, and a label
tells nothing about the person.

The id is created once and kept in ``<data dir>/owner``. It is written to a
temporary file and linked into place, so two labtui processes starting at once
agree on one id. A file that does not hold an id is kept aside
(``owner.corrupt-<time>``) and a new id is made: the labs of the old id then
belong to nobody here, and ``labtui clean --all`` removes them. Where the data
directory cannot be written, the id is derived from its path, which is stable
for as long as it stays that way.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import time
from pathlib import Path

from labtui.state import paths

OWNER_FILE = "owner"
_VALID = re.compile(r"[0-9a-f]{16,64}")


def owner_file() -> Path:
    return paths.learner_dir() / OWNER_FILE


def owner_id() -> str:
    """This data directory's owner id, made on first use and the same ever after."""
    path = owner_file()
    for _ in range(5):
        try:
            text: str | None = path.read_text(encoding="ascii", errors="replace").strip()
        except FileNotFoundError:
            try:
                made = _create(path)
            except OSError:
                break
            if made is not None:
                return made
            continue
        except (OSError, ValueError):
            text = None
        if text is not None and _VALID.fullmatch(text):
            return text
        _set_aside(path)
    return _derived(path)


def _set_aside(path: Path) -> None:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}-{secrets.token_hex(2)}")
    try:
        os.replace(path, aside)
    except OSError:
        return  # another process set it aside first, or it cannot be moved: read again
    # Another process may have replaced the bad file with a good id just before: put it back.
    with contextlib.suppress(OSError, ValueError):
        if _VALID.fullmatch(aside.read_text(encoding="ascii").strip()):
            os.link(aside, path)
            aside.unlink()


def _create(path: Path) -> str | None:
    """Write a new id; None when another process linked its own first (then read theirs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new = secrets.token_hex(8)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        with open(tmp, "x", encoding="ascii") as f:
            f.write(new + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return None
    finally:
        tmp.unlink(missing_ok=True)
    return new


def _derived(path: Path) -> str:
    where = f"{os.getuid() if hasattr(os, 'getuid') else 0}:{path.parent.resolve()}"
    return hashlib.sha256(where.encode()).hexdigest()[:16]
