"""The leader: schedules ready jobs on the batch system until the workflow is done.

The leader keeps the description of every job it is tracking in memory and reacts to events
(a batch job ended, a service started, a timer fired); no event scans all jobs. Workers record
finished jobs themselves, so the leader mostly reads: it deletes the description of a job whose
successors all finished, and updates descriptions only on failures and checkpoint restarts.

A successor listed in a description that no longer exists in the job store has finished (workers
delete finished leaf jobs, the leader deletes finished inner jobs). The same rule lets
``--restart`` rebuild the leader's state by walking the stored graph from the root.

This module holds the graph walk, issuing and the main loop; the rest of the Leader's methods
live by concern in mixins beside it: services.py, checkpoints.py, job_logs.py, periodic.py
(kill flag, rescue, deadlock, status line), plus messages.py (the message bus) and restart.py.
"""
from __future__ import annotations

import collections
import logging
import os
import signal
import time
from typing import Any, Deque, Dict, List, Optional, Set

from toil_core.batch.abstract import worker_command
from toil_core.job.commit import EXIT_JOB_FAILED, charge_failure
from toil_core.job.description import INLINE_BODY, SERVICE, JobDescription
from toil_core.jobstores.errors import NoSuchJobException
from toil_core.leader.checkpoints import CheckpointsMixin
from toil_core.leader.errors import DeadlockException, FailedJobsException, KilledWorkflowException
from toil_core.leader.job_logs import LOG_MARKER, JobLogsMixin
from toil_core.leader.messages import LeaderMessages
from toil_core.leader.parents import ParentIndex
from toil_core.leader.periodic import PeriodicChecksMixin
from toil_core.leader.progress import ProgressBar
from toil_core.leader.services import ServicesMixin

__all__ = ["Leader", "LOG_MARKER", "DeadlockException", "FailedJobsException", "KilledWorkflowException"]

logger = logging.getLogger(__name__)


def _signal_note(status: Any) -> str:
    """`` (killed by SIGSEGV)`` for the negative exit status of a process a signal ended."""
    try:
        number = -int(status)
        return f" (killed by {signal.Signals(number).name})" if number > 0 else ""
    except (TypeError, ValueError):
        return ""


