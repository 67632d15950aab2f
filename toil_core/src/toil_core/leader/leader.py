"""The leader: schedules ready jobs on the batch system until the workflow is done.

The leader keeps the description of every job it is tracking in memory and reacts to events
(a batch job ended, a service started, a timer fired); no event scans all jobs. Workers record
finished jobs themselves, so the leader mostly reads: it deletes the description of a job whose
successors all finished, and updates descriptions only on failures and checkpoint restarts.

A successor listed in a description that no longer exists in the job store has finished (workers
delete finished leaf jobs, the leader deletes finished inner jobs). The same rule lets
``--restart`` rebuild the leader's state by walking the stored graph from the root.

This module holds the graph walk, issuing and the main loop. The Leader composes collaborators
that each own their state: the job graph's state (tracker.py, shared with the others), services
(services.py), checkpoint reruns (checkpoints.py), job logs (job_logs.py), the periodic checks
(periodic.py: kill flag, rescue, deadlock, status line) and the message bus (messages.py); the
collaborators call back into the leader only through :class:`~toil_core.leader.tracker.GraphMoves`.
Store repairs before ``--restart`` are in restart.py.
"""
from __future__ import annotations

import collections
import logging
import os
import signal
import time
from types import FrameType
from typing import Any, Dict, List, Optional

from toil_core.batch.abstract import AbstractBatchSystem, UpdatedBatchJobInfo, worker_command
from toil_core.common.config import Config
from toil_core.job.commit import EXIT_JOB_FAILED, charge_failure, delete_finished_job
from toil_core.job.description import SERVICE, JobDescription
from toil_core.jobstores.abstract import AbstractJobStore
from toil_core.leader.checkpoints import Checkpoints
from toil_core.leader.errors import DeadlockException, FailedJobsException, KilledWorkflowException
from toil_core.leader.job_logs import LOG_MARKER, JobLogs
from toil_core.leader.messages import LeaderMessages
from toil_core.leader.periodic import PeriodicChecks
from toil_core.leader.progress import ProgressBar
from toil_core.leader.services import Services
from toil_core.leader.tracker import JobTracker

__all__ = ["Leader", "LOG_MARKER", "DeadlockException", "FailedJobsException", "KilledWorkflowException"]

logger = logging.getLogger(__name__)


def _signal_note(status: Any) -> str:
    """`` (killed by SIGSEGV)`` for the negative exit status of a process a signal ended."""
    try:
        number = -int(status)
        return f" (killed by {signal.Signals(number).name})" if number > 0 else ""
    except (TypeError, ValueError):
        return ""


