"""The ``mesos`` batch system: Toil's jobs as the tasks of a Mesos framework.

The batch system subscribes a framework to the master (``--mesosEndpoint``; a bounded wait that
ends in :class:`MesosRegistrationError` naming the endpoint), keeps the issued jobs in a queue,
and packs queued jobs into each offer by cores, memory and disk (a job that is not preemptible
never goes to a preemptible agent; offers it cannot use are declined). Each task runs the worker
invocation through ``_toil_mesos_executor`` (one executor per agent), which reports its exit
status and wall time; task states map to :class:`BatchJobExitReason`. After a master failover
the driver re-subscribes with the framework ID and the batch system reconciles its tasks.
Executors' node reports feed the scalable interface (:meth:`getNodes`, :meth:`nodeInUse`,
:meth:`ignoreNode`) the cluster scaler uses. Jobs marked ``local`` run on the leader.
"""
from __future__ import annotations

import collections
import json
import logging
import os
import queue
import shlex
import shutil
import sys
import threading
import time
import urllib.request
import uuid
from typing import TYPE_CHECKING, Any, Deque, Dict, List, Optional, Set, Tuple

import attrs
from toil_core.plugin_api import (
    EXIT_STATUS_UNAVAILABLE_VALUE,
    AbstractScalableBatchSystem,
    BatchJobExitReason,
    BatchSystemLocalSupport,
    InsufficientSystemResources,
    NodeInfo,
    ToilError,
    UpdatedBatchJobInfo,
    WorkerInvocation,
    settings_from,
)

from toil_mesos.http_api import ApiError, decode_data
from toil_mesos.node_stats import NodeReport
from toil_mesos.offers import (
    Resources,
    agent_totals,
    describe,
    executor_info,
    is_preemptible,
    largest,
    offer_resources,
    task_info,
)
from toil_mesos.scheduler_driver import SchedulerDriver
from toil_mesos.settings import MesosSettings

if TYPE_CHECKING:
    from toil_core.plugin_api import Config

logger = logging.getLogger(__name__)

#: Mesos task states -> why the job ended.
EXIT_REASONS = {
    "TASK_FINISHED": BatchJobExitReason.FINISHED,
    "TASK_FAILED": BatchJobExitReason.FAILED,
    "TASK_KILLED": BatchJobExitReason.KILLED,
    "TASK_ERROR": BatchJobExitReason.ERROR,
    "TASK_LOST": BatchJobExitReason.LOST,
    "TASK_DROPPED": BatchJobExitReason.LOST,
    "TASK_GONE": BatchJobExitReason.LOST,
    "TASK_GONE_BY_OPERATOR": BatchJobExitReason.LOST,
    "TASK_UNREACHABLE": BatchJobExitReason.LOST,
    "TASK_UNKNOWN": BatchJobExitReason.LOST,
}
#: Seconds the master keeps the framework's tasks after losing the leader (then it kills them).
FAILOVER_TIMEOUT = 10.0
#: Seconds to wait for the master to confirm killed tasks.
KILL_TIMEOUT = 30.0
EXECUTOR_ID = "toil-executor"


class MesosRegistrationError(ToilError, RuntimeError):
    """The framework could not subscribe to the Mesos master."""


@attrs.define
class _Task:
    job_id: int
    task_id: str
    name: str
    cores: float
    memory: int
    disk: int
    preemptible: bool
    payload: Dict[str, Any]
    issued: float
    agent_id: Optional[str] = None
    hostname: Optional[str] = None
    launched: Optional[float] = None
    running: bool = False

    @property
    def shape(self) -> Tuple[float, int, int, bool]:
        return (self.cores, self.memory, self.disk, self.preemptible)


@attrs.define
class _Agent:
    hostname: str
    preemptible: bool


def _executor_command() -> str:
    candidate = os.path.join(os.path.dirname(sys.executable), "_toil_mesos_executor")
    if not os.path.exists(candidate):
        candidate = shutil.which("_toil_mesos_executor") or "_toil_mesos_executor"
    return shlex.quote(candidate)


