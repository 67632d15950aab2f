"""The toil-k8s plugin: registers the ``kubernetes`` batch system (entry point group
``toil.batch_systems``).

Importing this module imports neither the ``kubernetes`` client nor the batch system: the spec
names the class as a lazy load string.
"""
from __future__ import annotations

from typing import List

from toil_core.plugin_api import BatchSystemSpec

from toil_k8s.settings import KubernetesSettings


def toil_batch_systems() -> List[BatchSystemSpec]:
    return [
        BatchSystemSpec(
            name="kubernetes", aliases=("k8s",),
            load="toil_k8s.batch_system:KubernetesBatchSystem", settings=KubernetesSettings,
            capabilities=frozenset({"walltime", "accelerators", "fractional_cores", "auto_deployment"}),
            summary="Runs each job as a Kubernetes batch/v1 Job in the appliance image (TOIL_APPLIANCE_SELF).",
        ),
    ]
