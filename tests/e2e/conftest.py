"""Fixtures for the end-to-end acceptance tests.

Every test runs an unchanged Toil workflow script (the examples of the Toil 5.10
manual, stored in ``tests/e2e/scripts``) as a subprocess, exactly as a user would:
``python <script> <jobstore> [options]``, with the working directory set to a
fresh temporary directory.

Environment knobs:

``TOIL_E2E_PYTHON``
    Interpreter used to run the scripts (default: the interpreter running
    pytest).  Point it at another virtualenv to check the scripts and the
    expected outputs against a different Toil installation.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable, Optional, Union

import pytest

SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"

#: Name of the directory (inside the test's tmp_path) used as TMPDIR for the
#: scripts.  The manual's examples create their job store with
#: ``tempfile.mkdtemp(...)``; pointing TMPDIR here keeps those job stores inside
#: the test's own directory so tests can check that they were cleaned up.
TMPDIR_NAME = "tmpdir"


def python_interpreter() -> str:
    """The interpreter that runs the workflow scripts."""
    return os.environ.get("TOIL_E2E_PYTHON") or sys.executable


def toil_cli() -> Path:
    """The ``toil`` command installed next to the interpreter that runs the scripts."""
    return Path(python_interpreter()).parent / "toil"


def _kill_process_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def workflow_env(cwd: Union[str, os.PathLike], extra: Optional[dict] = None) -> dict:
    """Environment for a workflow (or ``toil`` utility) run from ``cwd``."""
    tmpdir = Path(cwd) / TMPDIR_NAME
    tmpdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["TMPDIR"] = str(tmpdir)
    env["PYTHONUNBUFFERED"] = "1"
    # Like a user with the virtualenv activated: the interpreter's bin directory
    # (holding ``toil``, ``_toil_worker``...) comes first on PATH.
    bin_dir = str(Path(python_interpreter()).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    # Don't let the developer's Toil settings leak into the runs.
    for var in ("TOIL_WORKDIR", "TOIL_COORDINATION_DIR"):
        env.pop(var, None)
    if extra:
        env.update(extra)
    return env


def _run(
    script: Union[str, os.PathLike],
    *args: Union[str, os.PathLike],
    cwd: Union[str, os.PathLike],
    timeout: float = 300,
    env: Optional[dict] = None,
    copy: bool = True,
) -> subprocess.CompletedProcess:
    """Run ``script`` with the workflow interpreter inside ``cwd``.

    ``script`` is either the file name of one of the bundled scripts (it is then
    copied into ``cwd`` and run from there as ``python <name>``, like a user who
    downloaded the example) or a path to an existing script (run in place).
    """
    cwd = Path(cwd)
    cwd.mkdir(parents=True, exist_ok=True)
    script_path = Path(script)
    if not script_path.is_absolute() and script_path.parent == Path("."):
        source = SCRIPTS_DIR / script_path.name
        if copy:
            target = cwd / script_path.name
            if not target.exists():
                shutil.copyfile(source, target)
            script_arg = script_path.name
        else:
            script_arg = str(source)
    else:
        script_arg = str(script_path)

    full_env = workflow_env(cwd, env)
    cmd = [python_interpreter(), script_arg, *map(str, args)]
    return run_command(cmd, cwd=cwd, timeout=timeout, env=full_env)


def run_command(
    cmd: list,
    *,
    cwd: Union[str, os.PathLike],
    timeout: float = 300,
    env: Optional[dict] = None,
) -> subprocess.CompletedProcess:
    """Run ``cmd`` (text mode, output captured); on timeout kill its whole process group and fail."""
    cmd = [str(c) for c in cmd]
    proc = subprocess.Popen(
        cmd,
        cwd=str(cwd),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so that a timeout can kill the leader *and* its workers
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_process_group(proc)
        stdout, stderr = proc.communicate()
        pytest.fail(
            f"{' '.join(cmd)} did not finish within {timeout} s\n"
            f"--- stdout ---\n{stdout[-5000:]}\n--- stderr ---\n{stderr[-10000:]}"
        )
    finally:
        # Make sure no stray worker survives the leader.
        if proc.poll() is not None:
            _kill_process_group(proc)
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def describe(proc: subprocess.CompletedProcess, limit: int = 8000) -> str:
    """Human-readable summary of a finished run, for assertion messages."""
    return (
        f"command: {' '.join(map(str, proc.args))}\n"
        f"exit code: {proc.returncode}\n"
        f"--- stdout (tail) ---\n{proc.stdout[-limit:]}\n"
        f"--- stderr (tail) ---\n{proc.stderr[-limit:]}"
    )


@pytest.fixture
def run_script(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess]:
    """``run_script(script_name, *args, cwd=tmp_path, timeout=300)`` -> CompletedProcess (text).

    The script is copied into ``cwd`` and run as ``python <script_name> *args``.
    """

    def runner(script_name, *args, cwd=None, timeout=300, env=None, copy=True):
        return _run(
            script_name,
            *args,
            cwd=tmp_path if cwd is None else cwd,
            timeout=timeout,
            env=env,
            copy=copy,
        )

    return runner


@pytest.fixture(scope="session")
def script_runner() -> Callable[..., subprocess.CompletedProcess]:
    """Session-scoped variant of ``run_script`` for module-scoped fixtures (``cwd`` is required)."""
    return _run


def _run_toil(*args, cwd, timeout: float = 300, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """Run the ``toil`` utility (``toil stats``, ``toil clean``...) installed next to the interpreter."""
    return run_command([toil_cli(), *args], cwd=cwd, timeout=timeout, env=workflow_env(cwd, env))


@pytest.fixture(scope="session")
def toil_command() -> Callable[..., subprocess.CompletedProcess]:
    """``toil_command(*args, cwd=..., timeout=300)``: run the ``toil`` command-line utility."""
    return _run_toil


@pytest.fixture(scope="session")
def toil_cli_path() -> Path:
    """Where the ``toil`` utility of the installation under test should be."""
    return toil_cli()


@pytest.fixture
def jobstore(tmp_path: Path) -> str:
    """A job store location (plain path, i.e. a file job store) that does not exist yet."""
    return str(tmp_path / "jobstore")
