# Type checkers' view of toil/job.py, some of whose names are imported on first use (PEP 562).
from toil_core.compat_names import REQUIREMENT_NAMES as REQUIREMENT_NAMES
from toil_core.compat_names import ParseableAcceleratorRequirement as ParseableAcceleratorRequirement
from toil_core.compat_names import ParseableDivisibleResource as ParseableDivisibleResource
from toil_core.compat_names import ParseableFlag as ParseableFlag
from toil_core.compat_names import ParseableIndivisibleResource as ParseableIndivisibleResource
from toil_core.compat_names import ParseableRequirement as ParseableRequirement
from toil_core.compat_names import ParsedRequirement as ParsedRequirement
from toil_core.compat_names import T as T
from toil_core.compat_names import job_logger as logger
from toil_core.job import *
from toil_core.job.description import CheckpointJobDescription as CheckpointJobDescription
from toil_core.job.description import ServiceJobDescription as ServiceJobDescription
from toil_core.job.graph import *
from toil_core.job.promise import UnfulfilledPromiseSentinel as UnfulfilledPromiseSentinel
from toil_core.job.requirements import *
from toil_core.job.wrapping import FunctionWrappingTarget as FunctionWrappingTarget
from toil_core.job.wrapping import JobFunctionWrappingTarget as JobFunctionWrappingTarget
from toil_core.lib.accelerators import AcceleratorRequirement as AcceleratorRequirement
from toil_core.lib.accelerators import accelerator_satisfies as accelerator_satisfies
from toil_core.lib.accelerators import accelerators_fully_satisfy as accelerators_fully_satisfy
from toil_core.lib.accelerators import parse_accelerator as parse_accelerator

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
