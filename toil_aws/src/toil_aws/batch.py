"""The ``aws_batch`` batch system: every Toil job is an AWS Batch job in one queue.

One job definition per workflow run (``toil-<workflow>-<random>``, the container image and the
job role) is registered at the first issue and deregistered at shutdown. Each job is submitted
with its own requirements as container overrides (vCPUs: cores rounded up, at least 1; memory in
MiB, at least 4; GPUs: the accelerators' count), its environment, and the worker command. Statuses
are polled with ``DescribeJobs``, 100 jobs to a request, at most once per ``--statePollingWait``.
Killing terminates the jobs and waits until AWS Batch reports them stopped. Disk is not scheduled
(AWS Batch has no disk requirement).

The workers run in containers on other machines, so the job store must be one they reach (an
``aws:`` job store) and the image must have this Toil and the workflow's code installed.
"""
from __future__ import annotations

import logging
import math
import re
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set

from toil_core.plugin_api import (
    BatchJobExitReason,
    BatchSystemSupport,
    ExternalBatchIdMessage,
    UpdatedBatchJobInfo,
    WorkerInvocation,
    settings_from,
)

from toil_aws import session
from toil_aws.session import AWSSetupError
from toil_aws.settings import AWSBatchSettings

if TYPE_CHECKING:
    from toil_core.plugin_api import Config

__all__ = ["AWSBatchBatchSystem"]

logger = logging.getLogger(__name__)

#: Statuses of a job that has not finished.
ACTIVE = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING")
#: AWS Batch's smallest memory request, in MiB.
MIN_MEMORY_MIB = 4
#: How long :meth:`killBatchJobs` waits for terminated jobs to stop.
KILL_TIMEOUT = 300.0
_NAME = re.compile(r"[^A-Za-z0-9_-]")


