"""The worker invocation: how the leader asks a batch system to run one Toil job.

The leader hands every batch system a :class:`WorkerInvocation`. It *is* the shell command line
(a ``str``: ``_toil_worker JOBNAME LOCATOR JOBID``), so batch systems that submit shell commands
(schedulers, upstream-style plugins) use it unchanged, and it also carries its parts, so batch
systems that start processes or containers themselves never parse a command line back.
A batch system must still run any other shell command it is given (tests and upstream plugins
issue plain strings); :meth:`WorkerInvocation.parse` recognises a worker command among them.
"""
from __future__ import annotations

import os
import shlex
import shutil
import sys
from typing import List, Optional

__all__ = ["WORKER_COMMAND", "WorkerInvocation", "parse_worker_command", "worker_command"]

WORKER_COMMAND = "_toil_worker"


class WorkerInvocation(str):
    """One job's worker command: a shell command line that also knows its parts.

    ``job_name``, ``locator`` and ``job_id`` are the worker's three arguments; ``executable`` is
    the worker program as written in the command line (``_toil_worker`` or an absolute path).
    """

    job_name: str
    locator: str
    job_id: str
    executable: str

    def __new__(cls, job_name: str, locator: str, job_id: str,
                executable: str = WORKER_COMMAND) -> "WorkerInvocation":
        line = " ".join(shlex.quote(part) for part in (executable, job_name, locator, job_id))
        self = super().__new__(cls, line)
        self.job_name = job_name
        self.locator = locator
        self.job_id = job_id
        self.executable = executable
        return self

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (WorkerInvocation, (self.job_name, self.locator, self.job_id, self.executable))

    @property
    def arguments(self) -> List[str]:
        """The worker's arguments: ``[job_name, locator, job_id]``."""
        return [self.job_name, self.locator, self.job_id]

    @property
    def argv(self) -> List[str]:
        """The full argument vector, worker program first (for ``exec`` without a shell)."""
        return [self.executable, self.job_name, self.locator, self.job_id]

    def resolved(self) -> "WorkerInvocation":
        """The same invocation with the worker program of this interpreter's environment, as an
        absolute path, for nodes whose PATH may not include it (the same venv on every node)."""
        candidate = os.path.join(os.path.dirname(sys.executable), WORKER_COMMAND)
        if not os.path.exists(candidate):
            candidate = shutil.which(WORKER_COMMAND) or WORKER_COMMAND
        return WorkerInvocation(self.job_name, self.locator, self.job_id, candidate)

    @classmethod
    def parse(cls, command: str) -> Optional["WorkerInvocation"]:
        """The invocation ``command`` runs if it is a Toil worker command line, else None."""
        if isinstance(command, WorkerInvocation):
            return command
        if any(c in command for c in "'\"\\"):
            try:
                parts = shlex.split(command)
            except ValueError:
                return None
        else:
            parts = command.split()
        if len(parts) == 4 and os.path.basename(parts[0]) == WORKER_COMMAND:
            return cls(parts[1], parts[2], parts[3], parts[0])
        return None


def worker_command(job_name: str, locator: str, job_id: str) -> WorkerInvocation:
    """The invocation that runs one Toil job through a batch system.

    With ``TOIL_CHECK_ENV`` set, the worker program is named by the absolute path found on PATH.
    """
    executable = shutil.which(WORKER_COMMAND) if os.environ.get("TOIL_CHECK_ENV") else None
    return WorkerInvocation(job_name, locator, job_id, executable or WORKER_COMMAND)


def parse_worker_command(command: str) -> Optional[List[str]]:
    """``[jobName, locator, jobStoreID]`` if ``command`` runs a Toil worker, else None."""
    invocation = WorkerInvocation.parse(command)
    return invocation.arguments if invocation is not None else None
