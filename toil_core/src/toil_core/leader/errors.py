"""Errors that end a workflow run."""
from __future__ import annotations

from typing import Any, List, Optional

from toil_core.lib.errors import ToilBaseException, ToilError


class FailedJobsException(ToilError):
    """Some jobs failed completely; the job store is kept so the run can be restarted."""

    def __init__(self, job_store: Any, failed_jobs: List[Any], exit_code: int = 1,
                 logs: Optional[List[str]] = None, logs_printed: bool = False) -> None:
        locator = getattr(job_store, "locator", job_store)
        self.jobStoreLocator = locator
        self.numberOfFailedJobs = len(failed_jobs)
        self.failed_jobs = list(failed_jobs)
        self.exit_code = exit_code
        names = ", ".join(str(job) for job in failed_jobs)
        head = f"The job store '{locator}' contains {len(failed_jobs)} failed jobs: {names}"
        cure = (f"\nFix the problem and resume the workflow with --restart, or remove the job "
                f"store with 'toil clean {locator}'.")
        # As upstream, the message holds the failed jobs' logs (for scripts that catch it).
        message = head + ("\n" + "\n".join(logs) if logs else "") + cure
        #: What an uncaught failure prints: without the logs when they were printed already.
        self.user_report = head + cure if logs_printed else message
        super().__init__(message)


class DeadlockException(ToilError):
    """Only service jobs have been running for too long: nothing can use them."""

    def __init__(self, msg: str) -> None:
        super().__init__(f"Deadlock encountered: {msg}")


class KilledWorkflowException(ToilBaseException, SystemExit):
    """The workflow was stopped with ``toil kill`` or SIGTERM.

    A SystemExit, so an unchanged workflow script ends with the message and exit code 1
    instead of a traceback, and ``except Exception`` in user code does not swallow it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
