"""``toil plugins new batch_system NAME``: write a working, installable batch-system plugin.

The package written here is complete: ``pip install ./toil-plugin-NAME`` makes
``--batchSystem NAME`` work, ``toil plugins list`` shows it, and its own tests (the contract suites
of :mod:`toil_core.testing`) pass out of the box. Its batch system runs jobs as local subprocesses
through :class:`~toil_core.batch.local_subprocess.LocalSubprocessBatchSystem`; replace
``job_argv`` (or the whole class) with your backend.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

from toil_core import __version__ as core_version
from toil_core.lib.errors import ToilError

from .reserved import reserved_owner

__all__ = ["KINDS_SUPPORTED", "SHAPES", "ScaffoldError", "new_plugin", "plugin_files"]

#: Kinds ``toil plugins new`` can write.
KINDS_SUPPORTED = ("batch_system",)
#: The shapes of batch system it can start from: jobs as local subprocesses, or jobs submitted
#: to an external scheduler that is polled (a small spool of detached runners stands in for it).
SHAPES = ("local", "submit_poll")


class ScaffoldError(ToilError, ValueError):
    """A name or destination ``toil plugins new`` cannot use (the message says why)."""


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _flag(name: str) -> str:
    parts = name.split("_")
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


def plugin_files(name: str, shape: str = "local") -> Dict[str, str]:
    """Relative path -> contents of the batch-system plugin package for ``name`` (``shape`` is
    one of :data:`SHAPES`)."""
    major = int(core_version.split(".")[0] or 1)
    package = f"toil_plugin_{name}"
    dist = f"toil-plugin-{name.replace('_', '-')}"
    cls = f"{_camel(name)}BatchSystem"
    settings = f"{_camel(name)}Settings"
    env = f"TOIL_{name.upper()}_SHELL"
    flag = f"--{_flag(name)}Shell"
    files = {
        "pyproject.toml": f'''[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "The {name} batch system for Toil"
requires-python = ">=3.9"
dependencies = ["toil-core>={major}.0,<{major + 1}"]

[project.optional-dependencies]
test = ["pytest>=7"]

[project.entry-points."toil.batch_systems"]
{name} = "{package}.plugin"

[tool.setuptools.packages.find]
where = ["src"]

[tool.setuptools.package-data]
{package} = ["py.typed"]
''',
        "README.md": f'''# {dist}

The `{name}` batch system for [Toil](https://toil.readthedocs.io/) workflows, written with
`toil plugins new batch_system {name}`.

    pip install .
    python my_workflow.py file:jobstore --batchSystem {name}
    toil plugins show {name}

As written, every job is a local subprocess run by `{flag}` (default `/bin/sh`), at most
`--maxCores` cores at once. Make it yours in `src/{package}/batch_system.py`: override `job_argv`
to start jobs differently (a container, a sandbox), or replace the class with your own
`BatchSystemSupport` subclass. Options live in `src/{package}/plugin.py`.

Test it with `pip install -e '.[test]' && pytest tests`: the contract suites every Toil batch
system passes (running jobs, exit codes and signals, kill, environment, `--maxCores`, a real
workflow run without the venv on PATH, packaging).
''',
        f"src/{package}/__init__.py": f'"""The {name} batch system for Toil."""\n',
        f"src/{package}/py.typed": "",
        f"src/{package}/plugin.py": f'''"""What Toil reads when `--batchSystem {name}` is asked for: the spec and the settings.