class Leader(ServicesMixin, CheckpointsMixin, JobLogsMixin, PeriodicChecksMixin):
    """Runs one workflow attempt to completion or failure."""

    def __init__(self, config: Any, batch_system: Any, job_store: Any, root: JobDescription) -> None:
        self.config = config
        self.batch_system = batch_system
        self.job_store = job_store
        self.root_id = root.jobStoreID
        self.root = root
        self.locator = config.jobStore
        self.descs: Dict[str, JobDescription] = {}
        self.waiting_on: Dict[str, int] = {}
        self.parents_of = ParentIndex()
        self.released: Dict[str, int] = {}
        self.ready: Deque[JobDescription] = collections.deque()
        self._phase_queue: Deque[JobDescription] = collections.deque()
        self.issued: Dict[int, str] = {}
        self.batch_id_of: Dict[str, int] = {}
        self.failed: Dict[str, JobDescription] = {}
        #: Jobs with a completely failed successor (or service): they never finish, but once
        #: nothing else below them runs their services are stopped and the failure moves up.
        self.failed_successors: Set[str] = set()
        #: Service hosts stopped because of a failure (their error flag deleted): they exit with
        #: an error on purpose and stay in the job store, so --restart runs them again.
        self.error_stopped: Set[str] = set()
        #: Running services of a restarting checkpoint's old subtree -> the checkpoint's ID, and
        #: checkpoint ID -> (description, old subtree, services still to exit).
        self.retiring: Dict[str, str] = {}
        self.checkpoint_waits: Dict[str, Any] = {}
        self.failure_logs: Dict[str, str] = {}
        self.printed_logs: Set[str] = set()
        self.root_done = False
        # services
        self.service_client: Dict[str, str] = {}
        self.services_starting: Dict[str, Set[str]] = {}
        self.hosts_awaiting_start: Dict[str, JobDescription] = {}
        self.hosts_waiting_parent: Dict[str, List[JobDescription]] = collections.defaultdict(list)
        self.services_stopping: Dict[str, Set[str]] = {}
        self.started_services: Dict[str, Set[str]] = {}
        self.service_queue: Deque[JobDescription] = collections.deque()
        self.running_services = 0
        self.running_preemptible_services = 0
        self.deadlock_since: Optional[float] = None
        # bookkeeping
        self.progress = ProgressBar(not config.disableProgress)
        self.completed_count = 0
        self._env = self._job_environment()
        self._env_by_threads: Dict[int, Dict[str, str]] = {}
        self._last_logs = 0.0
        self._last_kill_check = time.time()
        #: SIGTERM or SIGINT received while the loop runs (see :meth:`run`)
        self._stop_signal: Optional[int] = None
        self._last_rescue = time.time()
        self._last_status = time.time()
        self._last_deadlock_check = time.time()
        self._missing_counts: Dict[int, int] = {}
        self.messages = LeaderMessages(config, job_store, batch_system)  # --writeMessages, toil status
        #: The cluster scaler's view of the issued jobs (set by Toil when --provisioner is given).
        self.scaler_feed: Any = None

    # ------------------------------------------------------------------ helpers
    def _job_environment(self) -> Dict[str, str]:
        env: Dict[str, str] = {}
        for name, value in (self.config.environment or {}).items():
            if value is None:
                value = os.environ.get(name)
            if value is not None:
                env[name] = value
        try:
            env.update(self.job_store.get_env() or {})
        except Exception:
            pass
        return env

    def _get(self, job_id: str) -> Optional[JobDescription]:
        desc = self.descs.get(job_id)
        if desc is not None:
            return desc
        return self._load(job_id)

    def _load(self, job_id: str) -> Optional[JobDescription]:
        """A job's stored description, without its inline body: only the worker needs the body, and
        the leader may hold 100,000 pending descriptions (see :meth:`_store` for writing one back)."""
        try:
            desc = self.job_store.load_job(job_id)
        except NoSuchJobException:
            return None
        desc.inline_body = None
        return desc

    def _store(self, desc: JobDescription) -> None:
        """Write back a description the leader changed, with the inline body :meth:`_load` dropped."""
        if desc.body_id == INLINE_BODY and desc.inline_body is None:
            desc.inline_body = self.job_store.load_job(desc.jobStoreID).inline_body
        self.job_store.update_job(desc)
        desc.inline_body = None

    # ------------------------------------------------------------------ graph progress
    def _consider(self, desc: JobDescription) -> None:
        """A job all of whose predecessors have finished."""
        self.descs[desc.jobStoreID] = desc
        if desc.logJobStoreFileID and desc.logJobStoreFileID not in self.printed_logs:
            self._print_job_log(desc)
        if desc.body_id is not None:
            if desc.remainingTryCount <= 0:
                self._totally_failed(desc)
            else:
                self.ready.append(desc)
                self.progress.add_total()
        else:
            self._enter_phase(desc)

    def _enter_phase(self, desc: JobDescription) -> None:
        """Queue a job that has run for :meth:`_advance` (a queue, not recursion: chains are long)."""
        self.descs[desc.jobStoreID] = desc
        self._phase_queue.append(desc)

    def _process_phases(self) -> None:
        while self._phase_queue:
            self._advance(self._phase_queue.popleft())

    def _advance(self, desc: JobDescription) -> None:
        """The job has run: start its services, then its next phase of successors."""
        job_id = desc.jobStoreID
        self.descs[job_id] = desc
        if desc.services and job_id not in self.started_services:
            self._start_services(desc)
            return
        while True:
            phase = desc.children if desc.children else desc.followOns
            if not phase:
                break
            live = [s for s in (self._get(sid) for sid in phase) if s is not None]
            if not live:
                if desc.children:
                    desc.children = []
                else:
                    desc.followOns = []
                continue
            self.waiting_on[job_id] = len(live)
            for successor in live:
                self.parents_of.add(successor.jobStoreID, job_id)
            for successor in live:
                self._release(successor)
            return
        self._finish(desc)

    def _release(self, desc: JobDescription) -> None:
        count = self.released.get(desc.jobStoreID, 0) + 1
        if count < desc.predecessorNumber:
            self.released[desc.jobStoreID] = count
            self.descs[desc.jobStoreID] = desc
            return
        self.released.pop(desc.jobStoreID, None)
        self._consider(desc)

    def _finish(self, desc: JobDescription) -> None:
        """All successors are done; stop the job's services, then the job is done."""
        job_id = desc.jobStoreID
        running = self.started_services.get(job_id)
        if running:
            self._stop_services(desc)
            return
        self._done(job_id, delete=True)

    def _done(self, job_id: str, delete: bool) -> None:
        desc = self.descs.pop(job_id, None)
        self.started_services.pop(job_id, None)
        if delete:
            self.job_store.delete_job(job_id)
            if desc is not None:
                for host_id in desc.services:
                    self.job_store.delete_job(host_id)
        self.completed_count += 1
        if job_id == self.root_id:
            self.root_done = True
        for parent_id in self.parents_of.pop(job_id):
            remaining = self.waiting_on.get(parent_id, 0) - 1
            if remaining > 0:
                self.waiting_on[parent_id] = remaining
                continue
            self.waiting_on.pop(parent_id, None)
            if parent_id in self.failed_successors:
                self._subtree_failed(parent_id)
                continue
            parent = self.descs.get(parent_id)
            if parent is None:
                continue
            if parent.children:
                parent.children = []
            else:
                parent.followOns = []
            self._enter_phase(parent)

    # ------------------------------------------------------------------ issuing
    def _issue_ready(self) -> None:
        while self.ready:
            desc = self.ready.popleft()
            if desc.kind == SERVICE and not self._service_slot_free(desc):
                self.service_queue.append(desc)
                continue
            self._issue(desc)
        while self.service_queue and self._service_slot_free(self.service_queue[0]):
            self._issue(self.service_queue.popleft())

    def _service_slot_free(self, desc: JobDescription) -> bool:
        if desc.preemptible:
            return self.running_preemptible_services < int(self.config.maxPreemptibleServiceJobs)
        return self.running_services < int(self.config.maxServiceJobs)

    def _job_env(self, cores: float) -> Dict[str, str]:
        """The environment for a job's worker, shared by all jobs of the same core count (batch
        systems must not change it)."""
        threads = max(1, int(cores))
        env = self._env_by_threads.get(threads)
        if env is None:
            env = dict(self._env)
            if "OMP_NUM_THREADS" not in os.environ:
                env["OMP_NUM_THREADS"] = str(threads)
            self._env_by_threads[threads] = env
        return env

    def _issue(self, desc: JobDescription) -> None:
        env = self._job_env(desc.cores)
        command = worker_command(desc.jobName, self.locator, desc.jobStoreID)
        batch_id = self.batch_system.issueBatchJob(command, desc, env)
        self.issued[batch_id] = desc.jobStoreID
        self.batch_id_of[desc.jobStoreID] = batch_id
        if self.scaler_feed is not None:
            self.scaler_feed.issued(batch_id, desc)
        self.messages.issued(desc.jobName, desc.jobStoreID, batch_id)
        if desc.kind == SERVICE:
            if desc.preemptible:
                self.running_preemptible_services += 1
            else:
                self.running_services += 1
        level = logging.DEBUG if desc.local else logging.INFO
        logger.log(level, "Issued job %s with job batch system ID: %s and %s", desc, batch_id, desc.requirements_string())

    # ------------------------------------------------------------------ batch updates
    def _on_update(self, update: Any) -> None:
        if self.scaler_feed is not None:
            self.scaler_feed.finished(update.jobID, update.wallTime)
        job_id = self.issued.pop(update.jobID, None)
        if job_id is None:
            return
        self.batch_id_of.pop(job_id, None)
        self._missing_counts.pop(update.jobID, None)
        old = self.descs.get(job_id)
        self.messages.updated(old.jobName if old is not None else "", job_id, update.exitStatus)
        if old is not None and old.kind == SERVICE:
            self._on_service_exit(old, update)
            return
        fresh = self._load(job_id)
        self.progress.completed()
        if update.exitStatus != 0:
            logger.log(logging.DEBUG if fresh is None else logging.WARNING,
                       "Job failed with exit value %s%s: %s\nExit reason: %s",
                       update.exitStatus, _signal_note(update.exitStatus), fresh or job_id,
                       getattr(update.exitReason, "name", update.exitReason))
        if fresh is None:
            self._done(job_id, delete=False)
            return
        self.descs[job_id] = fresh
        if update.exitStatus == 0 and fresh.body_id is not None:
            logger.warning("Job %s ended without running; retrying it.", fresh)
            self._charge(fresh)
        elif update.exitStatus not in (0, EXIT_JOB_FAILED):
            self._charge_chain(fresh)  # unless the worker recorded this failure itself
        if fresh.body_id is not None:
            if fresh.logJobStoreFileID and fresh.logJobStoreFileID not in self.printed_logs:
                self._print_job_log(fresh)
            if fresh.remainingTryCount <= 0:
                self._totally_failed(fresh)
            else:
                logger.info("Job %s will be retried (%d tries left).", fresh, fresh.remainingTryCount)
                self.ready.append(fresh)
        else:
            self._enter_phase(fresh)

    def _charge(self, desc: JobDescription) -> None:
        charge_failure(desc, self.config)
        self._store(desc)

    def _charge_chain(self, desc: JobDescription) -> None:
        """The worker died without recording why: charge the job it was running."""
        target: Optional[JobDescription] = desc
        while target is not None and target.body_id is None:
            phase = target.children if target.children else target.followOns
            target = self._load(phase[0]) if len(phase) == 1 else None
        if target is not None and not self._worker_recorded(target):
            self._charge(target)

    def _worker_recorded(self, desc: JobDescription) -> bool:
        """True if the worker recorded the job's last failure itself (a job that called
        ``sys.exit(N)`` ends its worker with status N): a log the leader has not printed yet."""
        return bool(desc.logJobStoreFileID) and desc.logJobStoreFileID not in self.printed_logs

    def _totally_failed(self, desc: JobDescription) -> None:
        logger.error("Job %s is completely failed", desc)
        self.messages.failed(desc.jobName, desc.jobStoreID)
        self.progress.failure()
        checkpoint = self._checkpoint_ancestor(desc.jobStoreID)
        if checkpoint is not None:
            self._restart_checkpoint(checkpoint)
            return
        self.failed[desc.jobStoreID] = desc
        self._propagate_failure(desc.jobStoreID)

    def _propagate_failure(self, job_id: str) -> None:
        """``job_id`` will never finish: its predecessors can't either.

        A predecessor still waiting for other successors keeps waiting for them (other branches
        run to the end, using its services); once nothing below it is left, its services are
        stopped and the failure moves on up. A loop, not recursion: chains can be long.
        """
        pending = [job_id]
        while pending:
            failed_id = pending.pop()
            for parent_id in self.parents_of.pop(failed_id):
                self.failed_successors.add(parent_id)
                remaining = self.waiting_on.get(parent_id, 0) - 1
                if remaining > 0:
                    self.waiting_on[parent_id] = remaining
                    continue
                self.waiting_on.pop(parent_id, None)
                if not self._stop_services_after_failure(parent_id):
                    pending.append(parent_id)

    def _subtree_failed(self, job_id: str) -> None:
        """Nothing below ``job_id`` runs any more and something there failed."""
        if not self._stop_services_after_failure(job_id):
            self._propagate_failure(job_id)

    def _stop_services_after_failure(self, job_id: str) -> bool:
        """Stop the job's services (the failure moves on once they stopped); False if it has none."""
        desc = self.descs.get(job_id)
        if desc is None or not self.started_services.get(job_id):
            return False
        logger.info("Instructing all other services of job %s to quit.", desc)
        self._stop_services(desc, error=True)
        return True

    # ------------------------------------------------------------------ main loop
    def _outstanding(self) -> bool:
        return bool(self.ready or self.issued or self.service_queue or self._phase_queue)

    def run(self) -> None:
        """Run until the root job and all its successors are done; raise on failures."""
        # SIGTERM and Ctrl-C only record the request: the loop stops at its next turn (within a
        # second). An exception raised from a handler could land anywhere, even between taking and
        # releasing a lock (logging's, a queue's), and the shutdown would then hang on that lock.
        # A second Ctrl-C interrupts at once.
        handled = (signal.SIGTERM, signal.SIGINT)
        previous: Dict[int, Any] = {}

        def on_signal(signum: int, frame: Any) -> None:
            if signum == signal.SIGINT and self._stop_signal == signal.SIGINT:
                raise KeyboardInterrupt
            self._stop_signal = signum

        try:
            for signum in handled:
                previous[signum] = signal.signal(signum, on_signal)
        except ValueError:  # not the main thread
            previous = {}
        try:
            self._consider(self.root)
            self._loop()
        finally:
            self.progress.close()
            self.messages.close()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self._read_logs(force=True)
        if self.failed or not self.root_done:
            failed = list(self.failed.values())
            if not failed:
                failed = [d for d in self.descs.values() if d.body_id is not None]
            logger.error("Failed jobs at end of the run: %s", " ".join(str(d) for d in failed))
            # As upstream, the count also holds the jobs that ran but cannot finish because of the
            # failures (their successors can never complete): the jobs that failed come first.
            failed += self._stuck_predecessors(failed)
            logs = [f"Log from job {job_id}:\n{text}" for job_id, text in self.failure_logs.items()
                    if job_id in self.failed]
            self._write_status("failed.log")
            # The logs were printed when the jobs failed (unless the log level hid them): the
            # report of the uncaught exception does not repeat them.
            raise FailedJobsException(self.job_store, failed, exit_code=1, logs=logs,
                                      logs_printed=logger.isEnabledFor(logging.WARNING))
        self._write_status("succeeded.log")

    def _stuck_predecessors(self, failed: List[JobDescription]) -> List[JobDescription]:
        """Tracked jobs that have run but wait on successors that can never finish (the jobs
        upstream counts as failed along with the ones that failed)."""
        failed_ids = {d.jobStoreID for d in failed}
        return [d for d in self.descs.values()
                if d.jobStoreID not in failed_ids and d.body_id is None and d.kind != SERVICE]

    def _stop_on_signal(self) -> None:
        if self._stop_signal == signal.SIGINT:
            logger.warning("Received SIGINT (Ctrl-C). Shutting down; the job store is kept for --restart.")
            raise KeyboardInterrupt
        raise KilledWorkflowException("Received SIGTERM. Shutting down.")

    def _write_status(self, name: str) -> None:
        try:
            with self.job_store.write_shared_file_stream(name) as stream:
                stream.write(b"")
        except Exception:
            pass

    def _loop(self) -> None:
        while True:
            if self._stop_signal is not None:
                self._stop_on_signal()
            self._process_phases()
            self._issue_ready()
            self.messages.tick(len(self.issued))
            if not self._outstanding():
                if self.hosts_awaiting_start:
                    self._check_services_started()
                    continue
                break
            wait = 0.05 if self.hosts_awaiting_start else 1.0
            update = self.batch_system.getUpdatedBatchJob(wait)
            handled = 0
            while update is not None:
                self._on_update(update)
                handled += 1
                if handled >= 1000:
                    break
                update = self.batch_system.getUpdatedBatchJob(0)
            if self.hosts_awaiting_start:
                self._check_services_started()
            self._read_logs()
            self._check_kill_flag()
            self._rescue()
            self._check_deadlock()
            self._status_line()
            if self.failed and not self.ready:
                self._stop_idle_services()
