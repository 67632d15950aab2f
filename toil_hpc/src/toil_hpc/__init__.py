"""toil-hpc: HPC batch systems for toil-core (Slurm, Grid Engine, HTCondor, Torque, LSF).

Install it next to toil-core and name the scheduler: ``--batchSystem slurm``. The batch system
classes live in :mod:`toil_hpc.slurm`, :mod:`toil_hpc.grid_engine`, :mod:`toil_hpc.htcondor`,
:mod:`toil_hpc.torque` and :mod:`toil_hpc.lsf`; they share
:class:`toil_hpc.grid_engine_base.AbstractGridEngineBatchSystem`.
"""
__version__ = "1.0.0"
