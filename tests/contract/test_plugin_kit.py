"""Issue item 7: the plugin template works as a third party would use it, with no change to
toil_core: copy it, rename it, pip install it, see it listed, run a workflow on it and run its
own contract tests.

The copy is installed with ``pip install --target`` into a temporary folder put on PYTHONPATH of
the subprocesses, rather than into the shared dev venv: the same build and the same metadata and
entry points, but other test runs using the venv at the same time never see the extra plugin,
and "uninstalling" is deleting the folder.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from toil_core.testing import run_tiny_workflow, subprocess_env

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "plugins" / "template"
RENAMES = [("toil-plugin-example", "toil-plugin-renamed"), ("toil_plugin_example", "toil_plugin_renamed"),
           ("example_local", "renamed_local"), ("exampleLocal", "renamedLocal"), ("example_spool", "renamed_spool")]


def copy_and_rename(destination: Path) -> Path:
    shutil.copytree(TEMPLATE, destination, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__", "build"))
    (destination / "src" / "toil_plugin_example").rename(destination / "src" / "toil_plugin_renamed")
    for path in destination.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".toml", ".md"):
            text = path.read_text()
            for old, new in RENAMES:
                text = text.replace(old, new)
            path.write_text(text)
    return destination


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("plugin-kit")
    source = copy_and_rename(work / "toil-plugin-renamed")
    target = work / "site"
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-cache-dir",
               "--target", str(target), str(source)]
    # Fast path: build with the venv's setuptools. Older setuptools need the wheel package for
    # that; then let pip build in an isolated environment (fetches setuptools).
    result = subprocess.run(command[:4] + ["--no-build-isolation"] + command[4:], capture_output=True, text=True,
                            timeout=600)
    if result.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    env = subprocess_env({"PYTHONPATH": str(target) + ":" + subprocess_env()["PYTHONPATH"]})
    yield source, target, env
    shutil.rmtree(target, ignore_errors=True)  # the uninstall


def test_the_template_itself_is_untouched_and_uninstalled():
    assert (TEMPLATE / "src" / "toil_plugin_example" / "plugin.py").is_file()
    from toil_core.plugins.registry import installed_names

    assert "example_local" not in installed_names("batch_system")


def test_the_renamed_plugin_is_listed(installed):
    _source, target, env = installed
    result = subprocess.run([sys.executable, "-m", "toil_core.cli.main", "plugins", "list"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    line = next(row for row in result.stdout.splitlines() if row.startswith("renamed_local"))
    assert "toil-plugin-renamed" in line and "batch_system" in line
    show = subprocess.run([sys.executable, "-m", "toil_core.cli.main", "plugins", "show", "renamed_local"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert show.returncode == 0 and "example_max_parallel" in show.stdout, show.stdout + show.stderr


def test_a_workflow_runs_on_it(installed, tmp_path):
    _source, _target, env = installed
    result = run_tiny_workflow(tmp_path, "renamed_local", extra_args=["--exampleMaxParallel", "2"], env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tiny workflow result: 42" in result.stdout


def test_a_workflow_runs_on_its_submit_and_poll_backend(installed, tmp_path):
    """The template's second batch system subclasses SubmitAndPollBatchSystem (its scheduler is
    a spool of detached runners): a workflow runs on it as on any scheduler."""
    _source, _target, env = installed
    result = run_tiny_workflow(tmp_path, "renamed_spool", extra_args=["--statePollingWait", "0.2"], env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tiny workflow result: 42" in result.stdout


def test_its_help_shows_its_settings(installed, tmp_path):
    _source, _target, env = installed
    code = "import sys; from toil_core.testing.tiny_workflow import main; sys.exit(main())"
    result = subprocess.run([sys.executable, "-c", code, "--batchSystem", "renamedLocal", "--help"], cwd=tmp_path,
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Options of the renamed_local batch system" in result.stdout
    assert "--exampleMaxParallel" in result.stdout and "TOIL_EXAMPLE_MAX_PARALLEL" in result.stdout


@pytest.mark.slow
def test_its_own_contract_tests_pass(installed):
    source, _target, env = installed
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(source / "tests")],
                            cwd=source, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
