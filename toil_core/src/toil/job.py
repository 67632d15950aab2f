"""Compatibility module: upstream name ``toil.job``; everything lives in toil_core.

Upstream's module-level extras (``logger``, ``REQUIREMENT_NAMES``, the ``Parseable*`` type aliases,
``T``) come from :mod:`toil_core.compat_names` on first use (PEP 562): nearly every workflow script
imports this module, few name them. ``job.pyi`` gives type checkers every name with its real type.
"""
from toil_core.job import *  # noqa: F401,F403
from toil_core.job.requirements import *  # noqa
from toil_core.lib.accelerators import AcceleratorRequirement, parse_accelerator, accelerator_satisfies, accelerators_fully_satisfy  # noqa
from toil_core.job.graph import *  # noqa
from toil_core.compat_package import job_dir as __dir__, job_getattr as __getattr__  # noqa: F401  (PEP 562)
from toil_core.job.description import CheckpointJobDescription, ServiceJobDescription  # noqa: F401
from toil_core.job.wrapping import FunctionWrappingTarget, JobFunctionWrappingTarget  # noqa: F401
from toil_core.job.promise import UnfulfilledPromiseSentinel  # noqa: F401

__all__ = [
    "AcceleratorRequirement", "CheckpointJobDescription", "ConflictingPredecessorError",
    "EncapsulatedJob", "FunctionWrappingJob", "FunctionWrappingTarget", "Job", "JobDescription", "JobException",
    "JobFunctionWrappingJob", "JobFunctionWrappingTarget", "JobGraphDeadlockException", "JobPromiseConstraintError",
    "ParseableAcceleratorRequirement", "ParseableDivisibleResource", "ParseableFlag",
    "ParseableIndivisibleResource", "ParseableRequirement", "ParsedRequirement", "Promise", "Promised",
    "PromisedRequirement", "PromisedRequirementFunctionWrappingJob",
    "PromisedRequirementJobFunctionWrappingJob", "REQUIREMENT_NAMES", "RequirementsDict", "Requirer",
    "ServiceHostJob", "ServiceJobDescription", "T", "TemporaryID", "UnfulfilledPromiseSentinel",
    "accelerator_satisfies",
    "accelerators_fully_satisfy", "logger", "parse_accelerator", "unwrap", "unwrap_all",
]

