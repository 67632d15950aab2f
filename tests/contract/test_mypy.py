"""mypy is clean on every distribution's package, with the settings of the root pyproject.toml.

The modules still excluded (``ignore_errors``) are listed there; the plugin API is checked with
the strict flags. ``python3 dev.py lint`` runs the same check.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_mypy_is_clean(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("mypy")
    if not exe.exists():
        pytest.fail("mypy is not installed: run `python3 dev.py setup` (it is a test requirement)")
    done = subprocess.run([str(exe), "--cache-dir", str(tmp_path / "mypy-cache")], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout


def test_the_plugin_api_is_checked_strictly() -> None:
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        tomllib = pytest.importorskip("tomli")
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    overrides = config.get("overrides", [])
    ignored = {m for o in overrides if o.get("ignore_errors") for m in o["module"]}
    strict = [o for o in overrides if "toil_core.plugin_api" in o["module"]]
    assert "toil_core.plugin_api" not in ignored
    assert strict and strict[0].get("disallow_untyped_defs") and strict[0].get("disallow_any_generics")
