"""The ``single_machine`` batch system: jobs as parallel processes on this machine.

Toil jobs run in children forked from a warm fork server (see :mod:`fork_server`); any other
command runs through the shell. Jobs start as soon as cores, memory and disk allow; finishing
jobs free their resources and start waiting ones at once (no polling loop). While more small
Toil jobs with the same requirements wait than can run at once, one forked worker runs a batch of
them one after the other (:data:`MAX_BATCH`), each job still succeeding, failing and being retried
on its own; ``--disableChaining`` turns this off.

No job outlives the leader or the fork server that started it (see :mod:`process_life`): a job
reported lost is dead, so its retry never runs next to it. A job's run time (for
--maxJobDuration) counts from the moment its process exists, not from when it was handed to a
fork server that may still be starting up.
"""
from __future__ import annotations

import collections
import logging
import os
import queue
import random
import shutil
import signal
import subprocess
import threading
import time
from typing import TYPE_CHECKING, Any, Deque, Dict, List, Optional, Tuple

from toil_core.batch.abstract import (
    BatchJobExitReason,
    BatchSystemSupport,
    InsufficientSystemResources,
    UpdatedBatchJobInfo,
    WorkerCleanupInfo,
    parse_worker_command,
)
from toil_core.batch.fork_client import ForkServerClient
from toil_core.batch.process_life import die_with_parent, kill_group, wait_gone
from toil_core.common.workdirs import get_toil_work_dir
from toil_core.jobstores.locator import open_job_store, parse_locator
from toil_core.lib.accelerators import (
    assign_local_accelerators,
    get_individual_local_accelerators,
    get_restrictive_environment_for_local_accelerators,
)
from toil_core.lib.threading import cpu_count
from toil_core.plugins.registry import get_spec

if TYPE_CHECKING:
    from toil_core.common.config import Config

logger = logging.getLogger(__name__)

MIN_CORES = 0.1
#: How many waiting jobs to look past a job that does not fit (keeps scheduling O(1)-ish).
SCHEDULING_LOOKAHEAD = 64
#: At most this many ready Toil jobs with the same requirements run one after the other in one
#: forked worker (see :mod:`fork_server`): forking and tearing down a process is most of a small
#: job's cost. Batches are made only while more such jobs wait than can run at once, and each
#: job still succeeds, fails, is killed and is retried on its own. 64 rather than 16: every fork
#: costs the child copy-on-write faults on the pages its jobs touch (about 1200 pages, most of a
#: small job's kernel time), paid once per batch; 64 cut the CPU of the 1000-child fan-out by
#: ~20 % and of the depth-10 tree by ~12 % (interleaved runs). Near the end of a run the batches
#: shrink to each process's share of the jobs left, so no process is left with a long queue.
MAX_BATCH = 64


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 1 << 40


def _cpu_count() -> int:
    try:
        return int(cpu_count())
    except Exception:  # pragma: no cover
        return os.cpu_count() or 1


_UNPARSED: Any = object()



def _has_deferred_state(node_dir: str) -> bool:
    """True if ``node_dir`` holds deferred-function state files (``DeferredFunctionManager``'s
    ``deferred`` directory, not empty): only then is there anything for the cleanup to run."""
    try:
        return bool(os.listdir(os.path.join(node_dir, "deferred")))
    except OSError:
        return False


class _Job:
    """One issued job. Kept small: tens of thousands may wait at once. ``env`` may be shared
    between jobs and is never changed."""

    __slots__ = ("batch_id", "command", "desc", "env", "cores", "memory", "disk", "accelerators", "devices",
                 "started", "pid", "_worker", "group")

    def __init__(self, batch_id: int, command: str, desc: Any, env: Dict[str, str], cores: float) -> None:
        self.batch_id = batch_id
        self.command = command
        self.desc = desc
        self.env = env
        self.cores = cores
        self.memory = int(desc.memory)
        self.disk = int(desc.disk)
        #: The accelerator requirements, and the local accelerators (indices) handed to the job.
        self.accelerators: List[Dict[str, Any]] = list(getattr(desc, "accelerators", None) or [])
        self.devices: List[int] = []
        self.started: Optional[float] = None
        self.pid: Optional[int] = None
        self._worker: Optional[List[str]] = _UNPARSED
        #: The jobs of a batch run in one process (see :data:`MAX_BATCH`) share one of these.
        self.group: Optional[_Group] = None

    @property
    def worker(self) -> Optional[List[str]]:
        """``[jobName, locator, jobStoreID]`` for a Toil worker command (parsed when first needed)."""
        if self._worker is _UNPARSED:
            self._worker = parse_worker_command(self.command)
        return self._worker