class AWSBatchBatchSystem(BatchSystemSupport):
    """Submits each job to an AWS Batch queue (see the module docstring)."""

    def __init__(self, config: Config, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        super().__init__(config, maxCores, maxMemory, maxDisk)
        self.settings: AWSBatchSettings = settings_from(config, AWSBatchSettings)
        if not self.settings.aws_batch_queue:
            raise AWSSetupError("The aws_batch batch system needs a job queue: give --awsBatchQueue NAME (or set "
                                "TOIL_AWS_BATCH_QUEUE).")
        if not self.settings.aws_batch_image:
            raise AWSSetupError("The aws_batch batch system needs the container image the jobs run in: give "
                                "--awsBatchImage IMAGE (or set TOIL_APPLIANCE_SELF); it must have this Toil and "
                                "the workflow's code installed.")
        store = str(config.jobStore or "")
        if store and not store.startswith("aws:"):
            raise AWSSetupError(f"The aws_batch batch system runs jobs on other machines, which cannot reach the "
                                f"job store '{store}': use an aws:<region>:<name> job store.")
        self.region = self.settings.aws_batch_region or (
            store.split(":")[1] if store.startswith("aws:") else session.default_region())
        self.queue = self.settings.aws_batch_queue
        self.poll_interval = float(config.statePollingWait or 1.0)
        workflow = str(config.workflowID or uuid.uuid4())
        self.job_definition_name = _NAME.sub("-", f"toil-{workflow[:8]}-{uuid.uuid4().hex[:8]}")
        self._job_definition_arn: Optional[str] = None
        self._lock = threading.Lock()
        self._next_id = 0
        self._aws_ids: Dict[int, str] = {}  # our ID -> AWS Batch job ID
        self._by_aws: Dict[str, int] = {}
        self._started: Dict[int, float] = {}
        self._killed: Set[int] = set()
        self._updates: List[UpdatedBatchJobInfo] = []
        self._last_poll = 0.0
        self._shut_down = False

    @property
    def client(self) -> Any:
        return session.client("batch", self.region)

    # ------------------------------------------------------------------ capabilities
    @classmethod
    def supportsAutoDeployment(cls) -> bool:
        return False

    # ------------------------------------------------------------------ job definition
    def _job_definition(self) -> str:
        with self._lock:
            if self._job_definition_arn is None:
                properties: Dict[str, Any] = {
                    "image": self.settings.aws_batch_image,
                    "command": ["_toil_worker"],
                    "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                             {"type": "MEMORY", "value": str(MIN_MEMORY_MIB)}],
                }
                if self.settings.aws_batch_job_role_arn:
                    properties["jobRoleArn"] = self.settings.aws_batch_job_role_arn
                response = self.client.register_job_definition(
                    jobDefinitionName=self.job_definition_name, type="container",
                    containerProperties=properties)
                self._job_definition_arn = response["jobDefinitionArn"]
                logger.debug("Registered AWS Batch job definition %s", self._job_definition_arn)
            return self._job_definition_arn

    # ------------------------------------------------------------------ issuing
    @staticmethod
    def requirements(job_desc: Any) -> List[Dict[str, str]]:
        """The job's resource requirements as AWS Batch takes them."""
        vcpus = max(1, math.ceil(float(job_desc.cores)))
        memory = max(MIN_MEMORY_MIB, math.ceil(int(job_desc.memory) / 2**20))
        result = [{"type": "VCPU", "value": str(vcpus)}, {"type": "MEMORY", "value": str(memory)}]
        gpus = sum(int(a.get("count", 1)) for a in (getattr(job_desc, "accelerators", None) or [])
                   if a.get("kind", "gpu") == "gpu")
        if gpus:
            result.append({"type": "GPU", "value": str(gpus)})
        return result

    def issueBatchJob(self, command: str, job_desc: Any, job_environment: Optional[Dict[str, str]] = None) -> int:
        self.check_resource_request(job_desc)
        if isinstance(command, WorkerInvocation):
            argv = command.argv
        else:
            argv = ["bash", "-c", str(command)]
        environment = dict(self.environment)
        environment.update(job_environment or {})
        with self._lock:
            job_id = self._next_id
            self._next_id += 1
        name = _NAME.sub("_", f"toil-{job_id}-{getattr(job_desc, 'jobName', 'job')}")[:128]
        response = self.client.submit_job(
            jobName=name, jobQueue=self.queue, jobDefinition=self._job_definition(),
            containerOverrides={
                "command": argv,
                "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
                "resourceRequirements": self.requirements(job_desc),
            })
        aws_id = response["jobId"]
        with self._lock:
            self._aws_ids[job_id] = aws_id
            self._by_aws[aws_id] = job_id
        bus = getattr(self, "_message_bus", None)
        if bus is not None:
            try:
                bus.publish(ExternalBatchIdMessage(job_id, aws_id, type(self).__name__))
            except Exception:  # a message the leader cannot take must not lose the job
                logger.debug("Could not publish the AWS Batch job ID", exc_info=True)
        logger.debug("Submitted job %d as AWS Batch job %s", job_id, aws_id)
        return job_id

    # ------------------------------------------------------------------ status
    def _describe(self, aws_ids: List[str]) -> List[Dict[str, Any]]:
        jobs: List[Dict[str, Any]] = []
        for start in range(0, len(aws_ids), 100):
            jobs += self.client.describe_jobs(jobs=aws_ids[start:start + 100]).get("jobs", [])
        return jobs

    @staticmethod
    def _exit(job: Dict[str, Any], ours: int) -> UpdatedBatchJobInfo:
        status = job.get("status")
        container = job.get("container") or {}
        code = container.get("exitCode")
        if code is None:
            attempts = job.get("attempts") or []
            code = (attempts[-1].get("container") or {}).get("exitCode") if attempts else None
        if status == "SUCCEEDED":
            exit_code, reason = (0 if code is None else int(code)), BatchJobExitReason.FINISHED
        else:
            exit_code, reason = (1 if code is None else int(code)), BatchJobExitReason.FAILED
        started, stopped = job.get("startedAt"), job.get("stoppedAt")
        wall = (stopped - started) / 1000.0 if started and stopped else None
        return UpdatedBatchJobInfo(jobID=ours, exitStatus=exit_code, exitReason=reason, wallTime=wall)

    def _poll(self) -> None:
        with self._lock:
            pending = [aws for ours, aws in self._aws_ids.items() if ours not in self._killed]
        if not pending:
            return
        for job in self._describe(pending):
            aws_id = job.get("jobId")
            with self._lock:
                ours = self._by_aws.get(aws_id)
                if ours is None or ours in self._killed:
                    continue
                status = job.get("status")
                if status == "RUNNING" and ours not in self._started:
                    self._started[ours] = (job.get("startedAt") or time.time() * 1000) / 1000.0
                if status in ("SUCCEEDED", "FAILED"):
                    self._updates.append(self._exit(job, ours))
                    del self._aws_ids[ours]
                    del self._by_aws[aws_id]
                    self._started.pop(ours, None)

    def getUpdatedBatchJob(self, maxWait: float) -> Optional[UpdatedBatchJobInfo]:
        deadline = time.monotonic() + max(0.0, maxWait)
        while True:
            with self._lock:
                if self._updates:
                    return self._updates.pop(0)
            now = time.monotonic()
            if now - self._last_poll >= self.poll_interval:
                self._last_poll = now
                self._poll()
                continue
            if now >= deadline:
                return None
            time.sleep(min(self.poll_interval - (now - self._last_poll), deadline - now, 1.0) + 0.01)

    def getIssuedBatchJobIDs(self) -> List[int]:
        with self._lock:
            return sorted(set(self._aws_ids) | {u.jobID for u in self._updates})

    def getRunningBatchJobIDs(self) -> Dict[int, float]:
        now = time.time()
        with self._lock:
            return {ours: max(0.0, now - started) for ours, started in self._started.items()
                    if ours in self._aws_ids}

    def getSchedulingStatusMessage(self) -> Optional[str]:
        return None

    # ------------------------------------------------------------------ killing, shutdown
    def killBatchJobs(self, jobIDs: List[int]) -> None:
        """Terminate the jobs and wait (at most :data:`KILL_TIMEOUT`) until they have stopped."""
        targets: Dict[int, str] = {}
        with self._lock:
            for ours in jobIDs:
                aws = self._aws_ids.get(ours)
                self._killed.add(ours)
                self._updates = [u for u in self._updates if u.jobID != ours]
                if aws is not None:
                    targets[ours] = aws
        for aws in targets.values():
            self.client.terminate_job(jobId=aws, reason="Killed by Toil")
        deadline = time.monotonic() + KILL_TIMEOUT
        waiting = list(targets.values())
        while waiting:
            waiting = [job["jobId"] for job in self._describe(waiting) if job.get("status") in ACTIVE]
            if not waiting:
                break
            if time.monotonic() > deadline:
                logger.warning("AWS Batch jobs %s did not stop within %.0f s of being terminated",
                               ", ".join(waiting), KILL_TIMEOUT)
                break
            time.sleep(self.poll_interval)
        with self._lock:
            for ours, aws in targets.items():
                self._aws_ids.pop(ours, None)
                self._by_aws.pop(aws, None)
                self._started.pop(ours, None)

    def shutdown(self) -> None:
        """Terminate what is still running and deregister the job definition. Safe to call twice."""
        if self._shut_down:
            return
        self._shut_down = True
        with self._lock:
            left = list(self._aws_ids.values())
        for aws in left:
            try:
                self.client.terminate_job(jobId=aws, reason="Toil is shutting down")
            except Exception as err:
                logger.warning("Could not terminate AWS Batch job %s: %s", aws, err)
        if self._job_definition_arn is not None:
            try:
                self.client.deregister_job_definition(jobDefinition=self._job_definition_arn)
            except Exception as err:
                logger.warning("Could not deregister the AWS Batch job definition %s: %s",
                               self._job_definition_arn, err)

    # ------------------------------------------------------------------ options
    @classmethod
    def add_options(cls, parser: Any) -> None:
        """The options come from :class:`~toil_aws.settings.AWSBatchSettings` (see the plugin spec)."""
