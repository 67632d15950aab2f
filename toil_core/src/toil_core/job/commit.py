"""The commit protocol: the one module through which a job's outcome reaches the job store.

Three parties write jobs, and all of them do it here, in an order that leaves a consistent store
whenever the process dies (every single write is atomic; the order makes the set of them safe):

* ``Toil.start`` saves the root job and everything reachable from it (:func:`save_root_job`).
* A worker commits a job that ran (:func:`commit_finished_job`): bodies and descriptions of the
  new jobs first, then the return value (which a store may keep in the job's own record, written
  by the final update: ``store_return_value``), and last the one update of the job's own description
  that makes the new jobs reachable and marks the job finished (or deletes a finished leaf); that
  update also carries the new jobs' descriptions, so the leader reading it back reads no more
  (:func:`created_successors`).
  A failed attempt stores its log and costs one try (:func:`record_failure`).
* The leader writes back descriptions it changed (:func:`update_description`), deletes jobs whose
  successors all finished (:func:`delete_finished_job`) and resets a checkpoint job whose subtree
  failed (:func:`reset_checkpoint`); ``--restart``'s repair of a crashed run's store
  (:mod:`toil_core.leader.restart`) uses the same functions, plus :func:`discard_job` and
  :func:`finish_pending_deletions`.

Worker and leader share the retry policy: the worker exits with :data:`EXIT_OK` after it recorded
the job finished, or with :data:`EXIT_JOB_FAILED` after :func:`record_failure` stored the attempt's
log and charged one try (:func:`charge_failure`). Any other exit status means the worker died
before it could record anything, and the leader charges the try itself.

Files an attempt makes belong to the attempt until its commit (:mod:`.attempt_files`).
:mod:`.saving` turns jobs into descriptions and pickled bodies; this module decides when they are
written.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Set

from toil_core.job.attempt_files import discard_attempt_files
from toil_core.job.created import encode_created
from toil_core.job.description import INLINE_BODY, JobDescription
from toil_core.lib.store_errors import NoSuchJobException
from toil_core.job.saving import (
    collect_unsaved,
    dumps_return_value,
    fill_description,
    is_service_host,
    link_description,
    load_return_value,
    write_body,
)
from toil_core.resource import check_deployable

if TYPE_CHECKING:  # job.py imports this module when a job is saved; only its types are needed here
    from toil_core.common.config import Config
    from toil_core.job.job import Job
    from toil_core.jobstores.abstract import AbstractJobStore

logger = logging.getLogger(__name__)

#: Worker exit status: the job (and any chained successors) finished and is recorded.
EXIT_OK = 0
#: Worker exit status: the job failed and the failure (log, try count) is recorded in its description.
EXIT_JOB_FAILED = 1
#: The shared file holding the ID of the file the root job's return value goes to.
ROOT_RETURN_VALUE_FILE = "rootJobReturnValue"


# ------------------------------------------------------------------------------ new jobs
def save_new_jobs(job_store: Any, config: Any, starts: Iterable[Job]) -> List[Job]:
    """Assign IDs, write bodies and return the unsaved jobs reachable from ``starts``.

    Descriptions are filled and linked but not yet written: call :func:`write_descriptions`
    after anything else that may take promises (such as the running job's return value).
    """
    jobs = collect_unsaved(starts)
    for job in jobs:
        check_deployable(getattr(job, "userModule", None))
        fill_description(job, config)
        if job.description.jobStoreID is None:
            job_store.assign_job_id(job.description)
        job.description.fresh = True  # no attempt at it yet (see attempt_files.begin_attempt)
    for job in jobs:
        if is_service_host(job):
            desc = job.description
            desc.startJobStoreID = job_store.get_empty_file_store_id(desc.jobStoreID, cleanup=True)
            desc.terminateJobStoreID = job_store.get_empty_file_store_id(desc.jobStoreID, cleanup=True)
            desc.errorJobStoreID = job_store.get_empty_file_store_id(desc.jobStoreID, cleanup=True)
    for job in jobs:
        write_body(job_store, job)
    for job in jobs:
        link_description(job)
    return jobs


def write_descriptions(job_store: Any, jobs: List[Job]) -> None:
    """Store the descriptions of newly saved jobs; children last so parents never dangle."""
    with job_store.batch():
        for job in jobs:
            job_store.create_job(job.description)
            job._saved = True


def write_return_value(job_store: Any, job: Job, value: Any) -> None:
    """Store ``value`` as the job's return value if anyone holds a promise of it."""
    desc = job.description
    if desc.rv_file_id is None:
        return
    # Written now, whatever the store: a service publishes its start value long before its
    # host's commit (which may store it again, in the store's own way).
    data = dumps_return_value(job, value, job_store)
    write_reserved_bytes(job_store, desc.rv_file_id, data)


def write_reserved_bytes(job_store: Any, file_id: str, data: bytes) -> None:
    """Store ``data`` as the reserved file ``file_id``, in one write where the store can."""
    fast = getattr(job_store, "write_reserved_file_bytes", None)
    if fast is not None:
        fast(file_id, data)
        return
    with job_store.write_reserved_file_stream(file_id) as stream:
        stream.write(data)


def pickle_return_value(job_store: Any, job: Job, value: Any) -> Optional[bytes]:
    """Pickle a return value now (it may take promises of new jobs); None if nobody needs it."""
    if job.description.rv_file_id is None:
        return None
    return dumps_return_value(job, value, job_store)


# ------------------------------------------------------------------------------ the root job
def save_root_job(job_store: Any, config: Any, root: Job,
                  check_request: Optional[Any] = None, keep_return_value: bool = True) -> JobDescription:
    """Save ``root`` and every job reachable from it, and make it the workflow's root job.

    ``check_request(description)`` (the batch system's resource check) sees every new job before
    anything is stored. With ``keep_return_value`` the root's return value gets a file, named in
    the shared file :data:`ROOT_RETURN_VALUE_FILE`, that :func:`load_root_return_value` reads.
    Setting the root comes last: until then a restart finds nothing to resume.
    """
    jobs = save_new_jobs(job_store, config, [root])
    root_desc = root.description
    if keep_return_value and root_desc.rv_file_id is None:
        root_desc.rv_file_id = job_store.get_empty_file_store_id()
    if check_request is not None:
        for job in jobs:
            check_request(job.description)
    write_descriptions(job_store, jobs)
    if keep_return_value:
        with job_store.write_shared_file_stream(ROOT_RETURN_VALUE_FILE) as stream:
            stream.write(str(root_desc.rv_file_id).encode())
    job_store.set_root_job(root_desc.stored_id)
    return root_desc


def load_root_return_value(job_store: Any) -> Any:
    """The value the root job returned (see :func:`save_root_job`)."""
    with job_store.read_shared_file_stream(ROOT_RETURN_VALUE_FILE) as stream:
        rv_file_id = stream.read().decode()
    return load_return_value(job_store, rv_file_id)


# ------------------------------------------------------------------------------ the worker
def commit_finished_job(job_store: Any, config: Any, job: Job, value: Any,
                        files_to_delete: Sequence[str]) -> bool:
    """Record that ``job`` ran and returned ``value``: store its new successors and the value,
    then mark it finished in one update of its description. True if the description was deleted
    (a finished job with nothing left to run or wait for).

    ``files_to_delete`` are the global files the job deleted; they are removed only once the
    finish is recorded (and listed in the description until then, so a restart finishes the job).
    """
    desc = job.description
    new_jobs = save_new_jobs(job_store, config, [job])
    link_description(job)
    rv_data = pickle_return_value(job_store, job, value)
    write_descriptions(job_store, new_jobs)
    if rv_data is not None and desc.rv_file_id is not None:  # pickle_return_value checked it
        # (a store may keep a small value in the description: the update or deletion below
        # then records value and finish in one write)
        job_store.store_return_value(desc, rv_data)
    pending = sorted(files_to_delete)
    desc.created = created_successors(desc, new_jobs)
    desc.fresh = False
    desc.body_id = None
    if not desc.checkpoint:
        desc.inline_body = None
    desc.filesToDelete = pending
    old_log = desc.logJobStoreFileID
    desc.logJobStoreFileID = None
    deleted = not (desc.children or desc.followOns or desc.services or desc.checkpoint)
    if deleted and pending:
        # Record the finish with the files to delete first: deleting the description right
        # away would lose the list if this process died before the files were gone.
        job_store.update_job(desc)
        for file_id in pending:
            job_store.delete_file(file_id)
        pending = []
    if deleted:
        job_store.delete_job(desc.jobStoreID)
    else:
        job_store.update_job(desc)
        if old_log:
            job_store.delete_file(old_log)
    desc.created = []
    for file_id in pending:
        job_store.delete_file(file_id)
    return deleted


def created_successors(desc: JobDescription, new_jobs: Sequence[Job]) -> List[Dict[str, Any]]:
    """The stored descriptions (without inline bodies) of the successors of ``desc`` among
    ``new_jobs``, in phases of two or more jobs: the commit records them in the job's own
    description (:attr:`JobDescription.created`), so that the leader, which reads the job back
    when its worker exits, needs no read per new job.

    They are current when the leader reads them there, once, right after the worker exited:
    nothing but that worker knew of these jobs before this commit, the leader issues none of
    them before it has read the commit, and the worker never chains into a phase of two or more
    (:func:`~toil_core.worker.worker.chain_target`). Whatever else reads the description
    (``--restart``, ``toil status``) ignores them and loads the jobs themselves.

    The form they are recorded in, one block per phase, is :mod:`toil_core.job.created`'s.
    """
    return encode_created(desc, {job.description.jobStoreID: job.description for job in new_jobs})


def job_exit_code(err: BaseException) -> int:
    """The worker's exit status for a job that failed with ``err``: the job's own status when it
    called ``sys.exit(N)`` (2 to 125), else :data:`EXIT_JOB_FAILED`. Either way the worker has
    recorded the failure (charged the try, stored the log) before it exits."""
    code = getattr(err, "code", None) if isinstance(err, SystemExit) else None
    if isinstance(code, int) and not isinstance(code, bool) and 2 <= code <= 125:
        return code
    return EXIT_JOB_FAILED


def record_failure(job_store: AbstractJobStore, job_id: str, config: Config, log_data: bytes, retry: bool = True) -> None:
    """Store the failed attempt's log and charge one try to the job (all its tries when
    ``retry`` is False: the failure is permanent, so trying again cannot help)."""
    try:
        desc = job_store.load_job(job_id)
    except Exception:
        logger.exception("Could not record the failure of job %s", job_id)
        return
    old_log = desc.logJobStoreFileID
    with job_store.write_file_stream(job_id=job_id, cleanup=True) as (stream, file_id):
        stream.write(log_data)
    desc.logJobStoreFileID = file_id
    charge_failure(desc, config)
    if not retry and desc.remainingTryCount > 0:
        logger.info("Job %s failed permanently; it is not retried.", desc)
        desc.remainingTryCount = 0
    job_store.update_job(desc)
    if old_log:
        job_store.delete_file(old_log)


def charge_failure(desc: JobDescription, config: Config) -> None:
    """One try fewer; unset memory/disk are raised to at least the workflow defaults. The job is
    no longer fresh: the next attempt discards the files this one made."""
    desc.remainingTryCount -= 1
    desc.fresh = False
    default_memory = int(config.defaultMemory or 0)
    default_disk = int(config.defaultDisk or 0)
    if desc.memory < default_memory:
        desc.memory = default_memory
    if desc.disk < default_disk:
        desc.disk = default_disk


# ------------------------------------------------------------------------------ the leader
def update_description(job_store: Any, desc: JobDescription) -> None:
    """Write back a description the leader changed.

    The leader keeps descriptions without their inline body (only a worker needs it, and the
    leader may hold 100,000 of them): the stored body is put back for the write, and dropped again.
    """
    if desc.body_id == INLINE_BODY and desc.inline_body is None:
        desc.inline_body = job_store.load_job(desc.jobStoreID).inline_body
    job_store.update_job(desc)
    desc.inline_body = None


def delete_finished_job(job_store: Any, job_id: str, service_ids: Iterable[str] = ()) -> None:
    """Delete a job whose successors all finished, and its service host jobs."""
    job_store.delete_job(job_id)
    for host_id in service_ids:
        job_store.delete_job(host_id)


def discard_job(job_store: Any, job_id: str) -> None:
    """Delete a job that will never finish (thrown away with a checkpoint's old subtree, or
    unreachable after a crash), with every file its attempts made."""
    job_store.delete_job(job_id)
    discard_attempt_files(job_store, job_id)


def stored_subtree(job_store: Any, desc: JobDescription) -> List[str]:
    """IDs of the jobs below ``desc`` (successors and services, transitively), read from the job
    store. A job already deleted (finished) is listed, so its attempts' files go with the subtree,
    but nothing below it is (its successors finished before it was deleted)."""
    found: List[str] = []
    seen: Set[str] = set()
    stack = list(desc.successors()) + list(desc.services)
    while stack:
        job_id = stack.pop()
        if job_id in seen:
            continue
        seen.add(job_id)
        found.append(job_id)
        try:
            below = job_store.load_job(job_id)
        except NoSuchJobException:
            continue
        stack.extend(list(below.successors()) + list(below.services))
    return found


def reset_checkpoint(job_store: Any, desc: JobDescription, subtree: Iterable[str]) -> None:
    """Make the checkpoint job ``desc`` run again from its saved body: its successors are
    forgotten first (one update, so a crash leaves at worst unreachable jobs, which
    ``--restart`` deletes), then the old subtree's jobs are deleted with their files."""
    if desc.checkpoint_body_id is not None:
        desc.body_id = desc.checkpoint_body_id
    desc.children, desc.followOns, desc.services = [], [], []
    desc.fresh = False  # the rerun discards the files of the attempt that ran
    update_description(job_store, desc)
    for job_id in subtree:
        discard_job(job_store, job_id)


def finish_pending_deletions(job_store: Any, desc: JobDescription) -> bool:
    """Delete the files a finished job deleted but whose deletion its commit did not complete
    (a crash in between); True if ``desc`` changed and must be written back."""
    if not desc.filesToDelete:
        return False
    for file_id in desc.filesToDelete:
        job_store.delete_file(file_id)
    desc.filesToDelete = []
    return True
