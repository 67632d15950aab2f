"""The Kubernetes objects of one Toil job, as plain dicts the client sends as they are.

One batch/v1 Job per Toil job: ``backoffLimit: 0`` and ``restartPolicy: Never`` (Toil retries, not
Kubernetes), ``ttlSecondsAfterFinished`` so forgotten Jobs go away, requests equal to limits for
cpu, memory and ephemeral storage (plus a little headroom for the worker process itself), GPUs
as extended resources with the accelerator model as a node affinity, spot/preemptible node
preferences, and the work directory on the host path or an emptyDir. Kept free of the client
library so it is tested without a cluster.
"""
from __future__ import annotations

import getpass
import math
import re
from typing import Any, Dict, List, Optional

import attrs

#: Label carried by every Job (and its pod) of one batch system instance.
RUN_LABEL = "toil_run"
#: Label carried by every Job (and its pod) of one workflow, across restarts.
WORKFLOW_LABEL = "toil_workflow"
#: Where the work directory is mounted when there is no host path.
POD_WORK_DIR = "/var/lib/toil"
#: Added to each job's memory limit for the worker process around the job (bytes).
MEMORY_HEADROOM = 64 * 2**20
#: Added to each job's ephemeral storage limit for the worker's own files (bytes).
DISK_HEADROOM = 64 * 2**20
#: Finished Jobs linger this long for inspection, then Kubernetes deletes them.
TTL_AFTER_FINISHED = 600

#: Node labels and taints of spot / preemptible nodes on the big clouds.
PREEMPTIBLE_LABELS = (
    ("eks.amazonaws.com/capacityType", "In", ["SPOT"]),
    ("cloud.google.com/gke-preemptible", "In", ["true"]),
    ("cloud.google.com/gke-spot", "In", ["true"]),
)
PREEMPTIBLE_TAINTS = ("cloud.google.com/gke-preemptible", "cloud.google.com/gke-spot",
                      "eks.amazonaws.com/capacityType")
#: Node label that names a node's accelerator model (GKE's; others follow it).
ACCELERATOR_LABEL = "accelerator"
GPU_LABEL_GKE = "cloud.google.com/gke-accelerator"


def sanitise_owner(name: Optional[str] = None) -> str:
    """A user name made fit for a DNS-1123 label (lowercase letters, digits, dashes), at most
    20 characters, never empty."""
    if name is None:
        try:
            name = getpass.getuser()
        except Exception:  # noqa: BLE001 - no user database entry (containers)
            name = "toil"
    text = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:20].strip("-")
    return text or "toil"


def escape_expansion(text: str) -> str:
    """``text`` safe from Kubernetes' ``$(VAR)`` expansion of container commands and env values
    (``$$`` stands for ``$``): without it ``kill $$`` would become ``kill $``."""
    return text.replace("$", "$$")


def label_value(text: str) -> str:
    """``text`` made a valid label value (<= 63 of [A-Za-z0-9._-], alphanumeric at both ends)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text)[:63].strip("-._") or "none"


def job_name(owner: str, run_id: str, job_number: int) -> str:
    """``OWNER-toil-RUNID-N``: unique per run and job, a valid DNS-1123 label (<= 63)."""
    name = f"{owner}-toil-{run_id}-{job_number}"
    if len(name) > 63:
        raise ValueError(f"Kubernetes job name {name!r} is longer than 63 characters")
    return name


def quantity(value: float) -> str:
    """A whole-number Kubernetes quantity (bytes) for a size in bytes."""
    return str(int(math.ceil(value)))


def cpu_quantity(cores: float) -> str:
    """Cores as millicores (at least 1m)."""
    return f"{max(1, int(math.ceil(float(cores) * 1000)))}m"


def gpu_resources(accelerators: List[Dict[str, Any]]) -> Dict[str, str]:
    """Extended resources for the GPUs asked for: ``nvidia.com/gpu`` unless the brand says
    otherwise (``amd.com/gpu``)."""
    counts: Dict[str, int] = {}
    for acc in accelerators or []:
        if acc.get("kind", "gpu") != "gpu":
            continue
        brand = (acc.get("brand") or "nvidia").lower()
        key = f"{brand}.com/gpu"
        counts[key] = counts.get(key, 0) + int(acc.get("count", 1))
    return {key: str(count) for key, count in counts.items()}


def node_affinity(preemptible: bool, accelerators: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The pod's node affinity: the accelerator model required; spot nodes preferred by
    preemptible jobs and excluded for the others."""
    required: List[Dict[str, Any]] = []
    preferred: List[Dict[str, Any]] = []
    models = sorted({a["model"] for a in accelerators or [] if a.get("model")})
    if models:
        # one term per label: a node qualifies if either label names the model
        for label in (ACCELERATOR_LABEL, GPU_LABEL_GKE):
            required.append({"matchExpressions": [{"key": label, "operator": "In", "values": models}]})
    if preemptible:
        for key, op, values in PREEMPTIBLE_LABELS:
            preferred.append({"weight": 1, "preference": {"matchExpressions": [
                {"key": key, "operator": op, "values": values}]}})
    else:
        # all conditions in one term (ANDed): not on any kind of spot node
        expressions = [{"key": key, "operator": "NotIn", "values": values} for key, _, values in PREEMPTIBLE_LABELS]
        if required:
            required = [{"matchExpressions": term["matchExpressions"] + expressions} for term in required]
        else:
            required = [{"matchExpressions": expressions}]
    affinity: Dict[str, Any] = {}
    if required:
        affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": required}
    if preferred:
        affinity["preferredDuringSchedulingIgnoredDuringExecution"] = preferred
    return affinity or None


