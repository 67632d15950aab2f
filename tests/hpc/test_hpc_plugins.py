"""toil-hpc as a plugin: what ``toil plugins list`` shows, the message when it is missing or
disabled, and its options on the workflow command line. No scheduler is needed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
TUTORIAL = REPO / "tests" / "e2e" / "scripts" / "tutorial_multiplejobs.py"
HPC = {"slurm", "grid_engine", "htcondor", "torque", "lsf"}


@pytest.fixture(autouse=True)
def _isolated_options() -> Any:
    """Parsing with --batchSystem registers the backend's options on Config; undo that."""
    from toil_core.common.config import Config

    registered = dict(Config._extra_options)
    yield
    Config._extra_options.clear()
    Config._extra_options.update(registered)


def _toil(*args: str, env: dict = None) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, "-m", "toil_core.cli.main", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_toil_plugins_list_shows_the_five_batch_systems() -> None:
    proc = _toil("plugins", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {(p["name"], p["kind"]): p for p in json.loads(proc.stdout)["plugins"]}
    for name in HPC:
        row = rows[(name, "batch_system")]
        assert row["distribution"] == "toil-hpc" and row["status"] in ("installed", "loaded", "ok"), row
    table = _toil("plugins", "list").stdout
    assert all(name in table for name in HPC)


def test_toil_plugins_check_loads_each_one() -> None:
    for name in sorted(HPC):
        proc = _toil("plugins", "check", name)
        assert proc.returncode == 0 and "ok" in proc.stdout, proc.stdout + proc.stderr


def test_toil_plugins_show_prints_each_setting_readably() -> None:
    """Flag, environment variable, type, default and help; no attrs reprs (issue 12, part 6)."""
    proc = _toil("plugins", "show", "slurm")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    block = out[out.index("  --slurmArgs"):].split("\n  --", 1)[0]
    assert "environment: TOIL_SLURM_ARGS" in block
    assert "type: str" in block
    assert 'default: ""' in block
    assert "help: Extra sbatch arguments" in block
    assert "SettingInfo(" not in out and "toil_setting" not in out and "Factory(" not in out


def test_registry_without_the_cli() -> None:
    from toil_core.plugins.registry import list_plugins

    found = {p.name for p in list_plugins("batch_system") if p.distribution == "toil-hpc"}
    assert found == HPC


_WITHOUT_TOIL_HPC = """
import runpy, sys
import toil_core.plugins.metadata as metadata
scan = metadata.scan
metadata.scan = lambda: tuple(r for r in scan() if r.distribution != "toil-hpc")
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_missing_toil_hpc_says_how_to_install_it(tmp_path: Path) -> None:
    """As if toil-hpc were not installed (its entry points hidden from discovery)."""
    proc = subprocess.run([sys.executable, "-c", _WITHOUT_TOIL_HPC, str(TUTORIAL), f"file:{tmp_path / 'js'}",
                           "--batchSystem", "slurm"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode != 0
    assert "Batch system 'slurm' is not installed" in proc.stderr, proc.stderr
    assert "pip install 'toil-core[hpc]'" in proc.stderr and "toil-hpc" in proc.stderr, proc.stderr


def test_disabled_toil_hpc_is_reported(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(TUTORIAL), f"file:{tmp_path / 'js'}", "--batchSystem", "gridEngine"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "TOIL_DISABLE_PLUGINS": "toil-hpc"})
    assert proc.returncode != 0
    assert "disabled by TOIL_DISABLE_PLUGINS" in proc.stderr, proc.stderr


def test_settings_come_from_flags_or_upstream_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    from toil.job import Job
    from toil_core.plugins.settings import settings_from
    from toil_hpc.settings import GridEngineSettings, SlurmSettings

    monkeypatch.setenv("TOIL_SLURM_ARGS", "--qos=from-env")
    monkeypatch.setenv("TOIL_SLURM_PE", "multicore")
    options = Job.Runner.getDefaultArgumentParser().parse_args(
        ["file:/tmp/unused", "--batchSystem", "slurm", "--slurmArgs=--qos=from-flag"])
    settings = settings_from(options, SlurmSettings)
    assert (settings.slurm_args, settings.slurm_pe) == ("--qos=from-flag", "multicore")
    monkeypatch.delenv("TOIL_GRIDENGINE_PE", raising=False)
    assert settings_from(None, GridEngineSettings).grid_engine_pe == "smp"


def test_help_shows_the_chosen_batch_systems_options() -> None:
    proc = subprocess.run([sys.executable, str(TUTORIAL), "--batchSystem", "slurm", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "--slurmArgs" in proc.stdout and "TOIL_SLURM_ARGS" in proc.stdout
