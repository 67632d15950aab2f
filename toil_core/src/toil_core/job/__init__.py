"""The job model: Job, promises, wrapping jobs, services and graph checks."""
from toil_core.job.description import JobDescription
from toil_core.job.errors import (
    ConflictingPredecessorError,
    JobException,
    JobGraphDeadlockException,
    JobPromiseConstraintError,
)
from toil_core.job.job import Job, ServiceHostJob, TemporaryID
from toil_core.job.promise import Promise, Promised, PromisedRequirement, unwrap, unwrap_all
from toil_core.job.requirements import Requirer
from toil_core.job.wrapping import (
    EncapsulatedJob,
    FunctionWrappingJob,
    JobFunctionWrappingJob,
    PromisedRequirementFunctionWrappingJob,
    PromisedRequirementJobFunctionWrappingJob,
)

__all__ = [
    "ConflictingPredecessorError",
    "EncapsulatedJob",
    "FunctionWrappingJob",
    "Job",
    "JobDescription",
    "JobException",
    "JobFunctionWrappingJob",
    "JobGraphDeadlockException",
    "JobPromiseConstraintError",
    "Promise",
    "Promised",
    "PromisedRequirement",
    "PromisedRequirementFunctionWrappingJob",
    "PromisedRequirementJobFunctionWrappingJob",
    "Requirer",
    "ServiceHostJob",
    "TemporaryID",
    "unwrap",
    "unwrap_all",
]
