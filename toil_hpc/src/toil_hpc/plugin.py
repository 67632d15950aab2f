"""The toil-hpc plugin: registers the ``slurm``, ``grid_engine``, ``htcondor``, ``torque`` and
``lsf`` batch systems (entry point group ``toil.batch_systems``).

Importing this module imports no scheduler code and no scheduler bindings: the spec records
name the batch system classes as lazy load strings.
"""
from __future__ import annotations

from typing import List

from toil_core.plugin_api import BatchSystemSpec

from toil_hpc.settings import GridEngineSettings, HTCondorSettings, LSFSettings, SlurmSettings, TorqueSettings

_COMMON = frozenset({"walltime"})


def toil_batch_systems() -> List[BatchSystemSpec]:
    return [
        BatchSystemSpec(
            name="slurm", load="toil_hpc.slurm:SlurmBatchSystem", settings=SlurmSettings,
            capabilities=_COMMON | {"accelerators", "shared_filesystem"},
            summary="Submits jobs to a Slurm cluster with sbatch (squeue/sacct/scancel).",
        ),
        BatchSystemSpec(
            name="grid_engine", aliases=("gridengine", "gridEngine", "grid-engine", "sge"),
            load="toil_hpc.grid_engine:GridEngineBatchSystem", settings=GridEngineSettings,
            capabilities=_COMMON | {"shared_filesystem"},
            summary="Submits jobs to (Son of) Grid Engine with qsub (qstat/qacct/qdel).",
        ),
        BatchSystemSpec(
            name="htcondor", aliases=("condor",),
            load="toil_hpc.htcondor:HTCondorBatchSystem", settings=HTCondorSettings,
            capabilities=_COMMON | {"accelerators", "shared_filesystem"},
            summary="Submits jobs to an HTCondor pool through the htcondor Python bindings.",
        ),
        BatchSystemSpec(
            name="torque", aliases=("pbs",),
            load="toil_hpc.torque:TorqueBatchSystem", settings=TorqueSettings,
            capabilities=_COMMON | {"shared_filesystem"},
            summary="Submits jobs to Torque/PBS with qsub (qstat/qdel).",
        ),
        BatchSystemSpec(
            name="lsf", load="toil_hpc.lsf:LSFBatchSystem", settings=LSFSettings,
            capabilities=_COMMON | {"shared_filesystem"},
            summary="Submits jobs to IBM Spectrum LSF with bsub (bjobs/bkill).",
        ),
    ]
