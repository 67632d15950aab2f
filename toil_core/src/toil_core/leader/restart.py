"""Repairing a job store before ``--restart`` resumes it.

Walks the stored graph from the root: resets try counts, reruns started checkpoint jobs from
scratch, finishes pending file deletions, recreates service flag files, drops old failure logs
and deletes jobs no longer reachable from the root (left over from a crash mid-save).

Every change to a job goes through the commit protocol (:mod:`toil_core.job.commit`).
Jobs thrown away here (a restarted checkpoint's old subtree, unreachable jobs) go with the files
their attempts made (see :mod:`toil_core.job.attempt_files`). Where the job store can list
them, partial writes of killed processes and files belonging to jobs that were never created
(their creator died before it committed) are deleted too. All of this relies on what
``--restart`` relies on anyway: no process of the crashed run still uses the job store.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set

from toil_core.job.attempt_files import ATTEMPT_PREFIX, is_attempt_owner
from toil_core.job.commit import (
    discard_job,
    finish_pending_deletions,
    reset_checkpoint,
    stored_subtree,
    update_description,
)
from toil_core.job.description import JobDescription
from toil_core.jobstores.errors import NoSuchJobException
from toil_core.jobstores.helper_reads import HelperReader, load_descriptions
from toil_core.lib.bulk import gc_paused

if TYPE_CHECKING:
    from toil_core.common.config import Config
    from toil_core.jobstores.abstract import AbstractJobStore

logger = logging.getLogger(__name__)

#: The shared file a leader writes when its workflow succeeded (see the leader and ``toil status``).
SUCCEEDED_FILE = "succeeded.log"


def _load(job_store: Any, job_id: str) -> Optional[JobDescription]:
    try:
        return job_store.load_job(job_id)
    except NoSuchJobException:
        return None


#: How many job IDs the walk reads together (``AbstractJobStore.load_jobs``: one round of
#: requests on stores that make them in parallel; a forked helper reads part of each).
READ_CHUNK = 2000
#: A phase of at least this many jobs starts a forked helper that reads part of every chunk
#: (:class:`~toil_core.jobstores.helper_reads.HelperReader`, where the store allows one).
HELPER_MIN = 5000


def clean_for_restart(job_store: Any, config: Any, root_id: str,
                      loaded: Optional[Dict[str, JobDescription]] = None) -> Optional[JobDescription]:
    """Repair the store and return the root description (None if the workflow finished).

    Every stored job is read once: the walk from the root reads each reachable one (phase by
    phase, :data:`READ_CHUNK` IDs at a time, with a forked helper reading part of each chunk of
    a big phase; never holding a description the leader does not get), and the jobs no walk
    reached are found by listing the store's job IDs where it can list them (``job_ids``), else
    by reading every job. With ``loaded``, the repaired descriptions of the reachable jobs other
    than the root are put there, without their inline bodies, for the leader (which would
    otherwise read them all again; see ``JobTracker.preload``). The cyclic garbage collector is
    paused meanwhile (:func:`~toil_core.lib.bulk.gc_paused`).
    """
    with gc_paused():
        return _clean(job_store, config, root_id, loaded)


def _clean(job_store: Any, config: Any, root_id: str,
           loaded: Optional[Dict[str, JobDescription]]) -> Optional[JobDescription]:
    root = _load(job_store, root_id)
    if root is None:  # finished (the root goes last); the leader may have died before it said so
        _discard_temporary_files(job_store)
        with job_store.write_shared_file_stream(SUCCEEDED_FILE) as stream:
            stream.write(b"")
        return None
    # What the last commit of the root's worker created: only the leader reading that commit
    # right after the worker exited may use it (a million-job fan-out's is 200 MB parsed).
    root.created = []
    tries = int(config.retryCount) + 1
    owners = _file_owners(job_store)
    reachable: Set[str] = set()
    discarded: Set[str] = set()  # deleted by a checkpoint's reset during the walk
    # The phases (and service lists) still to read, as [IDs, how many of them are left to take
    # (from the end), whether the leader may take their jobs from ``loaded``]: one small list
    # per phase, not one entry per job.
    frames: List[List[Any]] = []

    def visit(desc: JobDescription, keep: bool) -> None:
        job_id = desc.stored_id
        discarded.update(_repair(job_store, desc, tries, owners))
        reachable.add(job_id)
        if loaded is not None and keep:
            desc.inline_body = None  # (update_description puts it back if the leader writes it)
            desc.created = []
            loaded[job_id] = desc
        # Only jobs of phases of two or more are handed on: a worker may chain into the only job
        # of a phase, changing it before the leader reads it (the reason ``created`` has this rule).
        for phase in (desc.children, desc.followOns):
            if phase:
                frames.append([phase, len(phase), len(phase) > 1])
        if desc.services:
            frames.append([desc.services, len(desc.services), False])

    visit(root, False)
    helper: Optional[HelperReader] = None
    try:
        while frames:
            frame = frames[-1]
            ids, end, keep = frame
            if helper is None and end >= HELPER_MIN:
                helper = HelperReader.start(job_store, bodies=True)  # (a repair may write one)
            start = max(0, end - READ_CHUNK)
            if start == 0:
                frames.pop()
            else:
                frame[1] = start
            chunk = ids[start:end]
            chunk.reverse()  # (taken from the end, as a stack of IDs would give them)
            found = load_descriptions(job_store, [job_id for job_id in chunk if job_id not in reachable],
                                      helper, bodies=True)
            for job_id in chunk:
                desc = found.get(job_id)
                if desc is None or job_id in reachable or job_id in discarded:
                    continue
                desc.jobStoreID = job_id  # one string object per ID: the phase's, not a parsed copy
                visit(desc, keep)
    finally:
        if helper is not None:
            helper.close()
    for job_id in discarded:  # (read before a checkpoint's reset deleted it, through another parent)
        reachable.discard(job_id)
        if loaded is not None:
            loaded.pop(job_id, None)
    list_ids = getattr(job_store, "job_ids", None)
    stored = list_ids() if callable(list_ids) else (desc.stored_id for desc in job_store.jobs())
    for job_id in [job_id for job_id in stored if job_id not in reachable]:
        logger.debug("Deleting job %s, unreachable from the root", job_id)
        discard_job(job_store, job_id)
    _discard_orphans(job_store)
    return root


def _repair(job_store: Any, desc: JobDescription, tries: int, owners: Set[str]) -> List[str]:
    """Repair one reachable job (see the module docstring); written back if anything changed.
    Returns the IDs of the jobs deleted with a checkpoint's old subtree."""
    changed = False
    subtree: List[str] = []
    if desc.checkpoint and desc.body_id is None and desc.checkpoint_body_id:
        logger.info("Repairing job: %s (restarting checkpoint)", desc.stored_id)
        subtree = stored_subtree(job_store, desc)
        reset_checkpoint(job_store, desc, subtree)
    if finish_pending_deletions(job_store, desc):
        changed = True
    if desc.remainingTryCount != tries:
        desc.remainingTryCount = tries
        changed = True
    if desc.fresh and desc.body_id is not None and desc.stored_id in owners:
        desc.fresh = False  # an attempt the crash cut short made files: the next one discards them
        changed = True
    if desc.logJobStoreFileID:
        job_store.delete_file(desc.logJobStoreFileID)
        desc.logJobStoreFileID = None
        changed = True
    if desc.kind == "service" and desc.body_id is not None:
        for flag in ("startJobStoreID", "terminateJobStoreID", "errorJobStoreID"):
            if not getattr(desc, flag) or not job_store.file_exists(getattr(desc, flag)):
                setattr(desc, flag, job_store.get_empty_file_store_id(desc.stored_id, cleanup=True))
                changed = True
    if changed:
        logger.debug("Repairing job: %s", desc.stored_id)
        update_description(job_store, desc)
    return subtree


def _file_owners(job_store: Any) -> Set[str]:
    """IDs of the jobs that own files, or whose attempts do (empty if the store cannot list them)."""
    owners = getattr(job_store, "job_file_owners", None)
    if not callable(owners):
        return set()
    found: Set[str] = set()
    for owner in owners():
        owner = str(owner)
        found.add(owner[len(ATTEMPT_PREFIX):] if is_attempt_owner(owner) else owner)
    return found


def _discard_temporary_files(job_store: Any) -> None:
    discard = getattr(job_store, "discard_temporary_files", None)
    if callable(discard):
        count = discard()
        if count:
            logger.info("Deleted %d partly written files left by the crashed run", count)


def _discard_orphans(job_store: Any) -> None:
    """Delete partial writes and files of jobs that do not exist, if the store can list them."""
    _discard_temporary_files(job_store)
    owners = getattr(job_store, "job_file_owners", None)
    if not callable(owners):
        return
    for owner in list(owners()):
        # Files of attempts that finished belong to no job any more but are in use.
        if not is_attempt_owner(owner) and not job_store.job_exists(owner):
            logger.debug("Deleting the files of job %s, which was never created", owner)
            job_store.delete_job(owner)