class _Group:
    """The jobs of one batch: they hold one job's resources until the last of them ends."""

    __slots__ = ("left",)

    def __init__(self, left: int) -> None:
        self.left = left


class SingleMachineBatchSystem(BatchSystemSupport):
    """Runs jobs on this machine within --maxCores, --maxMemory and --maxDisk.

    Accelerators are a resource too: the local GPUs (``nvidia-smi``, ``rocm-smi``) are found at
    start, a job asking for accelerators gets specific ones (never one that another running job
    has) and runs restricted to them (``CUDA_VISIBLE_DEVICES``, ``ROCR_VISIBLE_DEVICES``); a job
    asking for accelerators this machine does not have is refused when it is issued.
    """

    @classmethod
    def supportsAutoDeployment(cls) -> bool:
        return False

    @classmethod
    def supportsWorkerCleanup(cls) -> bool:
        return True

    @classmethod
    def runs_workers_beside_leader(cls) -> bool:
        return True

    def __init__(self, config: Config, maxCores: float, maxMemory: int, maxDisk: int,
                 max_jobs: Optional[int] = None) -> None:
        work_dir = get_toil_work_dir(config.workDir)
        physical_cores = _cpu_count()
        physical_memory = _physical_memory()
        physical_disk = shutil.disk_usage(work_dir).free
        super().__init__(
            config,
            min(float(maxCores), physical_cores),
            min(int(maxMemory), physical_memory),
            min(int(maxDisk), physical_disk),
        )
        self.physical = {"cores": physical_cores, "memory": physical_memory, "disk": physical_disk}
        logger.debug("Setting up the single machine batch system: up to %g cores, %s bytes of memory "
                     "and %s bytes of disk for jobs.", self.maxCores, self.maxMemory, self.maxDisk)
        if float(maxCores) > physical_cores and maxCores < (1 << 62):
            logger.warning("Limiting maxCores to the %d CPU cores of this machine.", physical_cores)
        self.scale = float(config.scale or 1)
        self.max_jobs: Optional[int] = max_jobs or config.max_jobs or None
        self.debug_worker = bool(config.debugWorker)
        self.bad_worker = float(config.badWorker or 0.0)
        self.bad_worker_interval = float(config.badWorkerFailInterval or 0.01)
        self._lock = threading.RLock()
        self._next_id = 0
        self._waiting: Deque[_Job] = collections.deque()
        self._running: Dict[int, _Job] = {}
        #: Processes running jobs (a batch of jobs is one process).
        self._processes = 0
        #: --disableChaining: one job per process, as each job's worker would be on a cluster.
        self.batching = not config.disableChaining
        self._killed: set = set()
        self._updates: "queue.Queue[UpdatedBatchJobInfo]" = queue.Queue()
        self._free = {"cores": self.maxCores, "memory": self.maxMemory, "disk": self.maxDisk}

        #: Every local accelerator (count 1 each); a job's devices are indices into this list.
        self.accelerators = get_individual_local_accelerators()
        self._free_accelerators = set(range(len(self.accelerators)))
        self._fork_server: Any = None
        self._store_classes: Dict[str, Optional[str]] = {}
        self._env_cache: Dict[Any, Any] = {}
        self._shut_down = False

    # ------------------------------------------------------------------ issuing
    def _cores_for(self, desc: Any) -> float:
        cores = max(MIN_CORES, float(desc.cores) * self.scale)
        return round(cores, 1) if cores != int(cores) else cores

    def check_resource_request(self, requirer: Any) -> None:
        cores = self._cores_for(requirer)
        name = "single_machine"
        if cores > self.maxCores + 1e-9:
            source = " (limited by the number of CPU cores)" if self.maxCores == self.physical["cores"] else ""
            raise InsufficientSystemResources(requirer, "cores", self.maxCores, name, source,
                                              [f"Scale is set to {self.scale}."] if self.scale != 1 else None)
        if requirer.memory > self.maxMemory:
            raise InsufficientSystemResources(requirer, "memory", self.maxMemory, name)
        if requirer.disk > self.maxDisk:
            raise InsufficientSystemResources(requirer, "disk", self.maxDisk, name)
        wanted = list(getattr(requirer, "accelerators", None) or [])
        if wanted:
            if assign_local_accelerators(wanted, self.accelerators, range(len(self.accelerators))) is None:
                found = (f"This machine has {len(self.accelerators)} accelerators that nvidia-smi or rocm-smi "
                         f"list." if self.accelerators else
                         "This machine has no accelerators that nvidia-smi or rocm-smi can see.")
                raise InsufficientSystemResources(requirer, "accelerators", self.accelerators, name,
                                                  details=[found])

    def issueBatchJob(self, command: str, job_desc: Any, job_environment: Optional[Dict[str, str]] = None) -> int:
        self.check_resource_request(job_desc)
        env = self._environment_for(job_environment or {})
        with self._lock:
            batch_id = self._next_id
            self._next_id += 1
            job = _Job(batch_id, command, job_desc, env, self._cores_for(job_desc))
            worker = job.worker if self.debug_worker else None
            if worker is None:
                self._waiting.append(job)
                self._schedule()
                return batch_id
        self._run_in_process(job, worker)
        return batch_id

    def _environment_for(self, job_environment: Dict[str, str]) -> Dict[str, str]:
        """setEnv's variables plus the job's, shared by every job issued with the same (unchanged)
        job environment and setEnv values."""
        if not self.environment:
            return job_environment
        key = (id(job_environment), tuple(self.environment.items()))
        cached = self._env_cache.get(key)
        if cached is not None and cached[0] is job_environment:
            return cached[1]
        merged = {**self.environment, **job_environment}
        if len(self._env_cache) > 64:
            self._env_cache.clear()
        self._env_cache[key] = (job_environment, merged)
        return merged

    def _fits(self, job: _Job) -> bool:
        free = self._free
        if self.max_jobs and self._processes >= self.max_jobs:
            return False
        if not (job.cores <= free["cores"] + 1e-9 and job.memory <= free["memory"] and job.disk <= free["disk"]):
            return False
        if job.accelerators:
            devices = assign_local_accelerators(job.accelerators, self.accelerators, self._free_accelerators)
            if devices is None:
                return False
            job.devices = devices
        return True

    def _schedule(self) -> None:
        """Start waiting jobs that fit; must hold the lock."""
        if self._shut_down:
            return
        skipped: List[_Job] = []
        looked_past = 0
        while self._waiting and looked_past <= SCHEDULING_LOOKAHEAD:
            job = self._waiting.popleft()
            if self._fits(job):
                self._start(job, self._batch_for(job))
            else:
                skipped.append(job)
                looked_past += 1
                if self._free["cores"] < MIN_CORES:
                    break
        self._waiting.extendleft(reversed(skipped))

    def _batch_for(self, job: _Job) -> List[_Job]:
        """Waiting jobs to run in the same process after ``job`` (taken off the queue; must hold
        the lock): only while more jobs like it wait than can run at once, each process then
        getting about its share of them."""
        if not self.batching or not self._waiting or job.accelerators or job.worker is None:
            return []
        slots = max(1, int((self.maxCores + 1e-9) // job.cores))
        if self.max_jobs:
            slots = min(slots, self.max_jobs)
        wanted = min(MAX_BATCH, (len(self._waiting) + 1) // slots) - 1
        if wanted <= 0:
            return []
        locator = job.worker[1]
        taken: List[_Job] = []
        kept: List[_Job] = []
        looked = 0
        waiting = self._waiting
        while waiting and len(taken) < wanted and looked <= wanted + SCHEDULING_LOOKAHEAD:
            other = waiting.popleft()
            looked += 1
            if (other.env is job.env and other.cores == job.cores and other.memory == job.memory
                    and other.disk == job.disk and not other.accelerators and other.worker is not None
                    and other.worker[1] == locator):
                taken.append(other)
            else:
                kept.append(other)
        waiting.extendleft(reversed(kept))
        return taken

    def _start(self, job: _Job, batch: Optional[List[_Job]] = None) -> None:
        for key in ("cores", "memory", "disk"):
            self._free[key] -= getattr(job, key)
        if job.devices:
            self._free_accelerators.difference_update(job.devices)
            job.env = {**job.env, **get_restrictive_environment_for_local_accelerators(job.devices)}
        self._processes += 1
        self._running[job.batch_id] = job
        if batch:
            group = _Group(1 + len(batch))
            job.group = group
            for other in batch:
                other.group = group
                self._running[other.batch_id] = other
        if job.worker is not None:
            server = self._server()
            _, locator, job_id = job.worker
            request: Dict[str, Any] = {"op": "run", "locator": locator, "env": job.env,
                                       "store_class": self._store_class(locator)}
            if batch:
                request["jobs"] = [[job.batch_id, job_id]] + [[o.batch_id, o.worker[2]] for o in batch]  # type: ignore[index]
            else:
                request.update(id=job.batch_id, job=job_id)
            server.send(request)
        else:
            threading.Thread(target=self._run_shell, args=(job,), daemon=True, name=f"job-{job.batch_id}").start()

    def _store_class(self, locator: str) -> Optional[str]:
        """The job store's "module:Class", resolved here through the plugin registry."""
        cached = self._store_classes.get(locator)
        if cached is None and locator not in self._store_classes:
            try:
                cached = get_spec("job_stores", parse_locator(locator)[0]).load
            except Exception:  # let the worker side report the problem
                cached = None
            self._store_classes[locator] = cached
        return cached

    def prepare_workers(self, locator: str, environment: Dict[str, str]) -> None:
        """Start the fork server now and let it open the job store and import the user's module,
        in parallel with the rest of the leader's set-up (else the first job waits for that)."""
        if self.debug_worker:  # Toil jobs run in this process
            return
        with self._lock:
            if self._shut_down:
                return
            server = self._server()
        server.send({"op": "prepare", "locator": locator, "env": dict(environment),
                     "store_class": self._store_class(locator)})

    def _server(self) -> Any:
        if self._fork_server is None or not self._fork_server.alive():
            level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
            self._fork_server = ForkServerClient(self._on_started, self._on_exit, log_level=str(level),
                                                 on_dead=self._on_fork_server_death, on_begin=self._on_begin)
        return self._fork_server

    # ------------------------------------------------------------------ completion
    def _on_started(self, batch_id: int, pid: int) -> None:
        with self._lock:
            job = self._running.get(batch_id)
            if job is None:
                return
            job.pid = pid
            if job.group is None:  # a job of a batch starts when its process begins it
                job.started = time.time()
            killed = batch_id in self._killed
        if killed:
            self._fork_server.send({"op": "kill", "id": batch_id})
        elif self.bad_worker and random.random() < self.bad_worker:
            delay = random.uniform(0, self.bad_worker_interval)
            threading.Timer(delay, self._bad_worker_kill, args=(batch_id,)).start()

    def _on_begin(self, batch_id: int) -> None:
        with self._lock:
            job = self._running.get(batch_id)
            if job is not None:
                job.started = time.time()

    def _bad_worker_kill(self, batch_id: int) -> None:
        with self._lock:
            if batch_id not in self._running or self._fork_server is None:
                return
        logger.debug("--badWorker: killing job %d", batch_id)
        self._fork_server.send({"op": "kill", "id": batch_id})

    def _on_fork_server_death(self, server: Any) -> None:
        """The fork server died: its jobs are lost; kill them, then report them so the leader
        retries them.

        The server's children die with it (they asked the kernel for that), but a child that was
        still starting, or one on a system without that facility, is killed here by its process
        group; the jobs are reported only once their processes are gone, so a retry never runs
        next to a lost attempt that could still commit.
        """
        with self._lock:
            if self._fork_server is server:
                self._fork_server = None
            lost = [j for j in self._running.values() if j.worker is not None]
        pids = sorted({j.pid for j in lost if j.pid is not None})
        for pid in pids:
            kill_group(pid)
        if not wait_gone(pids, timeout=30):
            logger.error("Processes of lost jobs did not end after SIGKILL: %s", pids)
        # Jobs of a batch that their process had not begun never ran: they wait to run again.
        requeue = [j for j in lost if j.group is not None and j.started is None]
        if requeue:
            with self._lock:
                for job in requeue:
                    if self._running.pop(job.batch_id, None) is not None:
                        self._release(job)
                    job.group, job.pid = None, None
                self._waiting.extendleft(reversed(requeue))
                self._schedule()
            requeued = {j.batch_id for j in requeue}
            lost = [j for j in lost if j.batch_id not in requeued]
        if lost:
            logger.warning("The fork server died; %d running jobs are lost and will be retried.", len(lost))
        for job in lost:
            self._on_exit(job.batch_id, -9, BatchJobExitReason.LOST)

    def _on_exit(self, batch_id: int, status: int, reason: Optional[BatchJobExitReason] = None,
                 note: Optional[str] = None) -> None:
        with self._lock:
            job = self._running.pop(batch_id, None)
            if job is None:
                return
            self._release(job)
            killed = batch_id in self._killed
            self._killed.discard(batch_id)
            self._schedule()
        if not killed:
            wall = time.time() - (job.started or time.time())
            reason = reason or (BatchJobExitReason.FINISHED if status == 0 else (
                BatchJobExitReason.KILLED if status < 0 else BatchJobExitReason.FAILED))
            self._updates.put(UpdatedBatchJobInfo(batch_id, status, reason, wall, note))

    def _release(self, job: _Job) -> None:
        """``job`` stopped running: free its resources, or its batch's once all of it ended (must
        hold the lock)."""
        group = job.group
        if group is not None:
            group.left -= 1
            if group.left > 0:
                return
        self._processes -= 1
        for key in ("cores", "memory", "disk"):
            self._free[key] += getattr(job, key)
        self._free_accelerators.update(job.devices)

    def _run_shell(self, job: _Job) -> None:
        env = dict(os.environ)
        env.update(job.env)
        leader = os.getpid()
        try:
            # This thread waits for the command until it ends, so the kernel's parent-death
            # signal (sent when the forking thread ends) fires only if the leader dies.
            process = subprocess.Popen(job.command, shell=True, env=env, start_new_session=True,
                                       preexec_fn=lambda: die_with_parent(leader))
        except OSError:
            self._on_exit(job.batch_id, 127)
            return
        self._on_started_shell(job, process.pid)
        self._on_exit(job.batch_id, process.wait())

    def _on_started_shell(self, job: _Job, pid: int) -> None:
        with self._lock:
            job.pid = pid
            job.started = time.time()
            killed = job.batch_id in self._killed
        if killed:
            self._kill_pid(pid)

    @staticmethod
    def _kill_pid(pid: int) -> None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _run_in_process(self, job: _Job, worker: List[str]) -> None:
        """--debugWorker: run the Toil job (``worker``: its parsed worker command) right here,
        without forking, output not captured."""
        _, locator, job_id = worker
        # lazy: the leader runs a job itself only with --debugWorker; the worker is a third of its imports
        from toil_core.worker.worker import run_worker

        started = time.time()
        saved_env = dict(os.environ)
        os.environ.update(job.env)
        try:
            status = run_worker(open_job_store(locator), job_id, capture_output=False, load_module=False)
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
        reason = BatchJobExitReason.FINISHED if status == 0 else BatchJobExitReason.FAILED
        self._updates.put(UpdatedBatchJobInfo(job.batch_id, status, reason, time.time() - started))

    # ------------------------------------------------------------------ queries
    def killBatchJobs(self, jobIDs: List[int]) -> None:
        to_signal: List[Tuple[_Job, Optional[int]]] = []
        with self._lock:
            for batch_id in jobIDs:
                for index, job in enumerate(self._waiting):
                    if job.batch_id == batch_id:
                        del self._waiting[index]
                        break
                else:
                    running = self._running.get(batch_id)
                    if running is not None:
                        self._killed.add(batch_id)
                        to_signal.append((running, running.pid))
        for job, pid in to_signal:
            if job.worker is not None and self._fork_server is not None:
                self._fork_server.send({"op": "kill", "id": job.batch_id})
            elif pid is not None:
                self._kill_pid(pid)
        # Wait until killed jobs are gone so their resources are free again.
        deadline = time.time() + 30
        while time.time() < deadline:
            with self._lock:
                if not any(job.batch_id in self._running for job, _ in to_signal):
                    return
            time.sleep(0.01)

    def getIssuedBatchJobIDs(self) -> List[int]:
        with self._lock:
            return [j.batch_id for j in self._waiting] + list(self._running)

    def getRunningBatchJobIDs(self) -> Dict[int, float]:
        now = time.time()
        with self._lock:
            return {i: now - (j.started or now) for i, j in self._running.items()}

    def getUpdatedBatchJob(self, maxWait: float) -> Optional[UpdatedBatchJobInfo]:
        try:
            return self._updates.get(timeout=max(0.0, maxWait)) if maxWait > 0 else self._updates.get_nowait()
        except queue.Empty:
            return None

    def getSchedulingStatusMessage(self) -> Optional[str]:
        with self._lock:
            if self._waiting and not self._running:
                return f"{len(self._waiting)} jobs are waiting for resources on this machine."
        return None

    def shutdown(self) -> None:
        with self._lock:
            if self._shut_down:
                return
            self._shut_down = True
            self._waiting.clear()
            running = list(self._running.values())
            self._killed.update(self._running)
        for job in running:
            if job.worker is None and job.pid is not None:
                self._kill_pid(job.pid)
        if self._fork_server is not None:
            self._fork_server.close()
        config = self.config
        workflow_id = config.workflowID
        if workflow_id:
            node_dir = os.path.join(get_toil_work_dir(config.workDir), f"toil-{workflow_id}")
            if _has_deferred_state(node_dir):
                # lazy: the file stores are imported only when a killed job left deferred functions
                from toil_core.filestores.deferred import DeferredFunctionManager

                try:
                    DeferredFunctionManager.cleanupWorker(node_dir)
                except Exception:
                    logger.exception("Could not run orphaned deferred functions")
            self.workerCleanup(WorkerCleanupInfo(
                config.workDir, config.coordination_dir, workflow_id, config.cleanWorkDir))