Keep this module light: it is imported during discovery (and for `--help`).
"""
import attrs

from toil_core.plugin_api import BatchSystemSpec, setting


@attrs.frozen
class {settings}:
    """Options of the {name} batch system ({flag}, ${env})."""

    {name}_shell: str = setting("/bin/sh", "The shell that runs each job's command.", flag="{flag}",
                                env="{env}")


def toil_batch_systems():
    return [BatchSystemSpec(name="{name}", load="{package}.batch_system:{cls}", settings={settings},
                            capabilities={{"walltime", "fractional_cores"}},
                            summary="Runs each job as a local subprocess (a scaffold to make your own).")]
''',
        f"src/{package}/batch_system.py": f'''"""The {name} batch system: jobs are local subprocesses (see LocalSubprocessBatchSystem for the
duties it already does: --maxCores, the worker on PATH, signal deaths, kill, shutdown)."""
from typing import Any, Sequence

from toil_core.plugin_api import LocalSubprocessBatchSystem, settings_from

from {package}.plugin import {settings}


class {cls}(LocalSubprocessBatchSystem):
    def __init__(self, config: Any, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        super().__init__(config, maxCores, maxMemory, maxDisk)
        self.settings = settings_from(config, {settings})

    def job_argv(self, command: str, job_desc: Any) -> Sequence[str]:
        return [self.settings.{name}_shell, "-c", command]
''',
        f"tests/test_{name}.py": f'''"""The contract suites of toil_core.testing, run against the {name} plugin."""
from toil_core.testing import BatchSystemContract, PluginPackagingContract


class Test{_camel(name)}Contract(BatchSystemContract):
    batch_system_name = "{name}"


class Test{_camel(name)}Packaging(PluginPackagingContract):
    distribution = "{dist}"
''',
    }
    if shape == "submit_poll":
        files.update(_submit_poll_files(name, package, cls, settings))
        plugin = f"src/{package}/plugin.py"
        files[plugin] = files[plugin].replace(
            "Runs each job as a local subprocess (a scaffold to make your own).",
            "Submits each job to a scheduler and polls it (a scaffold to make your own).")
        readme = files["README.md"]
        start, end = readme.index("As written, every job"), readme.index("Test it with")
        files["README.md"] = readme[:start] + (
            "As written, every job is submitted to a stand-in scheduler (`src/{p}/spool.py`: detached runner\n"
            "processes on this machine, each job run by `{f}`) and polled, through `SubmitAndPollBatchSystem`\n"
            "(queueing, `--maxJobs`, polling in batches every `--statePollingWait` seconds, exit reasons,\n"
            "kills, `--doubleMem`, shutdown). Make it yours in `src/{p}/batch_system.py`: `submit`,\n"
            "`query_jobs` and `kill_jobs` talk to your scheduler instead. Options live in `src/{p}/plugin.py`.\n\n"
        ).format(p=package, f=flag) + readme[end:]
    return files


def new_plugin(kind: str, name: str, directory: Path, shape: str = "local") -> List[Path]:
    """Write the plugin package for ``name`` into ``directory/toil-plugin-NAME`` and return the
    files written. Refuses names that are not identifiers, built-in names and existing folders."""
    if shape not in SHAPES:
        raise ScaffoldError(f"`toil plugins new` starts from one of the shapes {', '.join(SHAPES)}, not {shape!r}.")
    if kind not in KINDS_SUPPORTED:
        raise ScaffoldError(f"`toil plugins new` writes {', '.join(KINDS_SUPPORTED)} plugins, not {kind!r}.")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name or ""):
        raise ScaffoldError(f"Plugin name {name!r} must be lowercase letters, digits and underscores, "
                            "starting with a letter (it becomes --batchSystem NAME and a Python package).")

    owner = reserved_owner("batch_system", name)
    if owner:
        raise ScaffoldError(f"{name!r} is the name of a built-in batch system ({owner}); choose another name.")
    target = Path(directory) / f"toil-plugin-{name.replace('_', '-')}"
    if target.exists():
        raise ScaffoldError(f"{target} already exists; remove it or choose another --directory.")
    written = []
    for relative, text in plugin_files(name, shape).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


def _submit_poll_files(name: str, package: str, cls: str, settings: str) -> Dict[str, str]:
    """The files that differ for the submit-and-poll shape: the batch system, and the spool that
    stands in for the external scheduler until you replace it with your scheduler's client."""
    return {
        f"src/{package}/batch_system.py": f'''"""The {name} batch system: each job is submitted to an external scheduler, which is polled.

SubmitAndPollBatchSystem (toil_core.plugin_api) does the queueing, --maxJobs, polling in batches
every --statePollingWait seconds, exit reasons, kills, --doubleMem and shutdown; this class only
submits, queries and kills. Here the "scheduler" is {package}.spool (detached runner processes
on this machine): replace it with the client of your scheduler.
"""
from typing import Any, Dict, List

from toil_core.plugin_api import JOB_DONE, JOB_PENDING, JOB_RUNNING, SchedulerJobStatus, SubmitAndPollBatchSystem
from toil_core.plugin_api import SubmittedJob, settings_from

from {package}.plugin import {settings}
from {package}.spool import Spool

_STATES = {{"pending": JOB_PENDING, "running": JOB_RUNNING, "done": JOB_DONE}}


class {cls}(SubmitAndPollBatchSystem):
    scheduler_label = "the {name} scheduler"
    lost_after = 10.0  # seconds a job may be unknown to the scheduler before it is reported LOST

    def __init__(self, config: Any, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        self.settings = settings_from(config, {settings})
        self.spool = Spool(shell=self.settings.{name}_shell)
        super().__init__(config, maxCores, maxMemory, maxDisk)  # starts the polling thread

    def submit(self, job: SubmittedJob) -> str:
        """Hand the job to the scheduler; its ID there. job.command runs the Toil worker by its
        absolute path; job.env is the environment to add; job.cores / memory / gpus the request."""
        return self.spool.submit(job.command, job.env)

    def query_jobs(self, scheduler_ids: List[str]) -> Dict[str, SchedulerJobStatus]:
        """Ask about all these jobs in as few calls as possible; leave out jobs it does not know."""
        return {{job_id: SchedulerJobStatus(_STATES[state], exit_code, elapsed=elapsed)
                for job_id, (state, exit_code, elapsed) in self.spool.query(scheduler_ids).items()}}

    def kill_jobs(self, scheduler_ids: List[str]) -> None:
        self.spool.kill(scheduler_ids)
''',
        f"src/{package}/spool.py": f'''"""A stand-in for an external scheduler: each job runs under a detached runner process that
writes its exit code (minus the signal number after a signal) to ``<spool>/<id>/status``."""
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple


class Spool:
    def __init__(self, root: Optional[str] = None, shell: str = "/bin/sh") -> None:
        self.root = Path(root or tempfile.mkdtemp(prefix="toil-{name}-spool-"))
        self.shell = shell

    def submit(self, command: str, environment: Mapping[str, str]) -> str:
        job_id = uuid.uuid4().hex[:12]
        folder = self.root / job_id
        folder.mkdir(parents=True)
        env = dict(os.environ, **environment)
        runner = subprocess.Popen([sys.executable, "-m", "{package}.spool", str(folder), self.shell, command],
                                  env=env, start_new_session=True, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        (folder / "pid").write_text(str(runner.pid))
        return job_id

    def query(self, job_ids: List[str]) -> Dict[str, Tuple[str, Optional[int], Optional[float]]]:
        states = {{}}
        for job_id in job_ids:
            folder = self.root / job_id
            if (folder / "status").exists():
                elapsed = folder / "elapsed"
                states[job_id] = ("done", int((folder / "status").read_text()),
                                  float(elapsed.read_text()) if elapsed.exists() else None)
            elif _alive(folder):
                states[job_id] = ("running", None, None)
        return states

    def kill(self, job_ids: List[str]) -> None:
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
        with open(f"/proc/{{pid}}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _run(folder: str, shell: str, command: str) -> None:
    started = time.monotonic()
    code = subprocess.call([shell, "-c", command])
    for name, value in (("elapsed", f"{{time.monotonic() - started:.3f}}"), ("status", str(code))):
        partial = os.path.join(folder, f".{{name}}.tmp")
        with open(partial, "w") as handle:
            handle.write(value)
        os.replace(partial, os.path.join(folder, name))


if __name__ == "__main__":
    _run(*sys.argv[1:4])
''',
    }
