"""The leader's periodic checks: the kill flag, rescuing lost or overlong jobs, deadlocks and the
"N jobs are running" status line."""
from __future__ import annotations

import logging
import time
from typing import Set

from toil_core.batch.abstract import BatchJobExitReason, UpdatedBatchJobInfo
from toil_core.job.description import SERVICE
from toil_core.leader.errors import DeadlockException, KilledWorkflowException

logger = logging.getLogger("toil_core.leader.leader")


class PeriodicChecksMixin:
    """Methods of :class:`~toil_core.leader.leader.Leader` run from its loop every so often."""

    def _check_kill_flag(self) -> None:
        interval = float(self.config.kill_polling_interval or 5)
        now = time.time()
        if now - self._last_kill_check < interval:
            return
        self._last_kill_check = now
        try:
            killed = self.job_store.read_kill_flag()
        except Exception:
            killed = False
        if killed:
            raise KilledWorkflowException("Received kill via job store. Shutting down.")

    def _rescue(self) -> None:
        now = time.time()
        frequency = float(self.config.rescueJobsFrequency)
        max_duration = float(self.config.maxJobDuration)
        if now - self._last_rescue < min(frequency, max_duration):
            return
        self._last_rescue = now
        running = self.batch_system.getRunningBatchJobIDs()
        to_kill = []
        for batch_id, seconds in running.items():
            job_id = self.issued.get(batch_id)
            desc = self.descs.get(job_id) if job_id else None
            if desc is not None and desc.kind != SERVICE and seconds > max_duration:
                logger.warning("The job %s is still running, batch job id %s, and has been running for: %s "
                               "seconds, more than the max job duration: %s, we'll kill it",
                               desc, batch_id, int(seconds), max_duration)
                to_kill.append(batch_id)
        issued_now = set(self.batch_system.getIssuedBatchJobIDs())
        for batch_id in list(self.issued):
            if batch_id in issued_now:
                self._missing_counts.pop(batch_id, None)
                continue
            count = self._missing_counts.get(batch_id, 0) + 1
            self._missing_counts[batch_id] = count
            self.messages.missing(self.issued[batch_id])
            logger.warning("Job store ID %s with batch system id %s is missing for the %i time",
                           self.issued[batch_id], batch_id, count)
            if count >= 3:
                to_kill.append(batch_id)
        if to_kill:
            self.batch_system.killBatchJobs(to_kill)

            for batch_id in to_kill:
                self._on_update(UpdatedBatchJobInfo(batch_id, 3, BatchJobExitReason.KILLED, None))

    def _check_deadlock(self) -> None:
        now = time.time()
        interval = float(self.config.deadlockCheckInterval)
        # Honour --deadlockCheckInterval: listing running jobs can be costly on a cluster.
        if now - self._last_deadlock_check < interval:
            return
        self._last_deadlock_check = now
        running = self.batch_system.getRunningBatchJobIDs()
        if not running or self.ready:
            self.deadlock_since = None
            return
        # Services told to stop are winding down (their stop() may take a while): that is progress.
        stopping: Set[str] = set().union(*self.services_stopping.values()) if self.services_stopping else set()
        services = 0
        for batch_id in running:
            job_id = self.issued.get(batch_id)
            desc = self.descs.get(job_id) if job_id else None
            if (desc is not None and desc.kind == SERVICE and job_id not in self.hosts_awaiting_start
                    and job_id not in stopping and job_id not in self.error_stopped
                    and job_id not in self.retiring):
                services += 1
        if services < len(running):
            if self.deadlock_since is not None:
                logger.info("Potential deadlock has been resolved; non-service jobs are now running.")
            self.deadlock_since = None
            return
        wait = float(self.config.deadlockWait)
        if self.deadlock_since is None:
            self.deadlock_since = now
            return
        waited = now - self.deadlock_since
        others = len(self.issued) - services
        if waited >= wait:
            raise DeadlockException(
                f"Potential deadlock detected! All {services} running jobs are service jobs, with no "
                "normal jobs to use them! Increase --maxCores/--maxMemory or lower --maxServiceJobs.")
        logger.info("Potentially deadlocked for %.0f seconds. Waiting at most %.0f more seconds for any of "
                    "%d issued non-service jobs to schedule and start.", waited, wait - waited, others)

    def _status_line(self) -> None:
        wait = float(self.config.statusWait)
        now = time.time()
        if now - self._last_status < wait:
            return
        self._last_status = now
        running = len(self.batch_system.getRunningBatchJobIDs())
        logger.info("%d jobs are running, %d jobs are issued and waiting to run", running, len(self.issued) - running)
        message = self.batch_system.getSchedulingStatusMessage()
        if message:
            logger.info(message)
