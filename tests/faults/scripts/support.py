"""Helpers shared by the job store fault, bad input and security tests (not a workflow script).

Runs the workflow scripts of this directory as subprocesses, and takes snapshots of a job
store so a test can prove that a refused or failed run changed (and lost) nothing.
"""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

SCRIPTS = Path(__file__).resolve().parent
#: Files of a job store that record who ran it last rather than workflow data.
NOT_DATA = ("shared/leader.lock",)


def script_env(tmp: Path, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """A private TMPDIR and none of the TOIL_* location variables of the caller."""
    env = dict(os.environ)
    (tmp / "tmpdir").mkdir(parents=True, exist_ok=True)
    env["TMPDIR"] = str(tmp / "tmpdir")
    env["PYTHONUNBUFFERED"] = "1"
    for var in ("TOIL_WORKDIR", "TOIL_COORDINATION_DIR", "TOIL_WORKDIR_OVERRIDE",
                "TOIL_COORDINATION_DIR_OVERRIDE"):
        env.pop(var, None)
    env.update(extra or {})
    return env


def command(script: str, args: Sequence[object]) -> List[str]:
    return [sys.executable, str(SCRIPTS / script), *[str(a) for a in args]]


def run_script(script: str, args: Sequence[object], tmp: Path, timeout: float = 120,
               env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    """Run a script of this directory to its end (in its own session, killed on timeout)."""
    proc = subprocess.Popen(command(script, args), cwd=str(tmp), env=env or script_env(tmp),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_session(proc)
        out, err = proc.communicate()
        raise AssertionError(f"{script} timed out after {timeout} s\n{out[-3000:]}\n{err[-5000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def kill_session(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal the process group of a process started with ``start_new_session``."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def describe(proc: subprocess.CompletedProcess) -> str:
    return (f"exit code {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}\n"
            f"--- stderr\n{proc.stderr[-6000:]}")


def without_source_lines(text: str) -> str:
    """Output without the indented source lines of tracebacks, which quote the code building a
    message rather than the message itself."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("    "))


def snapshot(path: Path, skip: Iterable[str] = NOT_DATA) -> Dict[str, str]:
    """Every entry under ``path`` (or ``path`` itself) with a hash of its content and its mode."""
    if path.is_file():
        return {".": hashlib.sha256(path.read_bytes()).hexdigest()}
    skipped = set(skip)
    found: Dict[str, str] = {}
    for item in sorted(path.rglob("*")):
        rel = str(item.relative_to(path))
        if rel in skipped:
            continue
        if item.is_file() and not item.is_symlink():
            found[rel] = f"{hashlib.sha256(item.read_bytes()).hexdigest()} {oct(item.stat().st_mode)}"
        else:
            found[rel] = "dir" if item.is_dir() else "other"
    return found


def result_line(proc: subprocess.CompletedProcess) -> str:
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT:"):
            return line[len("RESULT:"):].strip()
    raise AssertionError("no RESULT line\n" + describe(proc))
