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


def clean_for_restart(job_store: Any, config: Any, root_id: str) -> Optional[JobDescription]:
    """Repair the store and return the root description (None if the workflow finished)."""
    root = _load(job_store, root_id)
    if root is None:  # finished (the root goes last); the leader may have died before it said so
        _discard_temporary_files(job_store)
        with job_store.write_shared_file_stream(SUCCEEDED_FILE) as stream:
            stream.write(b"")
        return None
    tries = int(config.retryCount) + 1
    owners = _file_owners(job_store)
    reachable: Dict[str, JobDescription] = {}
    stack: List[JobDescription] = [root]
    while stack:
        desc = stack.pop()
        if desc.stored_id in reachable:
            continue
        changed = False
        if desc.checkpoint and desc.body_id is None and desc.checkpoint_body_id:
            logger.info("Repairing job: %s (restarting checkpoint)", desc.stored_id)
            reset_checkpoint(job_store, desc, stored_subtree(job_store, desc))
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
        reachable[desc.stored_id] = desc
        for job_id in list(desc.successors()) + list(desc.services):
            child = _load(job_store, job_id)
            if child is not None:
                stack.append(child)
    for desc in list(job_store.jobs()):
        if desc.stored_id not in reachable:
            logger.debug("Deleting job %s, unreachable from the root", desc.stored_id)
            discard_job(job_store, desc.stored_id)
    _discard_orphans(job_store)
    return reachable[root.stored_id]


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
