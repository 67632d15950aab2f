"""The toil-k8s plugin: registers the ``kubernetes`` batch system (entry point group
``toil.batch_systems``).

Importing this module imports neither the ``kubernetes`` client nor the batch system: the spec
names the class as a lazy load string. ``toil_clean_workflow`` (``toil clean``) deletes the Jobs and
pods a killed leader of a kubernetes workflow left running.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, List

from toil_core.plugin_api import BatchSystemSpec, hookimpl

from toil_k8s.settings import KubernetesSettings

if TYPE_CHECKING:
    from toil_core.plugin_api import Config


def toil_batch_systems() -> List[BatchSystemSpec]:
    return [
        BatchSystemSpec(
            name="kubernetes", aliases=("k8s",),
            load="toil_k8s.batch_system:KubernetesBatchSystem", settings=KubernetesSettings,
            capabilities=frozenset({"walltime", "accelerators", "fractional_cores", "auto_deployment", "scalable"}),
            summary="Runs each job as a Kubernetes batch/v1 Job in the appliance image (TOIL_APPLIANCE_SELF).",
        ),
    ]


#: Names the workflow's configuration may give the batch system (the spec's name and aliases).
NAMES = frozenset({"kubernetes", "k8s"})


@hookimpl(optionalhook=True)
def toil_clean_workflow(config: Config) -> None:
    if str(config.batchSystem or "").lower() not in NAMES:
        return
    from toil_k8s.cleanup import clean_workflow

    clean_workflow(config)
