"""A tiny stand-in for an external scheduler: a spool directory and detached runner processes.

The example_spool batch system talks to it the way a real backend talks to Slurm or a cloud
queue: ``submit`` returns an ID at once, ``query`` answers for many jobs in one call, ``kill``
stops jobs by ID. Each submitted job gets a folder ``<spool>/<id>/``; a runner process (in its
own session, so it outlives nothing it should not) runs the job's command and, when it ends,
writes ``status`` (the exit code; minus the signal number for a job killed by a signal) and
``elapsed`` (seconds) there. Replace this module with the client of your scheduler.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

#: A job's state as the spool reports it: ("pending" | "running" | "done", exit code, elapsed).
State = Tuple[str, Optional[int], Optional[float]]


class Spool:
    """Submits commands to runner processes that record their outcome under ``root``."""

    def __init__(self, root: str, shell: str = "/bin/sh") -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.shell = shell

    def submit(self, command: str, environment: Mapping[str, str]) -> str:
        """Start ``command`` under a runner; the job's ID."""
        job_id = uuid.uuid4().hex[:12]
        folder = self.root / job_id
        folder.mkdir()
        env = dict(os.environ)
        env.update(environment)
        runner = subprocess.Popen([sys.executable, "-m", "toil_plugin_example.spool", str(folder), self.shell, command],
                                  env=env, start_new_session=True, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        (folder / "pid").write_text(str(runner.pid))
        return job_id

    def query(self, job_ids: List[str]) -> Dict[str, State]:
        """The state of each job the spool knows (a job whose runner vanished is left out)."""
        states: Dict[str, State] = {}
        for job_id in job_ids:
            folder = self.root / job_id
            status = folder / "status"
            if status.exists():
                elapsed = folder / "elapsed"
                states[job_id] = ("done", int(status.read_text()),
                                  float(elapsed.read_text()) if elapsed.exists() else None)
            elif _alive(folder):
                states[job_id] = ("running", None, None)
            elif not (folder / "pid").exists() and folder.is_dir():
                states[job_id] = ("pending", None, None)
        return states

    def kill(self, job_ids: List[str]) -> None:
        """Stop the jobs (their runners and everything they started)."""
        for job_id in job_ids:
            pid = _pid(self.root / job_id)
            if pid is not None:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass


def _pid(folder: Path) -> Optional[int]:
    try:
        return int((folder / "pid").read_text())
    except (OSError, ValueError):
        return None


def _alive(folder: Path) -> bool:
    pid = _pid(folder)
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not reaped yet) is not running
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _run(folder: str, shell: str, command: str) -> None:
    """The runner: run the command, then record its exit code and run time atomically."""
    started = time.monotonic()
    code = subprocess.call([shell, "-c", command])
    for name, value in (("elapsed", f"{time.monotonic() - started:.3f}"), ("status", str(code))):
        partial = os.path.join(folder, f".{name}.tmp")
        with open(partial, "w") as handle:
            handle.write(value)
        os.replace(partial, os.path.join(folder, name))


if __name__ == "__main__":
    _run(*sys.argv[1:4])
