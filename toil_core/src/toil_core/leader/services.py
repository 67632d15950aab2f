"""The leader's part for services: start service hosts before their client's successors, stop
them after, fail the client when a service fails, and keep within --maxServiceJobs."""
from __future__ import annotations

import collections
import logging
from typing import Any, Set

from toil_core.job.commit import EXIT_JOB_FAILED
from toil_core.job.description import SERVICE, JobDescription

logger = logging.getLogger("toil_core.leader.leader")


class ServicesMixin:
    """Methods of :class:`~toil_core.leader.leader.Leader` about service jobs."""

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
                if update.exitStatus not in (0, EXIT_JOB_FAILED) and not self._worker_recorded(fresh):
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
