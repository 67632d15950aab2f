"""Exceptions raised while building or checking a job graph (upstream ``toil.job`` names)."""
from __future__ import annotations

from typing import Any, Optional

from toil_core.lib.errors import ToilError


class JobException(ToilError):
    """A general problem with a job or with the way jobs were connected."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class JobGraphDeadlockException(JobException):
    """The job graph has a cycle, several roots, or a new checkpoint that is not a leaf."""


class UnpicklableJobError(JobException, TypeError):
    """A job, its arguments or its return value cannot be pickled into the job store.

    Also a TypeError, as the pickling error it replaces usually is.
    """

    def __init__(self, message: str, cause: Any = None) -> None:
        super().__init__(message)
        self.cause = cause


class JobPromiseConstraintError(ToilError, RuntimeError):
    """A job's promise was handed to a job that does not run after it."""

    def __init__(self, promisingJob: Any, recipientJob: Optional[Any] = None) -> None:
        if recipientJob is None:
            message = (
                f"Job {promisingJob!r} cannot promise its return value to a job that is not its "
                "successor. Make the receiving job a child or follow-on (directly or indirectly) "
                "of the promising job."
            )
        else:
            message = (
                f"Job {promisingJob!r} cannot promise its return value to non-successor "
                f"{recipientJob!r}. Make {recipientJob!r} a child or follow-on (directly or "
                f"indirectly) of {promisingJob!r}."
            )
        super().__init__(message)
        self.promisingJob = promisingJob
        self.recipientJob = recipientJob


class ConflictingPredecessorError(ToilError):
    """The same predecessor was added twice to one job."""

    def __init__(self, predecessor: Any, successor: Any) -> None:
        super().__init__(
            f"The given job: {predecessor!r} is already a predecessor of job: {successor!r}. "
            "Add each child or follow-on only once."
        )
