"""Settings of the toil-hpc batch systems: one attrs class per scheduler.

Each field is declared once with :func:`toil_core.plugins.settings.setting`; the core turns it
into a command-line flag, reads the upstream environment variable (``TOIL_SLURM_ARGS``...) and
shows it in ``toil plugins show NAME``. This module imports only attrs and the core's settings
helpers (it is imported whenever a toil-hpc batch system is named).
"""
from __future__ import annotations

from typing import Optional

import attrs
from toil_core.plugin_api import setting


@attrs.frozen
class SlurmSettings:
    """Options of the ``slurm`` batch system."""

    slurm_args: str = setting(
        "", "Extra sbatch arguments for every job, e.g. '-t 1:00:00 -q fatq' (not for cores or memory, "
        "which Toil sets from each job's requirements).", flag="--slurmArgs", env="TOIL_SLURM_ARGS")
    slurm_pe: Optional[str] = setting(
        None, "Slurm partition for multi-core jobs (no default: the cluster's default partition).",
        flag="--slurmPE", env="TOIL_SLURM_PE", metavar="PARTITION")


@attrs.frozen
class GridEngineSettings:
    """Options of the ``grid_engine`` batch system (Son of Grid Engine, Univa/Altair Grid Engine)."""

    grid_engine_args: str = setting(
        "", "Extra qsub arguments for every job, e.g. '-q batch.q' (not for cores or memory unless "
        "--manualMemArgs is given).", flag="--gridEngineArgs", env="TOIL_GRIDENGINE_ARGS")
    grid_engine_pe: str = setting(
        "smp", "Parallel environment for multi-core jobs (qsub -pe NAME CORES).",
        flag="--gridEnginePE", env="TOIL_GRIDENGINE_PE", metavar="PE")


@attrs.frozen
class HTCondorSettings:
    """Options of the ``htcondor`` batch system."""

    htcondor_params: str = setting(
        "", "Extra submit description parameters for every job, as 'key = value; key2 = value2', e.g. "
        "'requirements = TARGET.has_sse4_2 == true; accounting_group = test'.",
        flag="--htcondorParams", env="TOIL_HTCONDOR_PARAMS")
    htcondor_collector: Optional[str] = setting(
        None, "HTCondor collector (central manager) to find the schedd with, as host[:port]; default: the "
        "local configuration (CONDOR_CONFIG).", flag="--htcondorCollector", env="TOIL_HTCONDOR_COLLECTOR",
        metavar="HOST")
    htcondor_schedd: Optional[str] = setting(
        None, "Name of the HTCondor schedd to submit to; default: the local schedd.",
        flag="--htcondorSchedd", env="TOIL_HTCONDOR_SCHEDD", metavar="NAME")


@attrs.frozen
class TorqueSettings:
    """Options of the ``torque`` batch system (Torque / PBS)."""

    torque_args: str = setting(
        "", "Extra qsub arguments for every job, e.g. '-q medium'.", flag="--torqueArgs", env="TOIL_TORQUE_ARGS")
    torque_reqs: str = setting(
        "", "Extra resource requirements (qsub -l, without the '-l'), e.g. 'walltime=2:00:00,file=50gb'; "
        "not for cores or memory.", flag="--torqueReqs", env="TOIL_TORQUE_REQS")


@attrs.frozen
class LSFSettings:
    """Options of the ``lsf`` batch system (IBM Spectrum LSF)."""

    lsf_args: str = setting(
        "", "Extra bsub arguments for every job, e.g. '-q medium' (not for cores or memory).",
        flag="--lsfArgs", env="TOIL_LSF_ARGS")
