"""The ``kubernetes`` batch system: each Toil job runs as one batch/v1 Job in the appliance image.

* Submission: jobs wait in the batch system's own queue until the cluster has room for their
  requests (:mod:`toil_k8s.capacity`), then become a Job (:mod:`toil_k8s.manifests`) whose
  container runs ``_toil_contained_executor`` (:mod:`toil_k8s.executor`).
* Completion: a watch on the run's pods (label ``toil_run``), re-listed every few seconds as a
  fallback, or polling alone with ``KUBE_WATCH_ENABLED=False``. The exit code comes from the
  container's terminated state; OOMKilled is reported as MEMLIMIT; a failed pod's log is logged
  on the leader. A scheduled pod that does not start within ``--kubernetesPodTimeout`` (image
  pull failures, ContainerCreating) fails its job with the reason.
* Kill deletes the Job with foreground propagation and waits until it is gone; shutdown deletes
  every Job of the run.
* Jobs marked ``local`` run on the leader (:class:`BatchSystemLocalSupport`).
"""
from __future__ import annotations

import collections
import logging
import os
import queue
import threading
import time
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Deque, Dict, List, Optional, Set

import attrs
from toil_core.plugin_api import (
    EXIT_STATUS_UNAVAILABLE_VALUE,
    AbstractScalableBatchSystem,
    BatchJobExitReason,
    BatchSystemLocalSupport,
    InsufficientSystemResources,
    NodeInfo,
    UpdatedBatchJobInfo,
    WorkerInvocation,
    settings_from,
)

from toil_k8s import capacity, cleanup
from toil_k8s.connection import Connection, KubernetesSetupError, connect
from toil_k8s.manifests import RUN_LABEL, PodTemplate, job_manifest, sanitise_owner
from toil_k8s.nodes import NodeView
from toil_k8s.pod_state import Phase, PodView, is_stuck, view_pod
from toil_k8s.settings import KubernetesSettings, environment_knobs

if TYPE_CHECKING:
    from toil_core.plugin_api import Config

logger = logging.getLogger(__name__)

#: Seconds between full re-lists of the run's pods (the watch's fallback) and polls without watch.
RESYNC_INTERVAL = 5.0
POLL_INTERVAL = 1.0
#: How long kill and shutdown wait for the Jobs and their pods to be gone.
DELETE_TIMEOUT = cleanup.DELETE_TIMEOUT
#: Lines of a failed pod's log copied into the leader's log.
LOG_TAIL_LINES = 200


@attrs.define
class _Job:
    """The batch system's record of one issued job."""

    job_id: int
    name: str
    manifest: Dict[str, Any]
    request: Dict[str, Decimal]
    toil_name: str
    submitted: bool = False
    scheduled: bool = False
    started_at: Optional[float] = None


def load_yaml_file(path: Optional[str], option: str) -> Optional[Dict[str, Any]]:
    """The mapping in a YAML file named by ``option``, or a clear error."""
    if not path:
        return None
    import yaml

    try:
        with open(path) as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        raise KubernetesSetupError(f"The file given to {option}, {path}, does not exist. Give the path of a YAML "
                                   f"file holding the security context.") from None
    except (OSError, yaml.YAMLError) as exc:
        raise KubernetesSetupError(f"Cannot read the YAML file given to {option}, {path}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise KubernetesSetupError(f"The file given to {option}, {path}, must hold a YAML mapping "
                                   f"(e.g. 'runAsUser: 1000'), not a {type(data).__name__}.")
    return data