def tolerations(preemptible: bool) -> List[Dict[str, Any]]:
    """Preemptible jobs tolerate the taints spot nodes carry."""
    if not preemptible:
        return []
    return [{"key": key, "operator": "Exists", "effect": "NoSchedule"} for key in PREEMPTIBLE_TAINTS]


@attrs.frozen
class PodTemplate:
    """What is the same for every Job of one batch system instance."""

    image: str
    run_id: str
    owner: str
    host_path: Optional[str] = None
    service_account: Optional[str] = None
    privileged: bool = False
    pod_security_context: Optional[Dict[str, Any]] = None
    security_context: Optional[Dict[str, Any]] = None
    aws_secret_name: Optional[str] = None
    ttl_after_finished: int = TTL_AFTER_FINISHED
    workflow_id: Optional[str] = None

    @property
    def work_dir(self) -> str:
        """The Toil work directory inside each pod."""
        return self.host_path or POD_WORK_DIR


def job_manifest(template: PodTemplate, job_number: int, *, args: List[str], environment: Dict[str, str],
                 cores: float, memory: int, disk: int, accelerators: List[Dict[str, Any]] = (),  # type: ignore[assignment]
                 preemptible: bool = False, toil_job_name: str = "") -> Dict[str, Any]:
    """The batch/v1 Job that runs ``args`` (``_toil_contained_executor ...``) for one Toil job."""
    name = job_name(template.owner, template.run_id, job_number)
    resources = {
        "cpu": cpu_quantity(cores),
        "memory": quantity(memory + MEMORY_HEADROOM),
        "ephemeral-storage": quantity(disk + DISK_HEADROOM),
    }
    resources.update(gpu_resources(list(accelerators)))
    volumes: List[Dict[str, Any]] = []
    mounts: List[Dict[str, Any]] = []
    if template.host_path:
        # the same path inside and out: a file: job store under it is shared with the leader
        volumes.append({"name": "workdir", "hostPath": {"path": template.host_path, "type": "DirectoryOrCreate"}})
    else:
        volumes.append({"name": "workdir", "emptyDir": {}})
    mounts.append({"name": "workdir", "mountPath": template.work_dir})
    if template.aws_secret_name:
        volumes.append({"name": "aws-credentials", "secret": {"secretName": template.aws_secret_name}})
        mounts.append({"name": "aws-credentials", "mountPath": "/root/.aws", "readOnly": True})
    security = dict(template.security_context or {})
    if template.privileged:
        security["privileged"] = True
    env = [{"name": key, "value": escape_expansion(value)} for key, value in sorted(environment.items())]
    env.append({"name": "TOIL_WORKDIR_OVERRIDE", "value": template.work_dir})
    container: Dict[str, Any] = {
        "name": "runner-container",
        "image": template.image,
        "imagePullPolicy": "IfNotPresent",
        "command": [escape_expansion(arg) for arg in args],
        "env": env,
        "resources": {"requests": dict(resources), "limits": dict(resources)},
        "volumeMounts": mounts,
        "workingDir": template.work_dir,
    }
    if security:
        container["securityContext"] = security
    labels = {RUN_LABEL: template.run_id, "toil_owner": template.owner}
    if template.workflow_id:
        labels[WORKFLOW_LABEL] = label_value(template.workflow_id)
    pod_spec: Dict[str, Any] = {
        "restartPolicy": "Never",
        "containers": [container],
        "volumes": volumes,
        "automountServiceAccountToken": bool(template.service_account),
    }
    if template.service_account:
        pod_spec["serviceAccountName"] = template.service_account
    if template.pod_security_context:
        pod_spec["securityContext"] = dict(template.pod_security_context)
    affinity = node_affinity(preemptible, list(accelerators))
    if affinity:
        pod_spec["affinity"] = {"nodeAffinity": affinity}
    tolerate = tolerations(preemptible)
    if tolerate:
        pod_spec["tolerations"] = tolerate
    annotations = {"toil.io/job-name": toil_job_name[:200]} if toil_job_name else {}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": dict(labels), "annotations": annotations},
        "spec": {
            "backoffLimit": 0,
            "ttlSecondsAfterFinished": template.ttl_after_finished,
            "template": {"metadata": {"labels": dict(labels), "annotations": annotations}, "spec": pod_spec},
        },
    }
