"""The leader's part for services: start service hosts before their client's successors, stop
them after, fail the client when a service fails, and keep within --maxServiceJobs."""
from __future__ import annotations

import collections
import logging
from typing import Deque, Dict, List, Set

from toil_core.batch.abstract import UpdatedBatchJobInfo
from toil_core.common.config import Config
from toil_core.job.commit import EXIT_JOB_FAILED
from toil_core.job.description import SERVICE, JobDescription
from toil_core.jobstores.abstract import AbstractJobStore
from toil_core.leader.job_logs import JobLogs
from toil_core.leader.progress import ProgressBar
from toil_core.leader.tracker import GraphMoves, JobTracker

__all__ = ["Services"]

logger = logging.getLogger("toil_core.leader.leader")


class Services:
    """The service jobs of a workflow run: which hosts serve which client, which are starting,
    running or stopping, and how many run (for --maxServiceJobs / --maxPreemptibleServiceJobs).

    Service hosts are issued like other jobs (queued on the tracker's ready queue); a host's
    start, stop and failure are signalled through its flag files in the job store.
    """

    def __init__(self, config: Config, job_store: AbstractJobStore, tracker: JobTracker,
                 moves: GraphMoves, logs: JobLogs, progress: ProgressBar) -> None:
        self.config = config
        self.job_store = job_store
        self.tracker = tracker
        self.moves = moves
        self.logs = logs
        self.progress = progress
        #: host ID -> the ID of the client job it serves.
        self.client_of: Dict[str, str] = {}
        #: client ID -> its hosts that have not started yet.
        self.starting: Dict[str, Set[str]] = {}
        #: Hosts issued whose start flag is still there, and hosts waiting for their parent
        #: service (parent host ID -> hosts) before they are issued.
        self.awaiting_start: Dict[str, JobDescription] = {}
        self.waiting_parent: Dict[str, List[JobDescription]] = collections.defaultdict(list)
        #: client ID -> its hosts told to stop that have not exited yet.
        self.stopping: Dict[str, Set[str]] = {}
        #: client ID -> all its hosts, from the start of its services until they stopped.
        self.started: Dict[str, Set[str]] = {}
        #: Hosts waiting for a free service slot.
        self.queue: Deque[JobDescription] = collections.deque()
        self.running = 0
        self.running_preemptible = 0
        #: Hosts stopped because of a failure (their error flag deleted): they exit with an error
        #: on purpose and stay in the job store, so --restart runs them again.
        self.error_stopped: Set[str] = set()

    # ------------------------------------------------------------------ queries
    def has_started(self, client_id: str) -> bool:
        """Whether the client's services were started (and have not all stopped)."""
        return client_id in self.started

    def is_running_for(self, client_id: str) -> bool:
        """Whether the client has services started and not stopped."""
        return bool(self.started.get(client_id))

    def stopping_hosts(self) -> Set[str]:
        """Hosts told to stop (normally) that have not exited yet."""
        return set().union(*self.stopping.values()) if self.stopping else set()

    def is_serving(self, host_id: str, stopping: Set[str]) -> bool:
        """Whether a running host has started and was not told to stop (``stopping``: from
        :meth:`stopping_hosts`), that is, it only waits for its users."""
        return (host_id not in self.awaiting_start and host_id not in stopping
                and host_id not in self.error_stopped)

    def _start_flag_up(self, host: JobDescription) -> bool:
        """Whether the host's start flag file is still there (the service has not started)."""
        flag = host.startJobStoreID
        return flag is not None and self.job_store.file_exists(flag)

    # ------------------------------------------------------------------ issuing
    def slot_free(self, desc: JobDescription) -> bool:
        """Whether a service host may be issued now without passing --max(Preemptible)ServiceJobs."""
        if desc.preemptible:
            return self.running_preemptible < self.config.maxPreemptibleServiceJobs
        return self.running < self.config.maxServiceJobs

    def issued(self, host: JobDescription) -> None:
        """A host was issued: it takes a slot."""
        if host.preemptible:
            self.running_preemptible += 1
        else:
            self.running += 1

    def _slot_freed(self, host: JobDescription) -> None:
        if host.preemptible:
            self.running_preemptible -= 1
        else:
            self.running -= 1

    # ------------------------------------------------------------------ starting
    def start(self, client: JobDescription) -> None:
        """The client has run: issue its services (a host after its parent service started);
        the client's successors start once all of them have (:meth:`check_started`)."""
        tracker = self.tracker
        hosts = [h for h in tracker.load_many(client.services).values() if h is not None]
        pending: Set[str] = set()
        for host in hosts:
            self.client_of[host.stored_id] = client.stored_id
            tracker.descs[host.stored_id] = host
            if not self._start_flag_up(host):
                continue  # already started (restart) — treat as running
            pending.add(host.stored_id)
        self.started[client.stored_id] = {h.stored_id for h in hosts}
        if not pending:
            self.moves.enter_phase(client)
            return
        self.starting[client.stored_id] = pending
        for host in hosts:
            if host.stored_id not in pending:
                continue
            if host.parent_service and host.parent_service in pending:
                self.waiting_parent[host.parent_service].append(host)
            else:
                self._issue(host)

    def _issue(self, host: JobDescription) -> None:
        self.awaiting_start[host.stored_id] = host
        self.tracker.ready.append(host)

    def check_started(self) -> None:
        """Notice the hosts that started (deleted their start flag) since the last look."""
        for host_id, host in list(self.awaiting_start.items()):
            if host_id not in self.tracker.batch_id_of and host in self.tracker.ready:
                continue
            if self._start_flag_up(host):
                continue
            del self.awaiting_start[host_id]
            self._started(host)

    def _started(self, host: JobDescription) -> None:
        logger.debug("Service %s has started", host)
        for child in self.waiting_parent.pop(host.stored_id, []):
            self._issue(child)
        client_id = self.client_of[host.stored_id]
        pending = self.starting.get(client_id)
        if pending is None:
            return
        pending.discard(host.stored_id)
        if not pending:
            del self.starting[client_id]
            client = self.tracker.descs.get(client_id)
            if client is not None:
                self.moves.enter_phase(client)

    # ------------------------------------------------------------------ stopping
    def stop(self, client: JobDescription, error: bool = False) -> None:
        """Tell the client's services to stop; the client moves on once they all exited."""
        hosts = self.started.get(client.stored_id, set())
        still_running = {h for h in hosts if h in self.tracker.batch_id_of}
        for host_id in hosts:
            self.signal_stop(host_id, error)
        if still_running:
            self.stopping[client.stored_id] = still_running
        else:
            self._stopped(client.stored_id)

    def stop_after_failure(self, job_id: str) -> bool:
        """Stop the job's services (the failure moves on once they stopped); False if it has none."""
        desc = self.tracker.descs.get(job_id)
        if desc is None or not self.started.get(job_id):
            return False
        logger.info("Instructing all other services of job %s to quit.", desc)
        self.stop(desc, error=True)
        return True

    def signal_stop(self, host_id: str, error: bool) -> None:
        """Tell a service host to stop (with ``error``, to fail so it is kept for a restart)."""
        host = self.tracker.get(host_id)
        if host is None:
            return
        if error and host.errorJobStoreID:
            self.error_stopped.add(host_id)
            self.job_store.delete_file(host.errorJobStoreID)
        if host.terminateJobStoreID:
            self.job_store.delete_file(host.terminateJobStoreID)

    def _stopped(self, client_id: str) -> None:
        self.started.pop(client_id, None)
        self.stopping.pop(client_id, None)
        if client_id in self.tracker.failed:
            return
        if client_id in self.tracker.failed_successors:
            self.moves.propagate_failure(client_id)  # kept in the store for --restart
            return
        self.moves.done(client_id, delete=True)

    def client_done(self, client_id: str) -> None:
        """The client finished: its services are no longer tracked."""
        self.started.pop(client_id, None)

    def stop_idle(self) -> None:
        """After failures, stop services once only service jobs are left running.

        Nothing can use them any more (their users failed or wait for failed jobs). Services
        that are starting or queued are about to be used, and services already being stopped
        normally are left alone. Checked again whenever the loop is idle: work can resume later.
        """
        tracker = self.tracker
        if self.awaiting_start or self.queue or tracker.phase_queue:
            return
        if any((tracker.descs.get(j) or JobDescription()).kind != SERVICE for j in tracker.issued.values()):
            return
        for client_id, hosts in list(self.started.items()):
            if client_id in self.stopping:
                continue
            for host_id in hosts:
                if host_id in tracker.batch_id_of and host_id not in self.error_stopped:
                    self.signal_stop(host_id, error=True)

    # ------------------------------------------------------------------ failures
    def _start_failed(self, client_id: str) -> None:
        """A service of the client failed for good: its successors can never run.

        Services of the client that were not issued yet are dropped, the running ones are told
        to stop, and then the failure moves on to the client's predecessors.
        """
        if self.moves.restart_enclosing_checkpoint(client_id):
            return
        tracker = self.tracker
        hosts = self.started.get(client_id, set())
        unissued = {h for h in hosts if h not in tracker.batch_id_of}
        tracker.ready = collections.deque(d for d in tracker.ready if d.stored_id not in unissued)
        self.queue = collections.deque(d for d in self.queue if d.stored_id not in unissued)
        for host_id in unissued:
            self.awaiting_start.pop(host_id, None)
            self.waiting_parent.pop(host_id, None)
        tracker.failed_successors.add(client_id)
        client = tracker.descs.get(client_id)
        if client is not None:
            self.stop(client, error=True)

    def _running_failed(self, host: JobDescription, client_id: str) -> None:
        """A started service died before it was told to stop: its client's group is broken.

        Its users already have its start value, so it is not rerun: the failure is reported, the
        client's other services are told to stop, and the client never counts as finished (its
        successors still running are left to end; no further phase of the client starts).
        """
        logger.error("Service %s failed while its client's successors were using it", host)
        self.progress.failure()
        if self.moves.restart_enclosing_checkpoint(client_id):
            return
        self.tracker.failed[host.stored_id] = host
        self.tracker.failed_successors.add(client_id)
        logger.info("Instructing all other services of job %s to quit.", self.tracker.descs.get(client_id, client_id))
        for host_id in self.started.get(client_id, ()):
            if host_id != host.stored_id:
                self.signal_stop(host_id, error=True)

    # ------------------------------------------------------------------ exits
    def exit_noted(self, host: JobDescription) -> bool:
        """A host's batch job ended: its slot is free. True if it was stopped because of a
        failure (:meth:`exited` needs to know; call this first)."""
        self._slot_freed(host)
        was_error_stopped = host.stored_id in self.error_stopped
        self.error_stopped.discard(host.stored_id)
        return was_error_stopped

    def exited(self, host: JobDescription, update: UpdatedBatchJobInfo, was_error_stopped: bool) -> None:
        """A host's batch job ended (after :meth:`exit_noted`): retry a host that failed to
        start, fail the client of one that died while in use, or count one that was told to stop."""
        tracker = self.tracker
        host_id = host.stored_id
        client_id = self.client_of.get(host_id, "")
        if host_id in self.awaiting_start:
            fresh = tracker.load(host_id)
            del self.awaiting_start[host_id]
            if fresh is not None and self._start_flag_up(fresh):
                if update.exitStatus not in (0, EXIT_JOB_FAILED) and not self.logs.has_new_failure_log(fresh):
                    self.moves.charge(fresh)
                self.logs.print_new_failure_log(fresh)
                if fresh.remainingTryCount > 0:
                    tracker.descs[host_id] = fresh
                    self._issue(fresh)
                    return
                logger.error("Service %s failed to start", fresh)
                tracker.failed[host_id] = fresh
                self.starting.pop(client_id, None)
                self._start_failed(client_id)
                return
            self._started(host)
        elif update.exitStatus != 0 and was_error_stopped:
            logger.debug("Service %s stopped because of a failure; kept for a restart", host)
        elif update.exitStatus != 0:
            fresh = tracker.load(host_id)
            if fresh is not None:
                self.logs.print_new_failure_log(fresh)
            logger.warning("Service %s ended with exit status %s", host, update.exitStatus)
            if client_id not in self.stopping:
                self._running_failed(host, client_id)
        stopping = self.stopping.get(client_id)
        if stopping is not None:
            stopping.discard(host_id)
            if not stopping:
                self._stopped(client_id)

    # ------------------------------------------------------------------ checkpoint restarts
    def forget(self, job_id: str) -> None:
        """Drop every piece of service state about a job (deleted by a checkpoint restart)."""
        self.started.pop(job_id, None)
        self.starting.pop(job_id, None)
        self.stopping.pop(job_id, None)
        self.awaiting_start.pop(job_id, None)
        self.waiting_parent.pop(job_id, None)
        self.client_of.pop(job_id, None)

    def forget_client(self, client_id: str) -> None:
        """Forget the services of a client whose subtree is thrown away (a checkpoint restart)."""
        self.started.pop(client_id, None)
        self.starting.pop(client_id, None)
        self.stopping.pop(client_id, None)

    def drop_queued(self, job_ids: Set[str]) -> None:
        """Remove these hosts from the queue of hosts waiting for a slot."""
        self.queue = collections.deque(d for d in self.queue if d.stored_id not in job_ids)
