"""Where labtui keeps its files: ``LABTUI_DATA_DIR`` or the platform's user data dir."""

from __future__ import annotations

import getpass
import os
import re
from pathlib import Path

from labtui.names import DATA_DIR_ENV


def data_dir() -> Path:
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path("labtui", appauthor=False)


# The learner named for this run (``--learner``, or who the cluster says you are on a
# shared cluster's context), when it is not the OS user: their labs, lab records,
# shells and Docker owner id live apart, so learners sharing one OS account never
# share a lab folder or each other's containers.
_learner: list[str | None] = [None]


def use_learner(name: str | None) -> None:
    """Keep this run's labs under ``learners/<name>/`` (None, or the OS user: the data dir)."""
    _learner[0] = safe_name(name) if name and safe_name(name) != default_learner() else None


def learner_dir() -> Path:
    """Where the current learner's labs, records and owner id live."""
    name = _learner[0]
    return data_dir() / "learners" / name if name else data_dir()


def labs_dir() -> Path:
    return learner_dir() / "labs"


def lab_dir(scenario_id: str) -> Path:
    """The learner's working folder for one scenario (shell handoff starts here)."""
    return labs_dir() / scenario_id


def sessions_dir() -> Path:
    return learner_dir() / "sessions"


def default_learner() -> str:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "learner"
    return safe_name(name)


def safe_name(name: str) -> str:
    """A learner name usable in a file name."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")
    return cleaned[:64] or "learner"
