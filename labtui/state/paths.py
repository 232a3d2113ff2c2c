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


def labs_dir() -> Path:
    return data_dir() / "labs"


def lab_dir(scenario_id: str) -> Path:
    """The learner's working folder for one scenario (shell handoff starts here)."""
    return labs_dir() / scenario_id


def sessions_dir() -> Path:
    return data_dir() / "sessions"


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
