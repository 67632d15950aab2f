"""Upstream's stand-alone service scheduler (``toil.leader.ServiceManager``), over a job store.

The engine's own leader starts services inside its scheduling loop (:mod:`toil_core.leader.services`);
code written for upstream drives services through this class instead. Both follow the same
protocol, stored in the job store's flag files of each service host
(:class:`~toil_core.job.description.JobDescription`): the host deletes ``startJobStoreID`` once
its service is up, the leader deletes ``terminateJobStoreID`` to stop it (and ``errorJobStoreID``
first, to make it fail), and a host whose terminate file is gone is no longer active.

A background thread takes each client job given to :meth:`ServiceManager.put_client`, offers its
service hosts to the caller (:meth:`get_startable_service`), parents before the services that
wait for them, and when every service of the client is running hands the client back through
:meth:`get_ready_client`; a client whose service stopped before starting comes back through
:meth:`get_unservable_client` instead.
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Dict, Iterable, List, Optional, Set

__all__ = ["ServiceManager"]

logger = logging.getLogger("toil.serviceManager")

#: Seconds between looks at the flag files of services that are starting.
POLL_INTERVAL = 0.1


class _StoreJobs:
    """The job descriptions, read from the job store (used when no ``toil_state`` is given)."""

    def __init__(self, job_store: Any) -> None:
        self.job_store = job_store

    def get_job(self, job_id: str) -> Any:
        return self.job_store.load_job(job_id)


class ServiceManager:
    """Schedules the services of client jobs (see the module docstring).

    ``toil_state`` is anything with ``get_job(job_id)`` returning the current description (upstream's
    ToilState); without it descriptions are loaded from ``job_store``.
    """

    def __init__(self, job_store: Any, toil_state: Any = None) -> None:
        self.job_store = job_store
        self.toil_state = toil_state if toil_state is not None else _StoreJobs(job_store)
        self._waiting_clients: "queue.Queue[str]" = queue.Queue()
        self._ready_clients: "queue.Queue[str]" = queue.Queue()
        self._unservable_clients: "queue.Queue[str]" = queue.Queue()
        self._startable_services: "queue.Queue[str]" = queue.Queue()
        self._lock = threading.Lock()
        #: Clients whose services are being started, and the services handed out but not running.
        self._starting_clients: Set[str] = set()
        self._services_out = 0
        #: Services this manager offered, per client, so shutdown() can stop what it started.
        self._offered: Dict[str, List[str]] = {}
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._error: Optional[BaseException] = None

    # ------------------------------------------------------------------ queries
    def services_are_starting(self, job_id: str) -> bool:
        """True while the services of client ``job_id`` are being started."""
        with self._lock:
            return job_id in self._starting_clients

    def get_job_count(self) -> int:
        """The jobs this manager is working on: clients being served plus services handed out."""
        with self._lock:
            return len(self._starting_clients) + self._services_out

    def is_active(self, service_id: str) -> bool:
        """True until the service is told to stop (its terminate flag file is deleted)."""
        service = self.toil_state.get_job(service_id)
        return bool(service.terminateJobStoreID) and self.job_store.file_exists(service.terminateJobStoreID)

    def is_running(self, service_id: str) -> bool:
        """True when the service has started and has not been told to stop."""
        service = self.toil_state.get_job(service_id)
        started = not (service.startJobStoreID and self.job_store.file_exists(service.startJobStoreID))
        return started and self.is_active(service_id)

    # ------------------------------------------------------------------ the caller's side
    def start(self) -> None:
        """Start the scheduling thread."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="toil-service-manager", daemon=True)
        self._thread.start()

    def put_client(self, client_id: str) -> None:
        """Start the services of job ``client_id`` in the background."""
        with self._lock:
            self._starting_clients.add(client_id)
        self._waiting_clients.put(client_id)

    def get_ready_client(self, maxWait: float) -> Optional[str]:
        """A client whose services are all running, waiting up to ``maxWait`` seconds; else None."""
        return self._take_client(self._ready_clients, maxWait)

    def get_unservable_client(self, maxWait: float) -> Optional[str]:
        """A client one of whose services stopped before starting, waiting up to ``maxWait``; else None."""
        return self._take_client(self._unservable_clients, maxWait)

    def get_startable_service(self, maxWait: float) -> Optional[str]:
        """A service host job the caller should issue now, waiting up to ``maxWait``; else None."""
        try:
            service_id = self._startable_services.get(timeout=maxWait)
        except queue.Empty:
            return None
        with self._lock:
            self._services_out -= 1
        return service_id

    def kill_services(self, service_ids: Iterable[str], error: bool = False) -> None:
        """Tell the services to stop; with ``error`` they stop as failed."""
        for service_id in service_ids:
            service = self.toil_state.get_job(service_id)
            if error and service.errorJobStoreID:
                self._delete_flag(service.errorJobStoreID)
            if service.terminateJobStoreID:
                self._delete_flag(service.terminateJobStoreID)

    def check(self) -> None:
        """Raise if the scheduling thread died (with its error as the cause)."""
        if self._error is not None:
            raise RuntimeError("The service manager's thread failed.") from self._error
        if self._thread is not None and not self._thread.is_alive() and not self._stop.is_set():
            raise RuntimeError("The service manager's thread has quit.")

    def shutdown(self) -> None:
        """Stop the thread, and stop the services of clients that were never handed back."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            unfinished = [s for client in self._starting_clients for s in self._offered.get(client, [])]
        if unfinished:
            self.kill_services(unfinished, error=True)

    # ------------------------------------------------------------------ the thread
    def _take_client(self, source: "queue.Queue[str]", maxWait: float) -> Optional[str]:
        try:
            client_id = source.get(timeout=maxWait)
        except queue.Empty:
            return None
        with self._lock:
            self._starting_clients.discard(client_id)
            self._offered.pop(client_id, None)
        return client_id

    def _delete_flag(self, file_id: str) -> None:
        if self.job_store.file_exists(file_id):
            self.job_store.delete_file(file_id)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    client_id = self._waiting_clients.get(timeout=POLL_INTERVAL)
                except queue.Empty:
                    continue
                served = self._serve(client_id)
                if served is None:
                    return  # shutting down
                (self._ready_clients if served else self._unservable_clients).put(client_id)
        except BaseException as error:  # reported by check()
            self._error = error
            logger.exception("The service manager failed")

    def _batches(self, client: Any) -> List[List[Any]]:
        """The client's service hosts in start order: those with no parent service first, then
        the services waiting for them, and so on."""
        hosts = [self.toil_state.get_job(host_id) for host_id in client.services]
        placed: Set[Optional[str]] = {None}
        batches: List[List[Any]] = []
        remaining = list(hosts)
        while remaining:
            waiting_for = {r.jobStoreID for r in remaining}
            batch = [h for h in remaining if h.parent_service in placed or h.parent_service not in waiting_for]
            batch = batch or remaining  # a cycle of parents: start them together rather than never
            batches.append(batch)
            placed.update(h.jobStoreID for h in batch)
            remaining = [h for h in remaining if h not in batch]
        return batches

    def _serve(self, client_id: str) -> Optional[bool]:
        """Offer the client's services batch by batch and wait for each to start: True when all
        run, False when one stopped first, None when shutting down."""
        client = self.toil_state.get_job(client_id)
        for batch in self._batches(client):
            for host in batch:
                with self._lock:
                    self._services_out += 1
                    self._offered.setdefault(client_id, []).append(host.jobStoreID)
                self._startable_services.put(host.jobStoreID)
            for host in batch:
                while host.startJobStoreID and self.job_store.file_exists(host.startJobStoreID):
                    if host.terminateJobStoreID and not self.job_store.file_exists(host.terminateJobStoreID):
                        logger.debug("Service %s of %s stopped before it started", host, client_id)
                        self.kill_services(self._offered.get(client_id, []), error=True)
                        return False
                    if self._stop.wait(POLL_INTERVAL):
                        return None
        return True
