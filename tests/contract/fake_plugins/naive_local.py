"""A small local batch system as a third party might write it, with one switchable defect each
(the ``toil_batch_system_contract_*`` modules beside this one register the variants the
upstream way). The contract suite must catch every defect: tests/contract/test_suites_catch_broken.py."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Dict, List, Optional

from toil_core.plugin_api import BatchJobExitReason, BatchSystemSupport, UpdatedBatchJobInfo


class NaiveLocalBatchSystem(BatchSystemSupport):
    """Every job a ``/bin/sh -c`` subprocess; at most ``maxCores`` cores at once."""

    add_interpreter_dir_to_path = True
    respect_max_cores = True
    keep_signal_deaths = True
    report_updates = True

    @classmethod
    def runs_workers_beside_leader(cls) -> bool:
        return True

    def __init__(self, config: Any, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        super().__init__(config, maxCores, maxMemory, maxDisk)
        self._lock = threading.Lock()
        self._next = 0
        self._waiting: List[Any] = []
        self._running: Dict[int, Any] = {}
        self._killed: set = set()
        self._updates: "queue.Queue[UpdatedBatchJobInfo]" = queue.Queue()
        self._closed = False

    def issueBatchJob(self, command: str, job_desc: Any, job_environment: Optional[Dict[str, str]] = None) -> int:
        self.check_resource_request(job_desc)
        env = dict(os.environ)
        env.update(self.environment)
        env.update(job_environment or {})
        if self.add_interpreter_dir_to_path:
            env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
        with self._lock:
            job_id = self._next
            self._next += 1
            self._waiting.append((job_id, str(command), job_desc.cores, env))
            self._start()
        return job_id

    def _start(self) -> None:
        while self._waiting:
            job_id, command, cores, env = self._waiting[0]
            used = sum(c for _p, c, _t in self._running.values())
            if self.respect_max_cores and self._running and used + cores > self.maxCores + 1e-9:
                return
            self._waiting.pop(0)
            process = subprocess.Popen(["/bin/sh", "-c", command], env=env, start_new_session=True)
            self._running[job_id] = (process, cores, time.time())
            threading.Thread(target=self._wait, args=(job_id, process), daemon=True).start()

    def _wait(self, job_id: int, process: subprocess.Popen) -> None:
        code = process.wait()
        with self._lock:
            _p, _c, started = self._running.pop(job_id)
            killed = job_id in self._killed
            if not self._closed:
                self._start()
        if killed or not self.report_updates:
            return
        if code < 0 and not self.keep_signal_deaths:
            code = 0  # the defect: a signal death looks like success
        reason = BatchJobExitReason.FINISHED if code == 0 else BatchJobExitReason.FAILED
        self._updates.put(UpdatedBatchJobInfo(job_id, code, reason, time.time() - started))

    def getUpdatedBatchJob(self, maxWait: float) -> Optional[UpdatedBatchJobInfo]:
        try:
            return self._updates.get(timeout=maxWait) if maxWait > 0 else self._updates.get_nowait()
        except queue.Empty:
            return None

    def getIssuedBatchJobIDs(self) -> List[int]:
        with self._lock:
            return [w[0] for w in self._waiting] + list(self._running)

    def getRunningBatchJobIDs(self) -> Dict[int, float]:
        with self._lock:
            return {i: time.time() - t for i, (_p, _c, t) in self._running.items()}

    def killBatchJobs(self, jobIDs: List[int]) -> None:
        with self._lock:
            self._waiting = [w for w in self._waiting if w[0] not in jobIDs]
            victims = [(i, self._running[i][0]) for i in jobIDs if i in self._running]
            self._killed.update(i for i, _ in victims)
        for _i, process in victims:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            self._waiting = []
            running = list(self._running)
        self.killBatchJobs(running)