class KubernetesBatchSystem(BatchSystemLocalSupport, AbstractScalableBatchSystem):
    """Runs each Toil job as a Kubernetes Job (see the module docstring)."""

    @classmethod
    def supportsAutoDeployment(cls) -> bool:
        return True

    @classmethod
    def supportsWorkerCleanup(cls) -> bool:
        return False

    def __init__(self, config: Config, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        super().__init__(config, maxCores, maxMemory, maxDisk)
        self.settings: KubernetesSettings = settings_from(config, KubernetesSettings)
        knobs = environment_knobs()
        if not knobs.appliance:
            raise KubernetesSetupError(
                "The kubernetes batch system needs the image its pods run: set TOIL_APPLIANCE_SELF to an image "
                "with toil-core and toil-k8s installed (toil_k8s/Containerfile builds one), e.g. "
                "TOIL_APPLIANCE_SELF=registry.example.org/toil-appliance:1.0.0.")
        self.watch_enabled = knobs.watch_enabled
        self.pod_timeout = float(self.settings.kubernetes_pod_timeout
                                 if self.settings.kubernetes_pod_timeout is not None else 120)
        host_path = self.settings.kubernetes_host_path
        if host_path and not os.path.isabs(host_path):
            raise KubernetesSetupError(f"--kubernetesHostPath must be an absolute path, not {host_path!r}.")
        self.template = PodTemplate(
            image=knobs.appliance,
            run_id=uuid.uuid4().hex[:10],
            owner=sanitise_owner(self.settings.kubernetes_owner),
            host_path=host_path,
            service_account=self.settings.kubernetes_service_account,
            privileged=bool(self.settings.kubernetes_privileged),
            pod_security_context=load_yaml_file(self.settings.kubernetes_pod_security_context,
                                                "--kubernetesPodSecurityContext"),
            security_context=load_yaml_file(self.settings.kubernetes_security_context,
                                            "--kubernetesSecurityContext"),
            aws_secret_name=knobs.aws_secret_name,
            workflow_id=config.workflowID or None,
        )
        self.connection: Connection = connect()
        self.namespace = self.connection.namespace
        self.selector = f"{RUN_LABEL}={self.template.run_id}"
        self.node_view = NodeView(self.connection.core, self.namespace, self.selector)
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._jobs: Dict[int, _Job] = {}
        self._queue: Deque[int] = collections.deque()
        self._killed: Set[int] = set()
        self._updates: "queue.Queue[UpdatedBatchJobInfo]" = queue.Queue()
        self._stopping = threading.Event()
        self._shut_down = False
        self._max_gpus: Optional[int] = None
        self._warned_too_big: Set[int] = set()
        if config.restart and self.template.workflow_id:
            self._remove_predecessors_jobs()
        logger.info("Kubernetes batch system: namespace %s via %s, image %s, run label %s", self.namespace,
                    self.connection.where, self.template.image, self.selector)
        self._threads = [threading.Thread(target=self._submit_loop, name="k8s-submit", daemon=True),
                         threading.Thread(target=self._monitor_loop, name="k8s-monitor", daemon=True)]
        for thread in self._threads:
            thread.start()

    def _remove_predecessors_jobs(self) -> None:
        """On --restart: delete the Jobs an earlier leader of this workflow left (it was killed
        before its shutdown could), and wait until their pods are gone. The core creates the batch
        system before it reads the job store to resume, so no orphaned worker changes the store
        after that, and none runs on beside the rerun of its job."""
        workflow_id = self.template.workflow_id or ""
        try:
            cleanup.remove_workflow(self.connection, workflow_id, "left by an earlier run of this workflow")
        except Exception as exc:  # noqa: BLE001 - the rerun works without it, but say what may be left
            logger.warning("Could not delete the jobs of an earlier run (%s): kubectl delete jobs,pods -l %s", exc,
                           cleanup.workflow_selector(workflow_id))

    # ------------------------------------------------------------------ issuing
    def check_resource_request(self, requirer: Any) -> None:
        super().check_resource_request(requirer)
        wanted = sum(int(a.get("count", 1)) for a in getattr(requirer, "accelerators", None) or []
                     if a.get("kind", "gpu") == "gpu")
        if wanted:
            available = self._cluster_max_gpus()
            if available is not None and wanted > available:
                raise InsufficientSystemResources(requirer, "accelerators", available, "the Kubernetes cluster",
                                                  details=["No node of the cluster has that many GPUs."])

    def _cluster_max_gpus(self) -> Optional[int]:
        if self._max_gpus is None:
            from kubernetes.client.rest import ApiException

            try:
                nodes = self.connection.core.list_node(_request_timeout=10).items
            except ApiException:
                return None
            counts = [0]
            for node in nodes:
                for key, value in (node.status.allocatable or {}).items():
                    if key.endswith("/gpu"):
                        counts.append(int(capacity.parse_quantity(value)))
            self._max_gpus = max(counts)
        return self._max_gpus

    def issueBatchJob(self, command: str, job_desc: Any, job_environment: Optional[Dict[str, str]] = None) -> int:
        self.check_resource_request(job_desc)
        local_id = self.handleLocalJob(command, job_desc, job_environment)
        if local_id is not None:
            return local_id
        job_id = self.getNextJobID()
        invocation = WorkerInvocation.parse(command)
        if invocation is not None:
            args = ["_toil_contained_executor", "--worker", *invocation.arguments]
        else:
            args = ["_toil_contained_executor", "--shell", command]
        environment = dict(self.environment)
        environment.update(job_environment or {})
        toil_name = str(getattr(job_desc, "displayName", None) or getattr(job_desc, "jobName", "") or "")
        manifest = job_manifest(
            self.template, job_id, args=args, environment=environment,
            cores=float(job_desc.cores), memory=int(job_desc.memory), disk=int(job_desc.disk),
            accelerators=list(getattr(job_desc, "accelerators", None) or []),
            preemptible=bool(getattr(job_desc, "preemptible", False)), toil_job_name=toil_name)
        resources = manifest["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]
        job = _Job(job_id, manifest["metadata"]["name"], manifest, capacity.requests_of(resources), toil_name)
        with self._wake:
            self._jobs[job_id] = job
            self._queue.append(job_id)
            self._wake.notify_all()
        logger.debug("Queued Toil job %s as Kubernetes job %s", toil_name, job.name)
        return job_id

    # ------------------------------------------------------------------ the submission queue
    def _submit_loop(self) -> None:
        rooms: Optional[List[capacity.NodeRoom]] = None
        rooms_at = 0.0
        while not self._stopping.is_set():
            with self._wake:
                while not self._queue and not self._stopping.is_set():
                    self._wake.wait(1.0)
                if self._stopping.is_set():
                    return
            if rooms is None or time.monotonic() - rooms_at > 2.0:
                rooms = self._rooms()
                rooms_at = time.monotonic()
            submitted_any = False
            while True:
                with self._lock:
                    if not self._queue:
                        break
                    job = self._jobs.get(self._queue[0])
                    if job is None or job.job_id in self._killed:
                        self._queue.popleft()
                        continue
                if rooms is not None and capacity.place(rooms, job.request) is None:
                    if rooms and not any(r.could_ever_fit(job.request) for r in rooms) \
                            and job.job_id not in self._warned_too_big:
                        self._warned_too_big.add(job.job_id)
                        logger.warning("Kubernetes job %s (%s) asks for more than any node of the cluster has; "
                                       "it waits until a big enough node joins.", job.name, job.toil_name)
                    break  # first in, first out: wait for room
                with self._lock:
                    if self._queue and self._queue[0] == job.job_id:
                        self._queue.popleft()
                self._create(job)
                submitted_any = True
            if not submitted_any:
                self._stopping.wait(1.0)
                rooms = None  # look again: pods may have finished

    def _rooms(self) -> Optional[List[capacity.NodeRoom]]:
        rooms = capacity.snapshot(self.connection.core)
        if rooms is None:
            return None
        with self._lock:
            pending = [j for j in self._jobs.values() if j.submitted and not j.scheduled]
        for job in pending:  # submitted but not on a node yet: not in the nodes' requests
            capacity.place(rooms, job.request)
        return rooms

    def _create(self, job: _Job) -> None:
        from kubernetes.client.rest import ApiException

        for attempt in range(5):
            try:
                self.connection.batch.create_namespaced_job(self.namespace, job.manifest, _request_timeout=30)
                break
            except ApiException as exc:
                if exc.status == 409:  # created by an earlier attempt whose answer was lost
                    break
                if exc.status in (400, 403, 404, 422) or attempt == 4:
                    logger.error("Kubernetes refused job %s (%s): HTTP %s %s", job.name, job.toil_name,
                                 exc.status, str(exc.body)[:500])
                    self._finish(job.job_id, EXIT_STATUS_UNAVAILABLE_VALUE, BatchJobExitReason.ERROR, None)
                    return
            except Exception as exc:  # noqa: BLE001 - connection trouble: retry
                if attempt == 4:
                    logger.error("Cannot submit Kubernetes job %s: %s", job.name, exc)
                    self._finish(job.job_id, EXIT_STATUS_UNAVAILABLE_VALUE, BatchJobExitReason.ERROR, None)
                    return
            self._stopping.wait(min(8.0, 0.5 * 2 ** attempt))
        with self._lock:
            job.submitted = True
            killed_meanwhile = job.job_id in self._killed
        if killed_meanwhile:  # killBatchJobs ran while the Job was being created
            self._delete_job(job.name, wait=False)
        logger.debug("Submitted Kubernetes job %s", job.name)

    # ------------------------------------------------------------------ watching
    def _monitor_loop(self) -> None:
        resource_version: Optional[str] = None
        next_resync = 0.0
        while not self._stopping.is_set():
            try:
                if time.monotonic() >= next_resync or not self.watch_enabled:
                    resource_version = self._resync()
                    next_resync = time.monotonic() + RESYNC_INTERVAL
                if self.watch_enabled:
                    resource_version = self._watch(resource_version, RESYNC_INTERVAL)
                else:
                    self._stopping.wait(POLL_INTERVAL)
            except Exception as exc:  # noqa: BLE001 - the API server may come and go: keep going
                if self._stopping.is_set():
                    return
                logger.warning("Trouble following the Kubernetes jobs (%s: %s); retrying.", type(exc).__name__, exc)
                resource_version = None
                next_resync = 0.0
                self._stopping.wait(2.0)

    def _resync(self) -> Optional[str]:
        """List the run's pods and Jobs; act on every pod; report Jobs that vanished."""
        pods = self.connection.core.list_namespaced_pod(self.namespace, label_selector=self.selector,
                                                        _request_timeout=30)
        seen: Set[str] = set()
        for pod in pods.items:
            seen.add(self._job_name_of(pod) or "")
            self._on_pod(pod)
        with self._lock:
            unseen = [j for j in self._jobs.values() if j.submitted and j.name not in seen]
        if unseen:
            jobs = self.connection.batch.list_namespaced_job(self.namespace, label_selector=self.selector,
                                                             _request_timeout=30)
            existing = {j.metadata.name: j for j in jobs.items}
            for job in unseen:
                k8s_job = existing.get(job.name)
                if k8s_job is None:
                    # the Job is gone (deleted by someone else) while Toil still waited for it
                    with self._lock:
                        still_ours = job.job_id in self._jobs and job.job_id not in self._killed
                    if still_ours:
                        logger.warning("Kubernetes job %s (%s) disappeared before it finished.", job.name,
                                       job.toil_name)
                        self._finish(job.job_id, EXIT_STATUS_UNAVAILABLE_VALUE, BatchJobExitReason.LOST, None)
                elif (k8s_job.status.failed or 0) > 0:
                    self._finish(job.job_id, EXIT_STATUS_UNAVAILABLE_VALUE, BatchJobExitReason.LOST, None)
        return pods.metadata.resource_version

    def _watch(self, resource_version: Optional[str], seconds: float) -> Optional[str]:
        from kubernetes import watch

        watcher = watch.Watch()
        kwargs: Dict[str, Any] = {"label_selector": self.selector, "timeout_seconds": max(1, int(seconds))}
        if resource_version:
            kwargs["resource_version"] = resource_version
        try:
            for event in watcher.stream(self.connection.core.list_namespaced_pod, self.namespace, **kwargs):
                if self._stopping.is_set():
                    break
                pod = event["object"]
                if event["type"] == "ERROR":
                    return None  # e.g. 410 Gone: the next resync lists afresh
                resource_version = pod.metadata.resource_version
                if event["type"] in ("ADDED", "MODIFIED"):
                    self._on_pod(pod)
        finally:
            watcher.stop()
        return resource_version

    @staticmethod
    def _job_name_of(pod: Any) -> Optional[str]:
        labels = pod.metadata.labels or {}
        return labels.get("job-name") or labels.get("batch.kubernetes.io/job-name")

    def _job_for_pod(self, pod: Any) -> Optional[_Job]:
        name = self._job_name_of(pod)
        if not name:
            return None
        try:
            job_id = int(name.rsplit("-", 1)[1])
        except (IndexError, ValueError):
            return None
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.name == name else None

    def _on_pod(self, pod: Any) -> None:
        job = self._job_for_pod(pod)
        if job is None:
            return
        view = view_pod(pod)
        with self._lock:
            if view.scheduled_at is not None:
                job.scheduled = True
            if view.started_at is not None:
                job.started_at = view.started_at
        if view.phase is Phase.DONE:
            self._on_done(job, pod, view)
        elif is_stuck(view, time.time(), self.pod_timeout):
            logger.error("Kubernetes job %s (%s) failed: its pod %s did not start within %.0f s of being "
                         "scheduled: %s%s", job.name, job.toil_name, pod.metadata.name, self.pod_timeout,
                         view.reason, f" ({view.message})" if view.message else "")
            self._finish(job.job_id, EXIT_STATUS_UNAVAILABLE_VALUE, BatchJobExitReason.ERROR, None, delete=True)

    def _on_done(self, job: _Job, pod: Any, view: PodView) -> None:
        exit_code = view.exit_code if view.exit_code is not None else EXIT_STATUS_UNAVAILABLE_VALUE
        if view.out_of_memory:
            reason = BatchJobExitReason.MEMLIMIT
            limit = job.manifest["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]
            logger.error("Kubernetes job %s (%s) ran out of memory (OOMKilled; its limit was %s bytes).",
                         job.name, job.toil_name, limit)
        elif view.exit_code == 0:
            reason = BatchJobExitReason.FINISHED
        elif view.exit_code is None:
            reason = BatchJobExitReason.LOST
            logger.error("Kubernetes pod %s of job %s (%s) ended without running: %s %s", pod.metadata.name,
                         job.name, job.toil_name, view.reason, view.message or "")
        else:
            reason = BatchJobExitReason.FAILED
        if exit_code != 0:
            self._log_pod(pod.metadata.name, job)
        self._finish(job.job_id, exit_code, reason, view.wall_time, delete=True)

    def _log_pod(self, pod_name: str, job: _Job) -> None:
        try:
            text = self.connection.core.read_namespaced_pod_log(pod_name, self.namespace, tail_lines=LOG_TAIL_LINES,
                                                                _request_timeout=30)
        except Exception as exc:  # noqa: BLE001 - the log is a courtesy
            logger.warning("Cannot read the log of pod %s: %s", pod_name, exc)
            return
        if text:
            logger.warning("Log of the failed pod %s of Kubernetes job %s (%s), last %d lines:\n%s", pod_name,
                           job.name, job.toil_name, LOG_TAIL_LINES, text.rstrip())

    def _finish(self, job_id: int, exit_code: int, reason: BatchJobExitReason, wall_time: Optional[float],
                delete: bool = False) -> None:
        """Report a job once, forget it, and delete its Job (in the background)."""
        with self._lock:
            job = self._jobs.pop(job_id, None)
            if job is None:
                return
            killed = job_id in self._killed
            self._wake.notify_all()
        if not killed:
            self._updates.put(UpdatedBatchJobInfo(jobID=job_id, exitStatus=exit_code, exitReason=reason,
                                                  wallTime=wall_time))
        if delete and job.submitted:
            self._delete_job(job.name, wait=False)

    def _delete_pods(self, selector: str) -> None:
        cleanup.delete_pods(self.connection, selector)

    def _delete_job(self, name: str, wait: bool, foreground: bool = False) -> None:
        from kubernetes.client.rest import ApiException

        body = {"propagationPolicy": "Foreground" if wait or foreground else "Background"}
        try:
            self.connection.batch.delete_namespaced_job(name, self.namespace, body=body, _request_timeout=30)
        except ApiException as exc:
            if exc.status != 404:
                logger.warning("Cannot delete Kubernetes job %s: HTTP %s", name, exc.status)
            return
        except Exception as exc:  # noqa: BLE001
            logger.warning("Cannot delete Kubernetes job %s: %s", name, exc)
            return
        if wait:
            self._wait_gone([name])

    def _wait_gone(self, names: List[str]) -> None:
        """Wait until none of these Jobs (nor their pods) exist any more."""
        deadline = time.monotonic() + DELETE_TIMEOUT
        wanted = set(names)
        while time.monotonic() < deadline:
            try:
                jobs = self.connection.batch.list_namespaced_job(self.namespace, label_selector=self.selector,
                                                                 _request_timeout=30)
                pods = self.connection.core.list_namespaced_pod(self.namespace, label_selector=self.selector,
                                                                _request_timeout=30)
            except Exception as exc:  # noqa: BLE001
                logger.debug("Listing while waiting for deletion: %s", exc)
                time.sleep(0.5)
                continue
            left = {j.metadata.name for j in jobs.items} | {self._job_name_of(p) for p in pods.items}
            if not wanted & left:
                return
            time.sleep(0.2)
        logger.warning("Kubernetes jobs %s were still there %.0f s after their deletion.", sorted(wanted),
                       DELETE_TIMEOUT)

    # ------------------------------------------------------------------ the leader's questions
    def getUpdatedBatchJob(self, maxWait: float) -> Optional[UpdatedBatchJobInfo]:
        local = self.getUpdatedLocalJob(0)
        if local is not None:
            return local
        deadline = time.monotonic() + maxWait
        while True:
            try:
                update = self._updates.get(timeout=max(0.0, min(0.5, deadline - time.monotonic())))
            except queue.Empty:
                update = None
            if update is not None:
                with self._lock:
                    if update.jobID in self._killed:
                        continue
                return update
            local = self.getUpdatedLocalJob(0)
            if local is not None:
                return local
            if time.monotonic() >= deadline:
                return None

    def getIssuedBatchJobIDs(self) -> List[int]:
        with self._lock:
            ours = [i for i in self._jobs if i not in self._killed]
        return ours + self.getIssuedLocalJobIDs()

    def getRunningBatchJobIDs(self) -> Dict[int, float]:
        now = time.time()
        with self._lock:
            running = {j.job_id: max(0.0, now - j.started_at) for j in self._jobs.values()
                       if j.started_at is not None and j.job_id not in self._killed}
        running.update(self.getRunningLocalJobIDs())
        return running

    def getSchedulingStatusMessage(self) -> Optional[str]:
        with self._lock:
            waiting = len(self._queue)
        return f"{waiting} jobs are waiting for room in the Kubernetes cluster." if waiting else None

    def killBatchJobs(self, jobIDs: List[int]) -> None:
        self.killLocalJobs(jobIDs)
        names: List[str] = []
        with self._lock:
            for job_id in jobIDs:
                job = self._jobs.pop(job_id, None)
                if job is None:
                    continue
                self._killed.add(job_id)
                if job_id in self._queue:
                    self._queue.remove(job_id)
                names.append(job.name)  # submitted or about to be: delete either way
            self._wake.notify_all()
        for name in names:
            self._delete_job(name, wait=False, foreground=True)
            self._delete_pods(f"job-name={name}")
        if names:
            self._wait_gone(names)

    # ------------------------------------------------------------------ scalable interface (toil_k8s.nodes)
    def getNodes(self, preemptible: Optional[bool] = None, timeout: int = 600) -> Dict[str, NodeInfo]:
        return self.node_view.nodes(preemptible)

    def nodeInUse(self, nodeIP: str) -> bool:
        return self.node_view.in_use(nodeIP)

    def ignoreNode(self, nodeAddress: str) -> None:
        self.node_view.ignore(nodeAddress)

    def unignoreNode(self, nodeAddress: str) -> None:
        self.node_view.unignore(nodeAddress)

    def shutdown(self) -> None:
        if self._shut_down:
            return
        self._shut_down = True
        try:
            self.node_view.release_all()
        except Exception as exc:  # noqa: BLE001 - the pods still have to go
            logger.warning("Could not uncordon the nodes this run cordoned: %s", exc)
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        try:  # first the jobs, so none runs on while the threads wind down
            self.connection.batch.delete_collection_namespaced_job(
                self.namespace, label_selector=self.selector, propagation_policy="Foreground", _request_timeout=60)
            self._delete_pods(self.selector)
            self._threads[0].join(timeout=60)  # a submission in flight ends before the last look
            # the monitor may sit in a watch for a few more seconds; it only reads, so it is left
            self.connection.batch.delete_collection_namespaced_job(
                self.namespace, label_selector=self.selector, propagation_policy="Foreground", _request_timeout=60)
            self._wait_all_gone()
        except Exception as exc:  # noqa: BLE001 - the cluster may be gone; say what is left
            logger.warning("Could not delete the Kubernetes jobs of run %s: %s. Delete them with: kubectl delete jobs "
                           "-l %s -n %s", self.template.run_id, exc, self.selector, self.namespace)
        self.shutdownLocal()
        try:
            self.connection.api_client.close()
        except Exception:  # noqa: BLE001
            pass

    def _wait_all_gone(self) -> None:
        if not cleanup.wait_labelled_gone(self.connection, self.selector, DELETE_TIMEOUT):
            logger.warning("Kubernetes jobs of run %s were still there %.0f s after shutdown.", self.template.run_id,
                           DELETE_TIMEOUT)
