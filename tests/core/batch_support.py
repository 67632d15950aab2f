"""Shared helpers for the tests that drive a batch system directly (single_machine and its local-job
support): configs, job descriptions, collecting updates, and gated shell jobs.

A :class:`ShellGate` job records when it started, then waits for the test to open the gate, then records
when it ended. Tests wait for "N jobs started" with a deadline instead of sleeping, and after the run
compute how many jobs really ran at once from the recorded intervals instead of timing the whole batch.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from toil_core.common.config import Config
from toil_core.workflow.options import get_default_options
from toil_core.job.description import JobDescription

import pytest

MiB = 1024 * 1024
PYTHON = sys.executable
GiB = 1024 * MiB


def make_config(tmp_path: Path, **overrides: Any) -> Config:
    """A full default Config for a job store under ``tmp_path``, with ``workDir`` = ``tmp_path``."""
    options = get_default_options(str(tmp_path / "js"))
    options.workDir = str(tmp_path)
    for key, value in overrides.items():
        setattr(options, key, value)
    config = Config()
    config.setOptions(options)
    return config


def desc(cores: float = 1, memory: int = 10 * MiB, disk: int = 10 * MiB, name: str = "job",
         **kwargs: Any) -> JobDescription:
    return JobDescription(jobName=name, cores=cores, memory=memory, disk=disk, **kwargs)


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.02) -> Any:
    """Poll ``predicate`` until it is truthy; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def wait_all(system: Any, count: int, timeout: float = 30) -> List[Any]:
    """The next ``count`` updates of ``system``; fails if they do not all arrive within ``timeout``."""
    results: List[Any] = []
    deadline = time.monotonic() + timeout
    while len(results) < count and time.monotonic() < deadline:
        update = system.getUpdatedBatchJob(1)
        if update is not None:
            results.append(update)
    assert len(results) == count, f"only {len(results)} of {count} jobs finished: {results}"
    return results


def pid_gone(pid: int) -> bool:
    """Whether process ``pid`` no longer exists (or is a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True
    return state in ("Z", "X")


class ShellGate:
    """Shell jobs that hold until :meth:`open` and record their start and end times (nanoseconds)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def command(self, name: object) -> str:
        """A command for job ``name``: note the start, wait for the gate, note the end."""
        d = self.directory
        return (f"date +%s%N > {d}/start.{name}.tmp && mv {d}/start.{name}.tmp {d}/start.{name}; "
                f"while [ ! -e {d}/open ]; do sleep 0.02; done; "
                f"date +%s%N > {d}/end.{name}.tmp && mv {d}/end.{name}.tmp {d}/end.{name}")

    def started(self) -> List[str]:
        return sorted(p.name.split(".", 1)[1] for p in self.directory.glob("start.*") if not p.name.endswith(".tmp"))

    def wait_started(self, count: int, timeout: float = 30) -> List[str]:
        """Wait until at least ``count`` jobs have started; the names of those that have."""
        return wait_for(lambda: len(self.started()) >= count and self.started(), timeout,
                        f"{count} gated jobs to start (started: {self.started()})")

    def open(self) -> None:
        (self.directory / "open").touch()

    def intervals(self) -> List[Tuple[int, int]]:
        """(start, end) of every job that ran to its end."""
        out = []
        for start in self.directory.glob("start.*"):
            if start.name.endswith(".tmp"):
                continue
            end = self.directory / ("end." + start.name.split(".", 1)[1])
            if end.exists():
                out.append((int(start.read_text()), int(end.read_text())))
        return out

    def max_overlap(self) -> int:
        """The largest number of recorded jobs that were running at the same moment."""
        spans = self.intervals()
        return max((sum(1 for s, e in spans if s <= t < e) for t, _ in spans), default=0)


def read_pid(path: Path, timeout: float = 10) -> int:
    """The process id a job wrote to ``path`` (``echo $$ > path``), waiting for it to appear."""
    text = wait_for(lambda: path.exists() and path.read_text().strip(), timeout, f"a pid in {path}")
    return int(text)


__all__ = ["GiB", "MiB", "ShellGate", "desc", "make_config", "pid_gone", "read_pid", "result_of", "run_script",
           "wait_all", "wait_for"]


def run_script(directory: Path, source: str, *args: Any, timeout: float = 240, name: str = "wf.py",
               cwd: Optional[Path] = None, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    """Write ``source`` (dedented) to ``directory``/``name`` and run it with ``args`` (from ``cwd``,
    default ``directory``; ``env`` added to the environment) in its own session (killed with its
    whole group at the end or on timeout)."""
    extra_env = env
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / name
    script.write_text(textwrap.dedent(source))
    tmp = directory / "tmp"
    tmp.mkdir(exist_ok=True)
    env = dict(os.environ)
    for var in ("TOIL_WORKDIR", "TOIL_COORDINATION_DIR"):
        env.pop(var, None)
    env.update({"TMPDIR": str(tmp), "PYTHONUNBUFFERED": "1"})
    env["PATH"] = os.path.dirname(PYTHON) + os.pathsep + env.get("PATH", "")
    env.update(extra_env or {})
    proc = subprocess.Popen([PYTHON, str(script), *map(str, args)], cwd=str(cwd or directory), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"script timed out\n{out[-3000:]}\n{err[-6000:]}")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def result_of(proc: subprocess.CompletedProcess) -> Any:
    """The JSON after the last ``RESULT `` line of the script's output."""
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise AssertionError(f"no RESULT line (exit {proc.returncode})\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")


def count_job_loads(store: Any, monkeypatch: pytest.MonkeyPatch) -> List[str]:
    """Record the ID of every job ``store.load_job`` reads from now on (the list grows as it reads)."""
    loads: List[str] = []
    real = store.load_job

    def load_job(job_id: str) -> JobDescription:
        loads.append(job_id)
        return real(job_id)

    monkeypatch.setattr(store, "load_job", load_job)
    return loads


def locator_file_store(tmp_path: Path) -> Iterator[Any]:
    """A ``file:`` store at ``tmp_path/js`` made through its locator, initialized with a minimal config
    (workDir ``tmp_path/work``), destroyed after. Modules use it as their ``store`` fixture with
    ``store = pytest.fixture(name="store")(locator_file_store)``."""
    from toil_core.jobstores.locator import make_job_store
    from toil_core.testing import make_config as minimal_config

    made = make_job_store(f"file:{tmp_path / 'js'}")
    made.initialize(minimal_config(tmp_path / "work"))
    yield made
    made.destroy()
