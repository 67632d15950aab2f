"""The toil-mesos plugin: registers the ``mesos`` batch system (entry point group
``toil.batch_systems``). Importing it imports no Mesos code: the spec names the class lazily."""
from __future__ import annotations

from typing import List

from toil_core.plugin_api import BatchSystemSpec

from toil_mesos.settings import MesosSettings


def toil_batch_systems() -> List[BatchSystemSpec]:
    return [
        BatchSystemSpec(
            name="mesos", load="toil_mesos.batch_system:MesosBatchSystem",
            settings=MesosSettings,
            capabilities={"walltime", "fractional_cores", "scalable"},
            summary="Runs jobs as tasks of a Mesos framework (v1 HTTP API) through _toil_mesos_executor.",
        ),
    ]
