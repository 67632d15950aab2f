"""Files made by an attempt at a job belong to that attempt until the job is recorded finished.

A job attempt that dies (killed worker, killed leader, an exception) before its final atomic
update leaves nothing that refers to the files it made: the global files its body wrote and the
return-value files reserved for the promises its new jobs hold (which those jobs fill in later;
when a checkpoint job reruns, its old subtree's values are abandoned). Without care they stay in
the job store for good, one set per failed attempt. So while a worker runs an attempt, every file the attempt
creates that would belong to no job is created belonging to the attempt's *owner*, a job-store
ID derived from the job's (:func:`attempt_owner`): ``delete_job(owner)`` deletes them all, and
no description ever has that ID.

* Before an attempt runs, the files of earlier attempts, none of which finished (the job still
  has a body to run), are deleted (:func:`discard_attempt_files`), unless the job is ``fresh``:
  every way an attempt can end without finishing the job clears that flag in the description
  before the job runs again (the worker's record of a failure and the leader's charge of a try
  for a worker that died both go through ``commit.charge_failure``; a checkpoint's rerun goes
  through ``commit.reset_checkpoint``; ``--restart`` clears it on jobs that own files, for
  attempts the crash cut short), so a fresh job's first attempt is its only one
  (:func:`begin_attempt`).
* Once the job is recorded finished its files live on like any file that belongs to no job:
  nothing deletes the owner afterwards, except when the whole attempt is thrown away (a
  checkpoint job's old subtree when the checkpoint reruns, jobs --restart finds unreachable).

This needs a job store that lets any ID own files and deletes them with ``delete_job`` of that
ID, whether or not a job has it; stores say so by listing file owners (``job_file_owners``, as
the file job store does). With other stores attempts are not scoped (:func:`supports_scoping`).

Service hosts are not scoped: a service publishes its start value (and so may hand out files)
long before its host job finishes. Files imported with ``importFile`` inside a job are not
scoped either (imports go through store-specific paths).
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple, Type

from toil_core.job.description import INLINE_BODY

#: Prefix of attempt owner IDs. An owner only has to differ from every job's ID, which the random
#: part of job IDs ensures (a job named "attempt" gets "attempt-<random>", never an owner's ID).
ATTEMPT_PREFIX = "attempt-"


def attempt_owner(job_id: str) -> str:
    """The owner of the files that attempts at job ``job_id`` create."""
    return ATTEMPT_PREFIX + str(job_id)


def is_attempt_owner(owner: str) -> bool:
    """True if ``owner`` is the owner of the files of attempts at a job (never a job's ID)."""
    return str(owner).startswith(ATTEMPT_PREFIX)


def supports_scoping(job_store: Any) -> bool:
    """Whether files can belong to an attempt in ``job_store`` (see the module docstring)."""
    return callable(getattr(job_store, "job_file_owners", None))


def begin_attempt(job_store: Any, desc: Any) -> None:
    """Before an attempt at the job ``desc`` runs: discard the files of earlier attempts, or, for
    a fresh job, tell the store that the job owns no file yet (``first_attempt``: deleting it
    then needs no listing)."""
    job_id = str(desc.jobStoreID)
    if getattr(desc, "fresh", False):
        # A body too big to be inline is a file the job owns (written when the job was saved).
        bodies = {desc.body_id, getattr(desc, "checkpoint_body_id", None)} - {None, INLINE_BODY}
        job_store.first_attempt(job_id, sorted(bodies))
    else:
        discard_attempt_files(job_store, job_id)


def discard_attempt_files(job_store: Any, job_id: str) -> None:
    """Delete every file earlier attempts at ``job_id`` created (see the module docstring)."""
    if supports_scoping(job_store):
        job_store.delete_job(attempt_owner(job_id))


class _AttemptScoped:
    """Mixed in before a job store class: unowned files become the attempt's."""

    __slots__ = ("_attempt_owner",)
    _attempt_owner: str

    def _scope(self, job_id: Optional[str], cleanup: bool) -> Tuple[Optional[str], bool]:
        if cleanup and job_id is not None:
            return job_id, cleanup
        return self._attempt_owner, True

    def write_file(self, local_path: str, job_id: Optional[str] = None, cleanup: bool = False) -> str:
        job_id, cleanup = self._scope(job_id, cleanup)
        return super().write_file(local_path, job_id=job_id, cleanup=cleanup)  # type: ignore[misc]

    def write_file_stream(self, job_id: Optional[str] = None, cleanup: bool = False,
                          basename: Optional[str] = None, encoding: Optional[str] = None,
                          errors: Optional[str] = None) -> Any:
        job_id, cleanup = self._scope(job_id, cleanup)
        # The store's own context manager, not one wrapping it: small writes are dominated by calls.
        return super().write_file_stream(job_id=job_id, cleanup=cleanup, basename=basename,  # type: ignore[misc]
                                         encoding=encoding, errors=errors)

    def get_empty_file_store_id(self, job_id: Optional[str] = None, cleanup: bool = False,
                                basename: Optional[str] = None) -> str:
        job_id, cleanup = self._scope(job_id, cleanup)
        return super().get_empty_file_store_id(job_id=job_id, cleanup=cleanup, basename=basename)  # type: ignore[misc]

    def reserve_file_id(self) -> str:
        # The file job store names a file before it exists (a subclass may use its helper);
        # elsewhere the reservation is an empty file, created belonging to the attempt.
        new_file_id = getattr(super(), "_new_file_id", None)
        if new_file_id is not None:
            return str(new_file_id(self._attempt_owner, True, None)[0])
        return self.get_empty_file_store_id()


_classes: Dict[type, Type[Any]] = {}


def attempt_scoped(job_store: Any, job_id: str) -> Any:
    """A view of ``job_store`` for one attempt at ``job_id``.

    It is an instance of a subclass of the store's own class sharing the store's state (so
    ``isinstance`` checks and store-specific fast paths keep working); only the creation of files
    that would belong to no job differs: they belong to :func:`attempt_owner` of ``job_id``.
    """
    base = type(job_store)
    cls = _classes.get(base)
    if cls is None:
        cls = _classes[base] = type(f"AttemptScoped{base.__name__}", (_AttemptScoped, base), {})
    view = object.__new__(cls)
    view.__dict__ = job_store.__dict__
    view._attempt_owner = attempt_owner(job_id)
    return view