class Leader:
    """Runs one workflow attempt to completion or failure.

    Implements :class:`~toil_core.leader.tracker.GraphMoves` for its collaborators.
    """

    def __init__(self, config: Config, batch_system: AbstractBatchSystem, job_store: AbstractJobStore,
                 root: JobDescription, preloaded: Optional[Dict[str, JobDescription]] = None) -> None:
        self.config = config
        self.batch_system = batch_system
        self.job_store = job_store
        self.root_id = root.stored_id
        self.root = root
        self.locator = str(config.jobStore)  # set by Toil before the leader runs
        self.root_done = False
        self.completed_count = 0
        #: The cluster scaler's view of the issued jobs (set by Toil when --provisioner is given).
        self.scaler_feed: Any = None
        #: SIGTERM or SIGINT received while the loop runs (see :meth:`run`)
        self._stop_signal: Optional[int] = None
        self._env = self._job_environment()
        self._env_by_threads: Dict[int, Dict[str, str]] = {}
        self.progress = ProgressBar(not config.disableProgress)
        self.messages = LeaderMessages(config, job_store, batch_system)  # --writeMessages, toil status
        self.tracker = JobTracker(job_store, compact=True)
        if preloaded:
            self.tracker.preload(preloaded)
        self.logs = JobLogs(config, job_store)
        self.services = Services(config, job_store, self.tracker, self, self.logs, self.progress)
        self.checkpoints = Checkpoints(job_store, batch_system, self.tracker, self.services)
        self.periodic = PeriodicChecks(config, job_store, batch_system, self.tracker, self.services,
                                       self.checkpoints, self.messages, self._on_update)

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

    # ------------------------------------------------------------------ graph progress (GraphMoves)
    def _consider(self, desc: JobDescription) -> None:
        """A job all of whose predecessors have finished."""
        self.tracker.descs[desc.stored_id] = desc
        self.logs.print_new_failure_log(desc)
        if desc.body_id is not None:
            if desc.remainingTryCount <= 0:
                self._totally_failed(desc)
            else:
                self.tracker.ready.append(desc)
                self.progress.add_total()
        else:
            self.enter_phase(desc)

    def enter_phase(self, desc: JobDescription) -> None:
        """Queue a job that has run for :meth:`_advance` (a queue, not recursion: chains are long)."""
        self.tracker.descs[desc.stored_id] = desc
        self.tracker.phase_queue.append(desc)

    def _process_phases(self) -> None:
        queue = self.tracker.phase_queue
        while queue:
            self._advance(queue.popleft())
            queue = self.tracker.phase_queue  # a checkpoint restart may replace the queue

    def _advance(self, desc: JobDescription) -> None:
        """The job has run: start its services, then its next phase of successors."""
        tracker = self.tracker
        job_id = desc.stored_id
        tracker.descs[job_id] = desc
        if desc.services and not self.services.has_started(job_id):
            self.services.start(desc)
            return
        while True:
            phase = desc.children if desc.children else desc.followOns
            if not phase:
                break
            live = []
            for successor_id, successor in zip(phase, tracker.get_many(phase)):
                if successor is not None:
                    # One string object per ID: the phase's, not a copy parsed with each description.
                    successor.jobStoreID = successor_id
                    live.append(successor)
            if not live:
                if desc.children:
                    desc.children = []
                else:
                    desc.followOns = []
                continue
            tracker.waiting_on[job_id] = len(live)
            for successor in live:
                tracker.parents_of.add(successor.stored_id, job_id)
            for successor in live:
                self._release(successor)
            return
        self._finish(desc)

    def _release(self, desc: JobDescription) -> None:
        released = self.tracker.released
        count = released.get(desc.stored_id, 0) + 1
        if count < desc.predecessorNumber:
            released[desc.stored_id] = count
            self.tracker.descs[desc.stored_id] = desc
            return
        released.pop(desc.stored_id, None)
        self._consider(desc)

    def _finish(self, desc: JobDescription) -> None:
        """All successors are done; stop the job's services, then the job is done."""
        if self.services.is_running_for(desc.stored_id):
            self.services.stop(desc)
            return
        self.done(desc.stored_id, delete=True)

    def done(self, job_id: str, delete: bool) -> None:
        """``job_id`` and everything below it finished (``delete``: its description goes too)."""
        tracker = self.tracker
        desc = tracker.descs.pop(job_id, None)
        self.services.client_done(job_id)
        if delete:
            delete_finished_job(self.job_store, job_id, desc.services if desc is not None else ())
        self.completed_count += 1
        if job_id == self.root_id:
            self.root_done = True
        for parent_id in tracker.parents_of.pop(job_id):
            remaining = tracker.waiting_on.get(parent_id, 0) - 1
            if remaining > 0:
                tracker.waiting_on[parent_id] = remaining
                continue
            tracker.waiting_on.pop(parent_id, None)
            if parent_id in tracker.failed_successors:
                self._subtree_failed(parent_id)
                continue
            parent = tracker.descs.get(parent_id)
            if parent is None:
                continue
            if parent.children:
                parent.children = []
            else:
                parent.followOns = []
            self.enter_phase(parent)

    # ------------------------------------------------------------------ issuing
    def _issue_ready(self) -> None:
        tracker, services = self.tracker, self.services
        while tracker.ready:
            desc = tracker.ready.popleft()
            if desc.kind == SERVICE and not services.slot_free(desc):
                services.queue.append(desc)
                continue
            self._issue(desc)
        while services.queue and services.slot_free(services.queue[0]):
            self._issue(services.queue.popleft())

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
        job_id = desc.stored_id
        env = self._job_env(desc.cores)
        command = worker_command(desc.jobName, self.locator, job_id)
        batch_id = self.batch_system.issueBatchJob(command, desc, env)
        self.tracker.issued[batch_id] = job_id
        self.tracker.batch_id_of[job_id] = batch_id
        if self.scaler_feed is not None:
            self.scaler_feed.issued(batch_id, desc)
        self.messages.issued(desc.jobName, job_id, batch_id)
        if desc.kind == SERVICE:
            self.services.issued(desc)
        level = logging.DEBUG if desc.local else logging.INFO
        logger.log(level, "Issued job %s with job batch system ID: %s and %s", desc, batch_id, desc.requirements_string())

    # ------------------------------------------------------------------ batch updates
    def _on_update(self, update: UpdatedBatchJobInfo) -> None:
        if self.scaler_feed is not None:
            self.scaler_feed.finished(update.jobID, update.wallTime)
        tracker = self.tracker
        job_id = tracker.issued.pop(update.jobID, None)
        if job_id is None:
            return
        tracker.batch_id_of.pop(job_id, None)
        old = tracker.descs.get(job_id)
        self.messages.updated(old.jobName if old is not None else "", job_id, update.exitStatus)
        if old is not None and old.kind == SERVICE:
            was_error_stopped = self.services.exit_noted(old)
            if not self.checkpoints.service_exited(job_id):
                self.services.exited(old, update, was_error_stopped)
            return
        note = getattr(update, "note", None)
        fresh: Optional[JobDescription] = None
        if note is not None and update.exitStatus == 0 and self.job_store.absorb_finish_note(job_id, note):
            tracker.take_deleted(job_id)  # the worker deleted it: nothing to read back
        else:
            fresh = tracker.take(job_id)
        self.progress.completed()
        if update.exitStatus != 0:
            logger.log(logging.DEBUG if fresh is None else logging.WARNING,
                       "Job failed with exit value %s%s: %s\nExit reason: %s",
                       update.exitStatus, _signal_note(update.exitStatus), fresh or job_id,
                       getattr(update.exitReason, "name", update.exitReason))
        if fresh is None:
            self.done(job_id, delete=False)
            return
        tracker.descs[job_id] = fresh
        if update.exitStatus == 0 and fresh.body_id is not None:
            logger.warning("Job %s ended without running; retrying it.", fresh)
            self.charge(fresh)
        elif update.exitStatus not in (0, EXIT_JOB_FAILED):
            self._charge_chain(fresh)  # unless the worker recorded this failure itself
        if fresh.body_id is not None:
            self.logs.print_new_failure_log(fresh)
            if fresh.remainingTryCount <= 0:
                self._totally_failed(fresh)
            else:
                logger.info("Job %s will be retried (%d tries left).", fresh, fresh.remainingTryCount)
                tracker.ready.append(fresh)
        else:
            self.enter_phase(fresh)

    def _on_updates(self, updates: List[UpdatedBatchJobInfo]) -> None:
        """Handle the batch jobs that ended since the last turn; the descriptions of their
        jobs (each read back to see what its worker recorded) are read together first."""
        if len(updates) > 1:
            tracker = self.tracker
            ended = [tracker.issued.get(update.jobID) for update in updates
                     if getattr(update, "note", None) is None or update.exitStatus != 0]  # (see _on_update)
            self.tracker.prefetch(job_id for job_id in ended if job_id is not None
                                  and getattr(tracker.descs.get(job_id), "kind", None) != SERVICE)
        try:
            for update in updates:
                self._on_update(update)
        finally:
            self.tracker.drop_prefetched()

    def charge(self, desc: JobDescription) -> None:
        """Charge one try to ``desc`` and write it back."""
        charge_failure(desc, self.config)
        self.tracker.store(desc)

    def _charge_chain(self, desc: JobDescription) -> None:
        """The worker died without recording why: charge the job it was running."""
        target: Optional[JobDescription] = desc
        while target is not None and target.body_id is None:
            phase = target.children if target.children else target.followOns
            target = self.tracker.load(phase[0]) if len(phase) == 1 else None
        if target is not None and not self.logs.has_new_failure_log(target):
            self.charge(target)

    def _totally_failed(self, desc: JobDescription) -> None:
        job_id = desc.stored_id
        logger.error("Job %s is completely failed", desc)
        self.messages.failed(desc.jobName, job_id)
        self.progress.failure()
        checkpoint = self.checkpoints.ancestor(job_id)
        if checkpoint is not None:
            self.checkpoints.restart(checkpoint)
            return
        self.tracker.failed[job_id] = desc
        self.propagate_failure(job_id)

    def restart_enclosing_checkpoint(self, job_id: str) -> bool:
        """Rerun the checkpoint that is ``job_id`` or encloses it, if it has tries left."""
        return self.checkpoints.restart_enclosing(job_id)

    def propagate_failure(self, job_id: str) -> None:
        """``job_id`` will never finish: its predecessors can't either.

        A predecessor still waiting for other successors keeps waiting for them (other branches
        run to the end, using its services); once nothing below it is left, its services are
        stopped and the failure moves on up. A loop, not recursion: chains can be long.
        """
        tracker = self.tracker
        pending = [job_id]
        while pending:
            failed_id = pending.pop()
            for parent_id in tracker.parents_of.pop(failed_id):
                tracker.failed_successors.add(parent_id)
                remaining = tracker.waiting_on.get(parent_id, 0) - 1
                if remaining > 0:
                    tracker.waiting_on[parent_id] = remaining
                    continue
                tracker.waiting_on.pop(parent_id, None)
                if not self.services.stop_after_failure(parent_id):
                    pending.append(parent_id)

    def _subtree_failed(self, job_id: str) -> None:
        """Nothing below ``job_id`` runs any more and something there failed."""
        if not self.services.stop_after_failure(job_id):
            self.propagate_failure(job_id)

    # ------------------------------------------------------------------ main loop
    def _outstanding(self) -> bool:
        return self.tracker.outstanding() or bool(self.services.queue)

    def run(self) -> None:
        """Run until the root job and all its successors are done; raise on failures."""
        # SIGTERM and Ctrl-C only record the request: the loop stops at its next turn (within a
        # second). An exception raised from a handler could land anywhere, even between taking and
        # releasing a lock (logging's, a queue's), and the shutdown would then hang on that lock.
        # A second Ctrl-C interrupts at once.
        handled = (signal.SIGTERM, signal.SIGINT)
        previous: Dict[int, Any] = {}

        def on_signal(signum: int, frame: Optional[FrameType]) -> None:
            if signum == signal.SIGINT and self._stop_signal == signal.SIGINT:
                raise KeyboardInterrupt
            self._stop_signal = signum

        try:
            for handled_signal in handled:
                previous[handled_signal] = signal.signal(handled_signal, on_signal)
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
        self.logs.read(force=True)
        tracker = self.tracker
        if tracker.failed or not self.root_done:
            failed = list(tracker.failed.values())
            if not failed:
                failed = [d for d in tracker.descs.values() if d.body_id is not None]
            logger.error("Failed jobs at end of the run: %s", " ".join(str(d) for d in failed))
            # As upstream, the count also holds the jobs that ran but cannot finish because of the
            # failures (their successors can never complete): the jobs that failed come first.
            failed += self._stuck_predecessors(failed)
            logs = self.logs.logs_of(set(tracker.failed))
            self._write_status("failed.log")
            # The logs were printed when the jobs failed (unless the log level hid them): the
            # report of the uncaught exception does not repeat them.
            raise FailedJobsException(self.job_store, failed, exit_code=1, logs=logs,
                                      logs_printed=logger.isEnabledFor(logging.WARNING))
        self._write_status("succeeded.log")

    def _stuck_predecessors(self, failed: List[JobDescription]) -> List[JobDescription]:
        """Tracked jobs that have run but wait on successors that can never finish (the jobs
        upstream counts as failed along with the ones that failed)."""
        failed_ids = {d.stored_id for d in failed}
        return [d for d in self.tracker.descs.values()
                if d.stored_id not in failed_ids and d.body_id is None and d.kind != SERVICE]

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
        services = self.services
        while True:
            if self._stop_signal is not None:
                self._stop_on_signal()
            self._process_phases()
            self._issue_ready()
            self.messages.tick(len(self.tracker.issued))
            if not self._outstanding():
                if services.awaiting_start:
                    services.check_started()
                    continue
                break
            wait = 0.05 if services.awaiting_start else 1.0
            update = self.batch_system.getUpdatedBatchJob(wait)
            updates: List[UpdatedBatchJobInfo] = []
            while update is not None:
                updates.append(update)
                if len(updates) >= 1000:
                    break
                update = self.batch_system.getUpdatedBatchJob(0)
            self._on_updates(updates)
            if services.awaiting_start:
                services.check_started()
            self.logs.read()
            self.periodic.tick()
            if self.tracker.failed and not self.tracker.ready:
                services.stop_idle()
