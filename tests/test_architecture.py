"""Textual stays inside labtui/ui/: every other module imports without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "labtui"


def domain_modules() -> list[str]:
    mods = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = rel.parts
        if "ui" in parts[:2] or parts[-1] == "__main__":
            continue
        mods.append(".".join(p for p in parts if p != "__init__"))
    return mods


def test_there_are_domain_modules() -> None:
    assert "labtui.engine.session" in domain_modules()
    assert "labtui.cli" in domain_modules()


@pytest.mark.parametrize("module", domain_modules())
def test_module_does_not_import_textual(module: str) -> None:
    code = f"import sys, {module}; bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]; print(bad); sys.exit(1 if bad else 0)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{module} imports textual: {proc.stdout}{proc.stderr}"
