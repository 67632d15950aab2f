"""The leader's periodic checks: the kill flag, rescuing lost or overlong jobs, deadlocks and the
"N jobs are running" status line."""
from __future__ import annotations

import logging
import time
from typing import Callable, Dict, List, Optional

from toil_core.batch.abstract import AbstractBatchSystem, BatchJobExitReason, UpdatedBatchJobInfo
from toil_core.common.config import Config
from toil_core.job.description import SERVICE
from toil_core.jobstores.abstract import AbstractJobStore
from toil_core.leader.checkpoints import Checkpoints
from toil_core.leader.errors import DeadlockException, KilledWorkflowException
from toil_core.leader.messages import LeaderMessages
from toil_core.leader.services import Services
from toil_core.leader.tracker import JobTracker

logger = logging.getLogger("toil_core.leader.leader")


class PeriodicChecks:
    """Checks the leader's loop runs every so often, each at its own interval; owns their clocks,
    the counts of issued jobs the batch system lost, and the start of a potential deadlock."""

    def __init__(self, config: Config, job_store: AbstractJobStore, batch_system: AbstractBatchSystem,
                 tracker: JobTracker, services: Services, checkpoints: Checkpoints,
                 messages: LeaderMessages, on_update: Callable[[UpdatedBatchJobInfo], None]) -> None:
        self.config = config
        self.job_store = job_store
        self.batch_system = batch_system
        self.tracker = tracker
        self.services = services
        self.checkpoints = checkpoints
        self.messages = messages
        #: How the leader handles a finished batch job (rescued jobs are reported through it).
        self.on_update = on_update
        now = time.time()
        self._last_kill_check = now
        self._last_rescue = now
        self._last_status = now
        self._last_deadlock_check = now
        #: batch ID -> how many rescues in a row found the issued job missing from the batch system.
        self._missing_counts: Dict[int, int] = {}
        #: When all running jobs became services with nothing to use them (None: not now).
        self.deadlock_since: Optional[float] = None

    def tick(self) -> None:
        """Run each check whose interval has passed."""
        self.check_kill_flag()
        self.rescue()
        self.check_deadlock()
        self.status_line()

    def check_kill_flag(self) -> None:
        """Raise KilledWorkflowException once ``toil kill`` set the job store's kill flag."""
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

    def rescue(self) -> None:
        """Kill jobs over --maxJobDuration and jobs the batch system lost (missing three times)."""
        now = time.time()
        frequency = float(self.config.rescueJobsFrequency)
        max_duration = float(self.config.maxJobDuration)
        if now - self._last_rescue < min(frequency, max_duration):
            return
        self._last_rescue = now
        issued, descs = self.tracker.issued, self.tracker.descs
        running = self.batch_system.getRunningBatchJobIDs()
        to_kill: List[int] = []
        for batch_id, seconds in running.items():
            job_id = issued.get(batch_id)
            desc = descs.get(job_id) if job_id else None
            if desc is not None and desc.kind != SERVICE and seconds > max_duration:
                logger.warning("The job %s is still running, batch job id %s, and has been running for: %s "
                               "seconds, more than the max job duration: %s, we'll kill it",
                               desc, batch_id, int(seconds), max_duration)
                to_kill.append(batch_id)
        issued_now = set(self.batch_system.getIssuedBatchJobIDs())
        # Counts of jobs no longer issued (finished, or killed by a checkpoint restart) go.
        missing = {b: c for b, c in self._missing_counts.items() if b in issued}
        for batch_id in list(issued):
            if batch_id in issued_now:
                missing.pop(batch_id, None)
                continue
            count = missing.get(batch_id, 0) + 1
            missing[batch_id] = count
            self.messages.missing(issued[batch_id])
            logger.warning("Job store ID %s with batch system id %s is missing for the %i time",
                           issued[batch_id], batch_id, count)
            if count >= 3:
                to_kill.append(batch_id)
        self._missing_counts = missing
        if to_kill:
            self.batch_system.killBatchJobs(to_kill)

            for batch_id in to_kill:
                self._missing_counts.pop(batch_id, None)
                self.on_update(UpdatedBatchJobInfo(batch_id, 3, BatchJobExitReason.KILLED, None))

    def check_deadlock(self) -> None:
        """Raise DeadlockException when only services have run for --deadlockWait seconds, with
        nothing ready to use them."""
        now = time.time()
        interval = float(self.config.deadlockCheckInterval)
        # Honour --deadlockCheckInterval: listing running jobs can be costly on a cluster.
        if now - self._last_deadlock_check < interval:
            return
        self._last_deadlock_check = now
        running = self.batch_system.getRunningBatchJobIDs()
        issued, descs = self.tracker.issued, self.tracker.descs
        if not running or self.tracker.ready:
            self.deadlock_since = None
            return
        # Services told to stop are winding down (their stop() may take a while): that is progress.
        stopping = self.services.stopping_hosts()
        services = 0
        for batch_id in running:
            job_id = issued.get(batch_id)
            desc = descs.get(job_id) if job_id else None
            if (job_id is not None and desc is not None and desc.kind == SERVICE
                    and self.services.is_serving(job_id, stopping)
                    and not self.checkpoints.is_retiring(job_id)):
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
        others = len(issued) - services
        if waited >= wait:
            raise DeadlockException(
                f"Potential deadlock detected! All {services} running jobs are service jobs, with no "
                "normal jobs to use them! Increase --maxCores/--maxMemory or lower --maxServiceJobs.")
        logger.info("Potentially deadlocked for %.0f seconds. Waiting at most %.0f more seconds for any of "
                    "%d issued non-service jobs to schedule and start.", waited, wait - waited, others)

    def status_line(self) -> None:
        """Log how many jobs run and wait (every --statusWait seconds)."""
        wait = float(self.config.statusWait)
        now = time.time()
        if now - self._last_status < wait:
            return
        self._last_status = now
        running = len(self.batch_system.getRunningBatchJobIDs())
        logger.info("%d jobs are running, %d jobs are issued and waiting to run", running,
                    len(self.tracker.issued) - running)
        message = self.batch_system.getSchedulingStatusMessage()
        if message:
            logger.info(message)
