"""Helpers for the leader/worker end-to-end tests: run a workflow script as a user would.

The scripts in this directory are ordinary Toil workflows (``from toil.job import Job``); the tests
start them as subprocesses (``python script JOBSTORE [options]``) and look at what the jobs wrote
to files outside the job store (lines appended to ``events.log`` in an ``--out`` directory).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

WORKFLOWS = Path(__file__).resolve().parent

#: Options that keep the leader's periodic checks quick in tests.
FAST = ["--rescueJobsFrequency", "1", "--kill_polling_interval", "1", "--servicePollingInterval", "1",
        "--deadlockWait", "2", "--deadlockCheckInterval", "1"]


def workflow_env(tmp_path: Path, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment for a workflow run: private TMPDIR, unbuffered output, no stray settings."""
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["TMPDIR"] = str(tmpdir)
    env["PYTHONUNBUFFERED"] = "1"
    for var in ("TOIL_WORKDIR", "TOIL_COORDINATION_DIR", "TOIL_WORKDIR_OVERRIDE",
                "TOIL_COORDINATION_DIR_OVERRIDE"):
        env.pop(var, None)
    if extra:
        env.update(extra)
    return env


def command(script: "str | Path", job_store: "str | Path", *args: object) -> List[str]:
    path = Path(script)
    if not path.is_absolute():
        path = WORKFLOWS / path
    return [sys.executable, str(path), str(job_store), *[str(a) for a in args]]


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run(script: "str | Path", job_store: "str | Path", *args: object, tmp_path: Path,
        timeout: float = 60, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    """Run a workflow to the end; its own session, so a hung run can be killed completely."""
    proc = subprocess.Popen(command(script, job_store, *args), cwd=str(tmp_path), env=env or workflow_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
        raise AssertionError(f"workflow timed out after {timeout} s\n--- stdout\n{out[-4000:]}\n--- stderr\n{err[-8000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def start(script: "str | Path", job_store: "str | Path", *args: object, tmp_path: Path,
          env: Optional[Dict[str, str]] = None, **popen: object) -> subprocess.Popen:
    """Start a workflow in the background, in a new session (kill it with :func:`kill_group`).

    Output goes to pipes unless given: use :func:`start_to_files` when the leader may be killed,
    as orphaned job processes keep those pipes open.
    """
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    popen.setdefault("text", True)
    return subprocess.Popen(command(script, job_store, *args), cwd=str(tmp_path), env=env or workflow_env(tmp_path),
                            start_new_session=True, **popen)


def start_to_files(script: "str | Path", job_store: "str | Path", *args: object, tmp_path: Path,
                   name: str = "leader") -> subprocess.Popen:
    """Like :func:`start`, with stdout/stderr in ``tmp_path/NAME.out`` and ``NAME.err``."""
    with open(tmp_path / f"{name}.out", "w") as out, open(tmp_path / f"{name}.err", "w") as err:
        return start(script, job_store, *args, tmp_path=tmp_path, stdout=out, stderr=err)


def describe(proc: subprocess.CompletedProcess, limit: int = 8000) -> str:
    return (f"exit code: {proc.returncode}\n--- stdout (tail)\n{proc.stdout[-limit:]}\n"
            f"--- stderr (tail)\n{proc.stderr[-limit:]}")


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, "workflow failed\n" + describe(proc)
    return proc


def events(out: Path, name: str = "events.log") -> List[List[str]]:
    """The lines jobs appended to ``out/name``, split into fields (in the order written)."""
    path = Path(out) / name
    if not path.exists():
        return []
    return [line.split() for line in path.read_text().splitlines() if line.strip()]


def names(evts: Sequence[Sequence[str]], kind: str) -> List[str]:
    """The second field of every event whose first field is ``kind`` ("start A ..." -> "A")."""
    return [e[1] for e in evts if e and e[0] == kind]


def index(evts: Sequence[Sequence[str]], kind: str, name: str) -> int:
    for i, e in enumerate(evts):
        if len(e) >= 2 and e[0] == kind and e[1] == name:
            return i
    raise AssertionError(f"no '{kind} {name}' event in {evts}")


def wait_for(predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.05) -> object:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def pid_alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def result_line(proc: subprocess.CompletedProcess, prefix: str = "RESULT:") -> str:
    for line in proc.stdout.splitlines():
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    raise AssertionError(f"no {prefix!r} line on stdout\n" + describe(proc))


# ------------------------------------------------------------------ scripts written by the test itself
def cli_env(base: Path, path: Optional[str] = None) -> Dict[str, str]:
    """The environment for a script or ``toil`` command run in ``base``: a private TMPDIR
    (``base/tmp``, also the coordination directory), no stray Toil settings; ``path`` replaces PATH."""
    env = dict(os.environ)
    (base / "tmp").mkdir(exist_ok=True)
    env["TMPDIR"] = str(base / "tmp")
    for var in ("TOIL_WORKDIR", "TOIL_COORDINATION_DIR", "TOIL_DISABLE_PLUGINS", "TOIL_WORKDIR_OVERRIDE",
                "TOIL_COORDINATION_DIR_OVERRIDE"):
        env.pop(var, None)
    if path is not None:
        env["PATH"] = path
    return env


def write_script(base: Path, source: str, name: str = "workflow.py") -> Path:
    """Write a workflow script (dedented ``source``) into ``base``."""
    script = base / name
    script.write_text(textwrap.dedent(source))
    return script


def run_source(base: Path, source: str, *options: str, store: str = "js",
               timeout: float = 240) -> subprocess.CompletedProcess:
    """Run the workflow ``source`` in ``base`` with job store ``store`` and ``options``, to its end."""
    return subprocess.run([sys.executable, str(write_script(base, source)), store, *options], cwd=str(base),
                          env=cli_env(base), capture_output=True, text=True, timeout=timeout, check=False)


def toil_cli(base: Path, *args: str, path: Optional[str] = None, timeout: float = 240) -> subprocess.CompletedProcess:
    """Run the ``toil`` command (``toil_core.cli.main``) in ``base``."""
    return subprocess.run([sys.executable, "-m", "toil_core.cli.main", *args], cwd=str(base),
                          env=cli_env(base, path), capture_output=True, text=True, timeout=timeout, check=False)
