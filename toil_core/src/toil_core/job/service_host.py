"""Running a Job.Service inside its service host job until the leader tells it to stop."""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from toil_core.job.commit import write_return_value

if TYPE_CHECKING:
    from toil_core.filestores.abstract import AbstractFileStore
    from toil_core.job.job import ServiceHostJob

logger = logging.getLogger(__name__)

#: How often the host looks at its flag files (the leader deletes them to signal it).
FLAG_POLL_SECONDS = 0.2


def host_service(host: ServiceHostJob, file_store: AbstractFileStore) -> Any:
    """Start the service, publish its start value, keep it alive, and always stop it."""
    job_store = file_store.jobStore
    desc = host.description
    service = host.service
    config = job_store.config
    poll_interval = float(config.servicePollingInterval)
    start_flag, terminate_flag, error_flag = desc.startJobStoreID, desc.terminateJobStoreID, desc.errorJobStoreID
    if start_flag is None or terminate_flag is None or error_flag is None:
        raise RuntimeError(f"Service host {desc} was saved without its flag files; it cannot run.")
    value = service.start(host)
    write_return_value(job_store, host, value)
    job_store.delete_file(start_flag)
    logger.debug("Service %s started", desc)
    try:
        last_check = time.time()
        while True:
            # The leader deletes the error flag before the terminate flag when the service must
            # stop because something failed: the host job then fails too (after stop()), so it
            # stays in the job store and --restart starts the service again for the jobs that
            # still need it.
            if not job_store.file_exists(terminate_flag):
                if not job_store.file_exists(error_flag):
                    raise RuntimeError(f"Service {desc} was told to stop because of an error elsewhere.")
                logger.debug("Service %s told to stop", desc)
                break
            if not job_store.file_exists(error_flag):
                raise RuntimeError(f"Service {desc} was told to stop because of an error elsewhere.")
            now = time.time()
            if now - last_check >= poll_interval:
                last_check = now
                if not service.check():
                    logger.debug("Service %s finished by itself", desc)
                    break
            time.sleep(FLAG_POLL_SECONDS)
    finally:
        service.stop(host)
    return value
