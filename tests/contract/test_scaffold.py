"""`toil plugins new batch_system NAME` writes a plugin that works out of the box: installed into a
fresh virtual environment (with toil-core from this checkout), it is listed, its own contract tests
pass and a workflow runs on it (issue 22 part 4)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _toil(*args: str, cwd: Path, python: str = sys.executable) -> subprocess.CompletedProcess:
    return subprocess.run([python, "-m", "toil_core.cli.main", *args], cwd=str(cwd), capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    """A new virtual environment holding toil-core (this checkout) and the scaffolded plugin."""
    base = tmp_path_factory.mktemp("scaffold")
    made = _toil("plugins", "new", "batch_system", "scaffolded", "--directory", str(base), cwd=base)
    assert made.returncode == 0, made.stdout + made.stderr
    polled = _toil("plugins", "new", "batch_system", "polled", "--shape", "submit_poll", "--directory", str(base),
                   cwd=base)
    assert polled.returncode == 0, polled.stdout + polled.stderr
    plugin = base / "toil-plugin-scaffolded"
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")
    install = subprocess.run([python, "-m", "pip", "install", "-q", "-e", str(REPO / "toil_core"), f"{plugin}[test]",
                              str(base / "toil-plugin-polled")],
                             capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    yield plugin, python
    shutil.rmtree(venv, ignore_errors=True)


def test_the_scaffold_refuses_a_built_in_name(tmp_path):
    proc = _toil("plugins", "new", "batch_system", "single_machine", "--directory", str(tmp_path), cwd=tmp_path)
    assert proc.returncode != 0
    assert "built-in batch system" in proc.stderr and "Traceback" not in proc.stderr
    assert not list(tmp_path.iterdir())


def test_the_scaffold_refuses_a_bad_name(tmp_path):
    proc = _toil("plugins", "new", "batch_system", "Not-A-Name", "--directory", str(tmp_path), cwd=tmp_path)
    assert proc.returncode != 0
    assert "lowercase letters, digits and underscores" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_the_installed_plugin_is_listed(fresh_venv, tmp_path):
    _plugin, python = fresh_venv
    proc = _toil("plugins", "list", cwd=tmp_path, python=python)
    assert proc.returncode == 0, proc.stderr
    row = next(line for line in proc.stdout.splitlines() if line.startswith("scaffolded "))
    assert "toil-plugin-scaffolded" in row and "entry point" in row


@pytest.mark.slow
def test_its_own_contract_tests_pass(fresh_venv):
    plugin, python = fresh_venv
    proc = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(plugin / "tests")],
                          cwd=str(plugin), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout


@pytest.mark.slow
def test_a_workflow_runs_on_it(fresh_venv, tmp_path):
    _plugin, python = fresh_venv
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONPATH", "TOIL_"))}
    code = "import sys; from toil_core.testing.tiny_workflow import main; sys.exit(main())"
    proc = subprocess.run([python, "-c", code, f"file:{tmp_path / 'js'}", "--batchSystem", "scaffolded",
                           "--scaffoldedShell", "/bin/bash"], cwd=str(tmp_path), env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    assert "tiny workflow result: 42" in proc.stdout


@pytest.mark.slow
def test_a_workflow_runs_on_the_submit_and_poll_shape(fresh_venv, tmp_path):
    """`--shape submit_poll` writes a SubmitAndPollBatchSystem subclass (its stand-in scheduler a
    spool of detached runners) that runs a workflow without the venv on PATH."""
    plugin, python = fresh_venv
    source = (plugin.parent / "toil-plugin-polled" / "src" / "toil_plugin_polled" / "batch_system.py").read_text()
    assert "class PolledBatchSystem(SubmitAndPollBatchSystem)" in source
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONPATH", "TOIL_"))}
    env["PATH"] = "/usr/bin:/bin"
    code = "import sys; from toil_core.testing.tiny_workflow import main; sys.exit(main())"
    proc = subprocess.run([python, "-c", code, f"file:{tmp_path / 'js'}", "--batchSystem", "polled",
                           "--statePollingWait", "0.2"], cwd=str(tmp_path), env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    assert "tiny workflow result: 42" in proc.stdout


def test_the_scaffold_refuses_an_unknown_shape(tmp_path):
    proc = _toil("plugins", "new", "batch_system", "oddly", "--shape", "round", "--directory", str(tmp_path),
                 cwd=tmp_path)
    assert proc.returncode == 2 and "invalid choice: 'round'" in proc.stderr
    assert not list(tmp_path.iterdir())