class MesosBatchSystem(BatchSystemLocalSupport, AbstractScalableBatchSystem):
    """See the module docstring."""

    def __init__(self, config: Config, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        super().__init__(config, maxCores, maxMemory, maxDisk)
        self.settings: MesosSettings = settings_from(config, MesosSettings)
        self.endpoint = self.settings.endpoint()
        self.role = self.settings.mesos_role
        self._lock = threading.RLock()
        self._token = uuid.uuid4().hex[:8]
        self._queues: Dict[Tuple[float, int, int, bool], Deque[_Task]] = collections.OrderedDict()
        self._tasks: Dict[int, _Task] = {}
        self._by_task_id: Dict[str, _Task] = {}
        self._killing: Dict[str, _Task] = {}
        self._updates: "queue.Queue[UpdatedBatchJobInfo]" = queue.Queue()
        self._agents: Dict[str, _Agent] = {}
        self._totals: Optional[Dict[str, Tuple[Resources, bool]]] = None  # agent -> (totals, preemptible)
        self._totals_read = 0.0
        self._reports: Dict[str, Tuple[NodeReport, float]] = {}
        self._ignored: Set[str] = set()
        self._registered = threading.Event()
        self._shut_down = False
        self._executor_command = _executor_command()
        framework: Dict[str, Any] = {
            "user": os.environ.get("USER", "") or "root", "name": self.settings.mesos_name,
            "failover_timeout": FAILOVER_TIMEOUT, "checkpoint": False,
            "hostname": os.uname().nodename, "capabilities": []}
        if self.role:
            framework["roles"] = [self.role]
            framework["capabilities"].append({"type": "MULTI_ROLE"})
        if self.settings.mesos_framework_id:
            framework["id"] = {"value": self.settings.mesos_framework_id}
        try:
            self.driver = SchedulerDriver(self, framework, self.endpoint)
        except ValueError as error:
            raise MesosRegistrationError(str(error)) from None
        self.driver.start()
        self._wait_registered()

    # ------------------------------------------------------------------ registration
    def _wait_registered(self) -> None:
        timeout = float(os.environ.get("TOIL_MESOS_REGISTRATION_TIMEOUT") or 60)
        self.driver.wait(self._registered.is_set, timeout)
        if self._registered.is_set():
            return
        fatal = self.driver.fatal_error
        self.driver.stop()
        self.shutdownLocal()
        self._shut_down = True
        if fatal:
            raise MesosRegistrationError(f"The Mesos master at {self.endpoint} refused the framework: {fatal}. "
                                         "Check --mesosRole, --mesosName and --mesosFrameworkId.")
        raise MesosRegistrationError(
            f"Could not register with the Mesos master at {self.endpoint} within {timeout:g} s "
            f"({self.driver.last_error or 'no answer'}). Start the master or point --mesosEndpoint "
            "(alias --mesosMaster) at it as HOST:PORT.")

    def registered(self, driver: SchedulerDriver, framework_id: str, master_info: Dict[str, Any]) -> None:
        logger.info("Registered with the Mesos master at %s as framework %s", self.endpoint, framework_id)
        self._refresh_agent_totals()
        self._registered.set()

    def reregistered(self, driver: SchedulerDriver, master_info: Dict[str, Any]) -> None:
        logger.info("Re-registered with the Mesos master at %s; reconciling tasks", self.endpoint)
        with self._lock:
            launched = [{"task_id": t.task_id, "agent_id": t.agent_id or ""}
                        for t in [*self._tasks.values(), *self._killing.values()] if t.agent_id]
            killing = list(self._killing.values())
        if launched:
            self._try(driver.reconcile, launched)
        for task in killing:  # kills the old master may never have passed on
            self._try(driver.kill_task, task.task_id, task.agent_id)

    def disconnected(self, driver: SchedulerDriver) -> None:
        logger.warning("Disconnected from the Mesos master at %s", self.endpoint)

    def error(self, driver: SchedulerDriver, message: str) -> None:
        logger.error("The Mesos master reports an error: %s", message)

    def _refresh_agent_totals(self) -> None:
        """Every agent's total resources, from the master's ``/master/slaves`` (for the check that
        a job fits some agent); left unknown if the master does not serve it."""
        try:
            url = f"http://{self.driver.host}:{self.driver.port}/master/slaves"
            with urllib.request.urlopen(url, timeout=10) as answer:
                slaves = json.load(answer).get("slaves", [])
        except (OSError, ValueError) as error:
            logger.debug("Could not read the agents from the master: %s", error)
            return
        totals = {s["id"]: (agent_totals(s), is_preemptible(s.get("attributes") or {}))
                  for s in slaves if s.get("active", True)}
        with self._lock:
            self._totals = totals

    @staticmethod
    def _try(function: Any, *args: Any) -> bool:
        try:
            function(*args)
            return True
        except (OSError, ApiError) as error:
            logger.warning("Mesos call %s failed: %s", getattr(function, "__name__", function), error)
            return False

    # ------------------------------------------------------------------ issuing
    def issueBatchJob(self, command: str, job_desc: Any, job_environment: Optional[Dict[str, str]] = None) -> int:
        self.check_resource_request(job_desc)
        local_id = self.handleLocalJob(command, job_desc, job_environment)
        if local_id is not None:
            return local_id
        self._check_fits_an_agent(job_desc)
        job_id = self.getNextJobID()
        environment = dict(self.environment)
        environment.update(job_environment or {})
        invocation = WorkerInvocation.parse(command)
        payload: Dict[str, Any] = {"environment": environment, "cores": job_desc.cores, "memory": job_desc.memory}
        if invocation is not None:
            payload["argv"] = invocation.resolved().argv
        else:
            payload["command"] = command
        name = getattr(job_desc, "jobName", None) or "toil-job"
        task = _Task(job_id, f"{self._token}-{job_id}", str(name), float(job_desc.cores), int(job_desc.memory),
                     int(job_desc.disk), bool(getattr(job_desc, "preemptible", False)), payload, time.time())
        with self._lock:
            was_idle = not any(self._queues.values())
            self._tasks[job_id] = task
            self._by_task_id[task.task_id] = task
            self._queues.setdefault(task.shape, collections.deque()).append(task)
        if was_idle:
            self._try(self.driver.revive)
        return job_id

    def _check_fits_an_agent(self, job_desc: Any) -> None:
        """A job larger than every agent that may run it can never start: say so now (unless a
        provisioner may add bigger nodes)."""
        if self.config.provisioner:
            return
        with self._lock:
            totals = dict(self._totals or {})
        if not totals:
            return
        preemptible = bool(getattr(job_desc, "preemptible", False))
        eligible = [r for r, agent_preemptible in totals.values() if preemptible or not agent_preemptible]
        if any(r.fits(job_desc.cores, job_desc.memory, job_desc.disk) for r in eligible):
            return
        biggest = largest(eligible)
        kind = "" if preemptible else "non-preemptible "
        if biggest is None:
            raise InsufficientSystemResources(
                job_desc, "cores", 0, f"the Mesos cluster at {self.endpoint}",
                details=[f"The cluster has no {kind}agent; the job is not preemptible."])
        resource = next((name for name, have in (("cores", biggest.cores), ("memory", biggest.memory),
                                                 ("disk", biggest.disk)) if getattr(job_desc, name) > have), "cores")
        raise InsufficientSystemResources(
            job_desc, resource, getattr(biggest, resource), f"the largest {kind}agent of the Mesos cluster at "
            f"{self.endpoint}", details=[f"That agent has {describe(biggest)}."])

    # ------------------------------------------------------------------ offers
    def resourceOffers(self, driver: SchedulerDriver, offers: List[Dict[str, Any]]) -> None:
        declines: List[str] = []
        launches: List[Tuple[str, List[_Task], List[Dict[str, Any]]]] = []
        with self._lock:
            for offer in offers:
                agent_id = offer["agent_id"]["value"]
                hostname = offer.get("hostname") or agent_id
                self._agents[agent_id] = _Agent(hostname, is_preemptible(offer.get("attributes")))
                if self._totals is not None and agent_id not in self._totals \
                        and time.monotonic() - self._totals_read > 5:
                    self._totals_read = time.monotonic()
                    threading.Thread(target=self._refresh_agent_totals, daemon=True).start()
                chosen = [] if hostname in self._ignored or self._shut_down else \
                    self._match(offer_resources(offer, self.role), self._agents[agent_id].preemptible)
                if not chosen:
                    declines.append(offer["id"]["value"])
                    continue
                infos = []
                for task in chosen:
                    task.agent_id, task.hostname, task.launched = agent_id, hostname, time.time()
                    infos.append(task_info(task.task_id, task.name, agent_id, task.cores, task.memory, task.disk,
                                           task.payload, executor_info(EXECUTOR_ID, driver.framework_id or "",
                                                                       self._executor_command), self.role))
                launches.append((offer["id"]["value"], chosen, infos))
            idle = not any(self._queues.values())
        for offer_id, chosen, infos in launches:
            if not self._try(driver.launch_tasks, [offer_id], infos):
                self._requeue(chosen)
        if declines:
            self._try(driver.decline_offers, declines, 30.0 if idle else 1.0)

    def _match(self, free: Resources, agent_preemptible: bool) -> List[_Task]:
        """Queued tasks that fit in ``free``, first come first served within each shape."""
        chosen = []
        for shape, tasks in self._queues.items():
            cores, memory, disk, preemptible = shape
            if agent_preemptible and not preemptible:
                continue
            while tasks and free.fits(cores, memory, disk):
                free.take(cores, memory, disk)
                chosen.append(tasks.popleft())
        for shape in [s for s, tasks in self._queues.items() if not tasks]:
            del self._queues[shape]
        return chosen

    def _requeue(self, tasks: List[_Task]) -> None:
        with self._lock:
            for task in reversed(tasks):
                if self._tasks.get(task.job_id) is task:
                    task.agent_id = task.hostname = task.launched = None
                    task.running = False
                    self._queues.setdefault(task.shape, collections.deque()).appendleft(task)
        self._try(self.driver.revive)

    def offerRescinded(self, driver: SchedulerDriver, offer_id: str) -> None:
        logger.debug("Offer %s rescinded", offer_id)

    # ------------------------------------------------------------------ updates
    def statusUpdate(self, driver: SchedulerDriver, status: Dict[str, Any]) -> None:
        task_id = status["task_id"]["value"]
        state = status.get("state", "")
        agent_id = (status.get("agent_id") or {}).get("value", "")
        try:
            self._handle_status(task_id, state, status)
        finally:
            if status.get("uuid") and agent_id:
                self._try(driver.acknowledge, agent_id, task_id, status["uuid"])

    def _handle_status(self, task_id: str, state: str, status: Dict[str, Any]) -> None:
        terminal = state in EXIT_REASONS
        with self._lock:
            task = self._by_task_id.get(task_id)
            if task is None:
                killing = self._killing.get(task_id)
                if killing is not None and terminal:
                    del self._killing[task_id]
                elif killing is None and not terminal and not self._shut_down:
                    # a task of an earlier leader with the same framework ID: nobody waits for it
                    agent = (status.get("agent_id") or {}).get("value")
                    threading.Thread(target=self._try, args=(self.driver.kill_task, task_id, agent),
                                     daemon=True).start()
                return
            if state == "TASK_RUNNING":
                task.running = True
                return
            if not terminal:
                return
            if state in ("TASK_LOST", "TASK_DROPPED") and task.launched is not None and not task.running and \
                    status.get("reason") == "REASON_INVALID_OFFERS":
                requeue = True  # never reached an agent (a stale offer after a master failover)
            else:
                requeue = False
                del self._tasks[task.job_id]
                del self._by_task_id[task_id]
        if requeue:
            self._requeue([task])
            return
        try:
            data = json.loads(decode_data(status.get("data"))) if status.get("data") else {}
        except ValueError:
            data = {}
        exit_status = data.get("exit_status")
        if exit_status is None:
            exit_status = 0 if state == "TASK_FINISHED" else EXIT_STATUS_UNAVAILABLE_VALUE
        wall = data.get("wall_time")
        if wall is None and task.launched is not None:
            wall = time.time() - task.launched
        if state != "TASK_FINISHED":
            logger.warning("Mesos task %s (job %s) ended %s: %s", task_id, task.job_id, state,
                           status.get("message") or status.get("reason") or "")
        self._updates.put(UpdatedBatchJobInfo(task.job_id, int(exit_status), EXIT_REASONS[state], wall))

    def frameworkMessage(self, driver: SchedulerDriver, executor_id: str, agent_id: str, data: str) -> None:
        try:
            message = json.loads(decode_data(data))
            report = NodeReport.from_json(message)
        except (ValueError, KeyError, TypeError):
            logger.warning("Ignoring an unreadable message from executor %s on %s", executor_id, agent_id)
            return
        with self._lock:
            agent = self._agents.get(agent_id)
            address = agent.hostname if agent is not None else report.address
            self._reports[address] = (report, time.time())

    def slaveLost(self, driver: SchedulerDriver, agent_id: str) -> None:
        with self._lock:
            agent = self._agents.pop(agent_id, None)
            if agent is not None:
                self._reports.pop(agent.hostname, None)
            if self._totals is not None:
                self._totals.pop(agent_id, None)
        logger.warning("Mesos agent %s was lost", agent.hostname if agent else agent_id)

    def executorLost(self, driver: SchedulerDriver, executor_id: str, agent_id: str, status: int) -> None:
        logger.warning("The executor on agent %s ended with status %s", agent_id, status)

    # ------------------------------------------------------------------ the leader's queries
    def getUpdatedBatchJob(self, maxWait: float) -> Optional[UpdatedBatchJobInfo]:
        deadline = time.monotonic() + maxWait
        while True:
            local = self.getUpdatedLocalJob(0)
            if local is not None:
                return local
            remaining = deadline - time.monotonic()
            try:
                wait = min(remaining, 0.1) if self.localBatch.getIssuedBatchJobIDs() else remaining
                return self._updates.get(timeout=max(0.0, wait))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    return None

    def getIssuedBatchJobIDs(self) -> List[int]:
        with self._lock:
            ids = list(self._tasks)
        return ids + self.getIssuedLocalJobIDs()

    def getRunningBatchJobIDs(self) -> Dict[int, float]:
        now = time.time()
        with self._lock:
            running = {t.job_id: now - t.launched for t in self._tasks.values() if t.running and t.launched}
        running.update(self.getRunningLocalJobIDs())
        return running

    def getSchedulingStatusMessage(self) -> Optional[str]:
        with self._lock:
            queued = sum(len(q) for q in self._queues.values())
            agents = len(self._agents)
        if queued:
            return f"{queued} jobs wait for Mesos offers ({agents} agents seen)"
        return None

    def killBatchJobs(self, jobIDs: List[int]) -> None:
        self.killLocalJobs(jobIDs)
        to_kill: List[_Task] = []
        with self._lock:
            for job_id in jobIDs:
                task = self._tasks.pop(job_id, None)
                if task is None:
                    continue
                del self._by_task_id[task.task_id]
                queued = self._queues.get(task.shape)
                if task.agent_id is None and queued is not None and task in queued:
                    queued.remove(task)
                else:
                    self._killing[task.task_id] = task
                    to_kill.append(task)
        for task in to_kill:
            self._try(self.driver.kill_task, task.task_id, task.agent_id)
        ids = {t.task_id for t in to_kill}
        if ids and not self.driver.wait(lambda: not self._still_killing(ids), KILL_TIMEOUT):
            logger.warning("Mesos did not confirm the end of killed tasks %s within %g s",
                           sorted(self._still_killing(ids)), KILL_TIMEOUT)

    def _still_killing(self, task_ids: Set[str]) -> Set[str]:
        with self._lock:
            return task_ids & self._killing.keys()

    # ------------------------------------------------------------------ scalable interface
    def getNodes(self, preemptible: Optional[bool] = None, timeout: int = 600) -> Dict[str, NodeInfo]:
        now = time.time()
        nodes = {}
        with self._lock:
            preemptible_hosts = {a.hostname: a.preemptible for a in self._agents.values()}
            requested: Dict[str, List[_Task]] = collections.defaultdict(list)
            for task in self._tasks.values():
                if task.hostname:
                    requested[task.hostname].append(task)
            for address, (report, seen) in self._reports.items():
                if now - seen > timeout:
                    continue
                if preemptible is not None and preemptible_hosts.get(address, False) != preemptible:
                    continue
                mine = requested.get(address, [])
                nodes[address] = NodeInfo(
                    coresUsed=report.coresUsed, memoryUsed=report.memoryUsed, coresTotal=report.coresTotal,
                    memoryTotal=report.memoryTotal, requestedCores=sum(t.cores for t in mine),
                    requestedMemory=sum(t.memory for t in mine), workers=report.workers)
        return nodes

    def nodeInUse(self, nodeIP: str) -> bool:
        with self._lock:
            return any(t.hostname == nodeIP for t in self._tasks.values())

    def ignoreNode(self, nodeAddress: str) -> None:
        with self._lock:
            self._ignored.add(nodeAddress)

    def unignoreNode(self, nodeAddress: str) -> None:
        with self._lock:
            self._ignored.discard(nodeAddress)

    # ------------------------------------------------------------------ shutdown
    def shutdown(self) -> None:
        with self._lock:
            if self._shut_down:
                return
            self._shut_down = True
            ids = list(self._tasks)
        if ids:
            self.killBatchJobs(ids)
        self.driver.stop(teardown=True)
        self.shutdownLocal()
