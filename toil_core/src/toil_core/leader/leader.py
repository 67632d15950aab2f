"""The leader: schedules ready jobs on the batch system until the workflow is done.

The leader keeps the description of every job it is tracking in memory and reacts to events
(a batch job ended, a service started, a timer fired); no event scans all jobs. Workers record
finished jobs themselves, so the leader mostly reads: it deletes the description of a job whose
successors all finished, and updates descriptions only on failures and checkpoint restarts.

A successor listed in a description that no longer exists in the job store has finished (workers
delete finished leaf jobs, the leader deletes finished inner jobs). The same rule lets
``--restart`` rebuild the leader's state by walking the stored graph from the root.
"""
from __future__ import annotations

import collections
import json
import logging
import os
import signal
import time
from typing import Any, Deque, Dict, List, Optional, Set

from toil_core.batch.abstract import worker_command
from toil_core.job.description import INLINE_BODY, SERVICE, JobDescription
from toil_core.leader.errors import DeadlockException, FailedJobsException, KilledWorkflowException
from toil_core.leader.messages import LeaderMessages
from toil_core.leader.parents import ParentIndex
from toil_core.leader.progress import ProgressBar
from toil_core.worker.attempt_files import discard_attempt_files
from toil_core.worker.worker import EXIT_JOB_FAILED, charge_failure

logger = logging.getLogger(__name__)

LOG_MARKER = "---TOIL WORKER OUTPUT LOG---"


