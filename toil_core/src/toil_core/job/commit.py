"""How a job's outcome reaches the job store, and what a failed attempt costs.

Worker and leader share this policy: the worker exits with :data:`EXIT_OK` after it recorded the
job finished, or with :data:`EXIT_JOB_FAILED` after :func:`record_failure` stored the attempt's log
and charged one try (:func:`charge_failure`). Any other exit status means the worker died before
it could record anything, and the leader charges the try itself.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from toil_core.job.description import JobDescription

if TYPE_CHECKING:
    from toil_core.common.config import Config
    from toil_core.jobstores.abstract import AbstractJobStore

logger = logging.getLogger(__name__)

#: Worker exit status: the job (and any chained successors) finished and is recorded.
EXIT_OK = 0
#: Worker exit status: the job failed and the failure (log, try count) is recorded in its description.
EXIT_JOB_FAILED = 1


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
    """One try fewer; unset memory/disk are raised to at least the workflow defaults."""
    desc.remainingTryCount -= 1
    default_memory = int(config.defaultMemory or 0)
    default_disk = int(config.defaultDisk or 0)
    if desc.memory < default_memory:
        desc.memory = default_memory
    if desc.disk < default_disk:
        desc.disk = default_disk

