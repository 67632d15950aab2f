"""Compatibility module: upstream name ``toil.job``; everything lives in toil_core."""
from toil_core.job import *  # noqa: F401,F403
from toil_core.job.requirements import *  # noqa
from toil_core.lib.accelerators import AcceleratorRequirement, parse_accelerator, accelerator_satisfies, accelerators_fully_satisfy  # noqa
from toil_core.job.graph import *  # noqa
from toil_core.compat_names import (  # noqa: F401
    REQUIREMENT_NAMES, ParseableAcceleratorRequirement, ParseableDivisibleResource, ParseableFlag,
    ParseableIndivisibleResource, ParseableRequirement, ParsedRequirement, T,
)
from toil_core.compat_names import job_logger as logger  # noqa: F401
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