class Leader:
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
        self.progress = ProgressBar(not getattr(config, "disableProgress", False))
        self.completed_count = 0
        self._env = self._job_environment()
        self._env_by_threads: Dict[int, Dict[str, str]] = {}
        self._last_logs = 0.0
        self._last_kill_check = time.time()
        self._last_rescue = time.time()
        self._last_status = time.time()
        self._last_deadlock_check = time.time()
        self._missing_counts: Dict[int, int] = {}
        self.messages = LeaderMessages(config, job_store, batch_system)  # --writeMessages, toil status

    # ------------------------------------------------------------------ helpers
    def _job_environment(self) -> Dict[str, str]:
        env: Dict[str, str] = {}
        for name, value in (getattr(self.config, "environment", None) or {}).items():
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
        except Exception as error:
            if type(error).__name__ == "NoSuchJobException":
                return None
            raise
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
            return self.running_preemptible_services < int(getattr(self.config, "maxPreemptibleServiceJobs", 1 << 62))
        return self.running_services < int(getattr(self.config, "maxServiceJobs", 1 << 62))

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
                       "Job failed with exit value %s: %s\nExit reason: %s",
                       update.exitStatus, fresh or job_id, getattr(update.exitReason, "name", update.exitReason))
        if fresh is None:
            self._done(job_id, delete=False)
            return
        self.descs[job_id] = fresh
        if update.exitStatus == 0 and fresh.body_id is not None:
            logger.warning("Job %s ended without running; retrying it.", fresh)
            self._charge(fresh)
        elif update.exitStatus not in (0, EXIT_JOB_FAILED):
            self._charge_chain(fresh)
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
        if target is not None:
            self._charge(target)

    def _print_job_log(self, desc: JobDescription) -> None:
        file_id = desc.logJobStoreFileID
        self.printed_logs.add(file_id)
        try:
            with self.job_store.read_file_stream(file_id) as stream:
                text = stream.read().decode("utf-8", errors="replace")
        except Exception:
            return
        self.failure_logs[desc.jobStoreID] = text
        prefix = f"{desc.jobStoreID}"
        lines = [f"{prefix}    {LOG_MARKER}"] + [f"{prefix}    {line}" for line in text.splitlines()]
        lines.append(f"{prefix}    {LOG_MARKER}")
        logger.warning("Log from job %s follows:\n%s", desc, "\n".join(lines))
        self._write_log_file(desc, text)

    def _write_log_file(self, desc: JobDescription, text: str) -> None:
        self._write_log_text(desc.jobName, str(desc.jobStoreID), text)

    def _write_log_text(self, job_name: str, job_id: str, text: str) -> None:
        """With --writeLogs/--writeLogsGzip: one file per received job log (retries get a number)."""
        directory = getattr(self.config, "writeLogs", None) or getattr(self.config, "writeLogsGzip", None)
        if not directory:
            return
        os.makedirs(directory, exist_ok=True)
        name = f"{job_name}_{job_id}".replace("/", "_").replace(" ", "-")
        extension = ".log.gz" if getattr(self.config, "writeLogsGzip", None) else ".log"
        path = os.path.join(directory, name + extension)
        attempt = 1
        while os.path.exists(path):  # a retried job: keep every attempt's log
            attempt += 1
            path = os.path.join(directory, f"{name}_{attempt}{extension}")
        if extension == ".log.gz":
            import gzip

            with gzip.open(path, "wt") as handle:
                handle.write(text)
        else:
            with open(path, "w") as handle:
                handle.write(text)

    def _received_worker_log(self, worker_log: Dict[str, Any]) -> None:
        """The output of jobs that succeeded (sent with --writeLogsFromAllJobs or at DEBUG level)."""
        jobs = worker_log.get("jobs") or [["job", "unknown"]]
        job_name, job_id = jobs[0]
        text = str(worker_log.get("text", ""))
        if logger.isEnabledFor(logging.DEBUG):
            lines = [f"{job_id}    {line}" for line in text.splitlines()]
            logger.debug("Received Toil worker log. Disable debug level logging to hide this output\n%s",
                         "\n".join(lines))
        self._write_log_text(job_name, job_id, text)

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

    # ------------------------------------------------------------------ checkpoints
    def _ancestors(self, job_id: str) -> List[str]:
        found: List[str] = []
        seen: Set[str] = set()
        stack = list(self.parents_of.get(job_id))
        while stack:
            parent = stack.pop()
            if parent in seen:
                continue
            seen.add(parent)
            found.append(parent)
            stack.extend(self.parents_of.get(parent))
        return found

    def _checkpoint_ancestor(self, job_id: str) -> Optional[JobDescription]:
        for ancestor_id in self._ancestors(job_id):
            ancestor = self.descs.get(ancestor_id)
            if ancestor is not None and ancestor.checkpoint and ancestor.checkpoint_body_id:
                if ancestor.remainingTryCount > 1:
                    return ancestor
                return None
        return None

    def _subtree(self, desc: JobDescription) -> List[str]:
        found: List[str] = []
        seen: Set[str] = set()
        stack = list(desc.successors()) + list(desc.services)
        while stack:
            job_id = stack.pop()
            if job_id in seen:
                continue
            seen.add(job_id)
            found.append(job_id)
            child = self._load(job_id)
            if child is not None:
                stack.extend(child.successors())
                stack.extend(child.services)
        return found

    def _restart_checkpoint(self, desc: JobDescription) -> None:
        """Throw away the checkpoint's subtree and run the checkpoint again.

        Ordinary jobs of the subtree are killed at once. Running services are told to stop (with
        an error) instead, so their stop() can release what they hold; the checkpoint reruns once
        they are gone. Until then the store is untouched: a crash meanwhile is repaired by
        ``--restart``, which reruns started checkpoints anyway.
        """
        logger.warning("Job %s is being restarted as a checkpoint after the total failure of jobs in its subtree.", desc)
        subtree = self._subtree(desc)
        subtree_set = set(subtree)
        running_hosts = {j for j in subtree if j in self.batch_id_of
                         and getattr(self.descs.get(j), "kind", None) == SERVICE}
        to_kill = [self.batch_id_of[j] for j in subtree if j in self.batch_id_of and j not in running_hosts]
        if to_kill:
            self.batch_system.killBatchJobs(to_kill)  # killed jobs never report back
        for host_id in running_hosts:
            self._signal_stop(host_id, error=True)
        for job_id in subtree:
            if job_id in running_hosts:
                host = self.descs.get(job_id)
                self._forget(job_id)
                if host is not None:
                    self.descs[job_id] = host  # its exit must still reach _on_service_exit
                self.retiring[job_id] = str(desc.jobStoreID)
                continue
            batch_id = self.batch_id_of.pop(job_id, None)
            if batch_id is not None:
                self.issued.pop(batch_id, None)
                self._missing_counts.pop(batch_id, None)
            self._forget(job_id)
        # Forget the subtree everywhere, queues included, so nothing of it comes back later.
        self.ready = collections.deque(d for d in self.ready if d.jobStoreID not in subtree_set)
        self.service_queue = collections.deque(d for d in self.service_queue if d.jobStoreID not in subtree_set)
        self._phase_queue = collections.deque(d for d in self._phase_queue if d.jobStoreID not in subtree_set)
        for state in (self.waiting_on, self.started_services, self.services_starting, self.services_stopping):
            state.pop(desc.jobStoreID, None)
        self.failed_successors.discard(desc.jobStoreID)
        desc.remainingTryCount -= 1
        if running_hosts:
            self.checkpoint_waits[str(desc.jobStoreID)] = (desc, subtree, set(running_hosts))
            return
        self._rerun_checkpoint(desc, subtree)

    def _rerun_checkpoint(self, desc: JobDescription, subtree: List[str]) -> None:
        desc.body_id = desc.checkpoint_body_id
        desc.children, desc.followOns, desc.services = [], [], []
        self._store(desc)
        for job_id in subtree:
            self.job_store.delete_job(job_id)
            discard_attempt_files(self.job_store, job_id)  # the old subtree's files go with it
        self.descs[desc.jobStoreID] = desc
        self.ready.append(desc)

    def _forget(self, job_id: str) -> None:
        """Drop every piece of in-memory state about a job (deleted by a checkpoint restart)."""
        for state in (self.descs, self.waiting_on, self.released, self.failed, self.parents_of,
                      self.started_services, self.services_starting, self.services_stopping,
                      self.hosts_awaiting_start, self.hosts_waiting_parent, self.service_client):
            state.pop(job_id, None)  # type: ignore[attr-defined]
        self.failed_successors.discard(job_id)

    def _restart_enclosing_checkpoint(self, job_id: str) -> bool:
        """Rerun the checkpoint that is ``job_id`` or encloses it, if it has tries left."""
        desc = self.descs.get(job_id)
        if desc is not None and desc.checkpoint and desc.checkpoint_body_id and desc.body_id is None:
            if desc.remainingTryCount > 1:
                self._restart_checkpoint(desc)
                return True
            return False
        checkpoint = self._checkpoint_ancestor(job_id)
        if checkpoint is not None:
            self._restart_checkpoint(checkpoint)
            return True
        return False

    # ------------------------------------------------------------------ services
    def _start_services(self, client: JobDescription) -> None:
        hosts = [h for h in (self._load(i) for i in client.services) if h is not None]
        pending: Set[str] = set()
        for host in hosts:
            self.service_client[host.jobStoreID] = client.jobStoreID
            self.descs[host.jobStoreID] = host
            if not self.job_store.file_exists(host.startJobStoreID):
                continue  # already started (restart) — treat as running
            pending.add(host.jobStoreID)
        self.started_services[client.jobStoreID] = {h.jobStoreID for h in hosts}
        if not pending:
            self._enter_phase(client)
            return
        self.services_starting[client.jobStoreID] = pending
        for host in hosts:
            if host.jobStoreID not in pending:
                continue
            if host.parent_service and host.parent_service in pending:
                self.hosts_waiting_parent[host.parent_service].append(host)
            else:
                self._issue_service(host)

    def _issue_service(self, host: JobDescription) -> None:
        self.hosts_awaiting_start[host.jobStoreID] = host
        self.ready.append(host)

    def _check_services_started(self) -> None:
        for host_id, host in list(self.hosts_awaiting_start.items()):
            if host_id not in self.batch_id_of and host in self.ready:
                continue
            if self.job_store.file_exists(host.startJobStoreID):
                continue
            del self.hosts_awaiting_start[host_id]
            self._service_started(host)

    def _service_started(self, host: JobDescription) -> None:
        logger.debug("Service %s has started", host)
        for child in self.hosts_waiting_parent.pop(host.jobStoreID, []):
            self._issue_service(child)
        client_id = self.service_client[host.jobStoreID]
        pending = self.services_starting.get(client_id)
        if pending is None:
            return
        pending.discard(host.jobStoreID)
        if not pending:
            del self.services_starting[client_id]
            client = self.descs.get(client_id)
            if client is not None:
                self._enter_phase(client)

    def _stop_services(self, client: JobDescription, error: bool = False) -> None:
        hosts = self.started_services.get(client.jobStoreID, set())
        still_running = {h for h in hosts if h in self.batch_id_of}
        for host_id in hosts:
            self._signal_stop(host_id, error)
        if still_running:
            self.services_stopping[client.jobStoreID] = still_running
        else:
            self._services_stopped(client.jobStoreID)

    def _signal_stop(self, host_id: str, error: bool) -> None:
        """Tell a service host to stop (with ``error``, to fail so it is kept for a restart)."""
        host = self.descs.get(host_id) or self._load(host_id)
        if host is None:
            return
        if error and host.errorJobStoreID:
            self.error_stopped.add(host_id)
            self.job_store.delete_file(host.errorJobStoreID)
        if host.terminateJobStoreID:
            self.job_store.delete_file(host.terminateJobStoreID)

    def _services_stopped(self, client_id: str) -> None:
        self.started_services.pop(client_id, None)
        self.services_stopping.pop(client_id, None)
        if client_id in self.failed:
            return
        if client_id in self.failed_successors:
            self._propagate_failure(client_id)  # kept in the store for --restart
            return
        self._done(client_id, delete=True)

    def _service_start_failed(self, client_id: str) -> None:
        """A service of the client failed for good: its successors can never run.

        Services of the client that were not issued yet are dropped, the running ones are told
        to stop, and then the failure moves on to the client's predecessors.
        """
        if self._restart_enclosing_checkpoint(client_id):
            return
        hosts = self.started_services.get(client_id, set())
        unissued = {h for h in hosts if h not in self.batch_id_of}
        self.ready = collections.deque(d for d in self.ready if d.jobStoreID not in unissued)
        self.service_queue = collections.deque(d for d in self.service_queue if d.jobStoreID not in unissued)
        for host_id in unissued:
            self.hosts_awaiting_start.pop(host_id, None)
            self.hosts_waiting_parent.pop(host_id, None)
        self.failed_successors.add(client_id)
        client = self.descs.get(client_id)
        if client is not None:
            self._stop_services(client, error=True)

    def _running_service_failed(self, host: JobDescription, client_id: str) -> None:
        """A started service died before it was told to stop: its client's group is broken.

        Its users already have its start value, so it is not rerun: the failure is reported, the
        client's other services are told to stop, and the client never counts as finished (its
        successors still running are left to end; no further phase of the client starts).
        """
        logger.error("Service %s failed while its client's successors were using it", host)
        self.progress.failure()
        if self._restart_enclosing_checkpoint(client_id):
            return
        self.failed[host.jobStoreID] = host
        self.failed_successors.add(client_id)
        logger.info("Instructing all other services of job %s to quit.", self.descs.get(client_id, client_id))
        for host_id in self.started_services.get(client_id, ()):
            if host_id != host.jobStoreID:
                self._signal_stop(host_id, error=True)

    def _service_slot_freed(self, host: JobDescription) -> None:
        if host.preemptible:
            self.running_preemptible_services -= 1
        else:
            self.running_services -= 1

    def _on_service_exit(self, host: JobDescription, update: Any) -> None:
        self._service_slot_freed(host)
        host_id = host.jobStoreID
        was_error_stopped = host_id in self.error_stopped
        self.error_stopped.discard(host_id)
        checkpoint_id = self.retiring.pop(host_id, None)
        if checkpoint_id is not None:  # a service of a restarting checkpoint's old subtree
            self.descs.pop(host_id, None)
            wait = self.checkpoint_waits.get(checkpoint_id)
            if wait is not None:
                wait[2].discard(host_id)
                if not wait[2]:
                    del self.checkpoint_waits[checkpoint_id]
                    self._rerun_checkpoint(wait[0], wait[1])
            return
        client_id = self.service_client.get(host_id, "")
        if host_id in self.hosts_awaiting_start:
            fresh = self._load(host_id)
            del self.hosts_awaiting_start[host_id]
            if fresh is not None and self.job_store.file_exists(fresh.startJobStoreID):
                if update.exitStatus not in (0, EXIT_JOB_FAILED):
                    self._charge(fresh)
                if fresh.logJobStoreFileID and fresh.logJobStoreFileID not in self.printed_logs:
                    self._print_job_log(fresh)
                if fresh.remainingTryCount > 0:
                    self.descs[host_id] = fresh
                    self._issue_service(fresh)
                    return
                logger.error("Service %s failed to start", fresh)
                self.failed[host_id] = fresh
                self.services_starting.pop(client_id, None)
                self._service_start_failed(client_id)
                return
            self._service_started(host)
        elif update.exitStatus != 0 and was_error_stopped:
            logger.debug("Service %s stopped because of a failure; kept for a restart", host)
        elif update.exitStatus != 0:
            fresh = self._load(host_id)
            if fresh is not None and fresh.logJobStoreFileID and fresh.logJobStoreFileID not in self.printed_logs:
                self._print_job_log(fresh)
            logger.warning("Service %s ended with exit status %s", host, update.exitStatus)
            if client_id not in self.services_stopping:
                self._running_service_failed(host, client_id)
        stopping = self.services_stopping.get(client_id)
        if stopping is not None:
            stopping.discard(host_id)
            if not stopping:
                self._services_stopped(client_id)

    # ------------------------------------------------------------------ periodic checks
    def _read_logs(self, force: bool = False) -> None:
        now = time.time()
        if not force and now - self._last_logs < 0.5:
            return
        self._last_logs = now

        def handle(blob: Any) -> None:
            try:
                data = json.loads(blob if isinstance(blob, (str, bytes)) else blob.read())
            except Exception:
                return
            for message in data.get("logs", []):
                logger.log(int(message.get("level", logging.INFO)),
                           "Got message from job at time %s: %s", time.strftime("%m-%d-%Y %H:%M:%S"),
                           message.get("text"))
            if data.get("worker_log"):
                self._received_worker_log(data["worker_log"])

        try:
            self.job_store.read_logs(handle)
        except Exception:
            logger.debug("Could not read job logs", exc_info=True)

    def _check_kill_flag(self) -> None:
        interval = float(getattr(self.config, "kill_polling_interval", 5) or 5)
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
        frequency = float(getattr(self.config, "rescueJobsFrequency", 3600))
        max_duration = float(getattr(self.config, "maxJobDuration", 1 << 62))
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
            from toil_core.batch.abstract import BatchJobExitReason, UpdatedBatchJobInfo

            for batch_id in to_kill:
                self._on_update(UpdatedBatchJobInfo(batch_id, 3, BatchJobExitReason.KILLED, None))

    def _check_deadlock(self) -> None:
        now = time.time()
        interval = float(getattr(self.config, "deadlockCheckInterval", 30))
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
        wait = float(getattr(self.config, "deadlockWait", 60))
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
        wait = float(getattr(self.config, "statusWait", 3600))
        now = time.time()
        if now - self._last_status < wait:
            return
        self._last_status = now
        running = len(self.batch_system.getRunningBatchJobIDs())
        logger.info("%d jobs are running, %d jobs are issued and waiting to run", running, len(self.issued) - running)
        message = self.batch_system.getSchedulingStatusMessage()
        if message:
            logger.info(message)

    # ------------------------------------------------------------------ main loop
    def _outstanding(self) -> bool:
        return bool(self.ready or self.issued or self.service_queue or self._phase_queue)

    def run(self) -> None:
        """Run until the root job and all its successors are done; raise on failures."""
        previous = signal.getsignal(signal.SIGTERM)

        def on_term(signum: int, frame: Any) -> None:
            raise KilledWorkflowException("Received SIGTERM. Shutting down.")

        try:
            signal.signal(signal.SIGTERM, on_term)
        except ValueError:  # not the main thread
            previous = None
        try:
            self._consider(self.root)
            self._loop()
        finally:
            self.progress.close()
            self.messages.close()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        self._read_logs(force=True)
        if self.failed or not self.root_done:
            failed = list(self.failed.values())
            if not failed:
                failed = [d for d in self.descs.values() if d.body_id is not None]
            logger.error("Failed jobs at end of the run: %s", " ".join(str(d) for d in failed))
            logs = [f"Log from job {job_id}:\n{text}" for job_id, text in self.failure_logs.items()
                    if job_id in self.failed]
            self._write_status("failed.log")
            raise FailedJobsException(self.job_store, failed, exit_code=1, logs=logs)
        self._write_status("succeeded.log")

    def _write_status(self, name: str) -> None:
        try:
            with self.job_store.write_shared_file_stream(name) as stream:
                stream.write(b"")
        except Exception:
            pass

    def _loop(self) -> None:
        while True:
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

    def _stop_idle_services(self) -> None:
        """After failures, stop services once only service jobs are left running.

        Nothing can use them any more (their users failed or wait for failed jobs). Services
        that are starting or queued are about to be used, and services already being stopped
        normally are left alone. Checked again whenever the loop is idle: work can resume later.
        """
        if self.hosts_awaiting_start or self.service_queue or self._phase_queue:
            return
        if any((self.descs.get(j) or JobDescription()).kind != SERVICE for j in self.issued.values()):
            return
        for client_id, hosts in list(self.started_services.items()):
            if client_id in self.services_stopping:
                continue
            for host_id in hosts:
                if host_id in self.batch_id_of and host_id not in self.error_stopped:
                    self._signal_stop(host_id, error=True)
