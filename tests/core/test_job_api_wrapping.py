"""wrapFn / wrapJobFn: reserved keyword arguments set requirements and never reach the function."""
import pytest

from toil.job import (
    FunctionWrappingJob,
    Job,
    JobFunctionWrappingJob,
    PromisedRequirement,
    PromisedRequirementFunctionWrappingJob,
    PromisedRequirementJobFunctionWrappingJob,
)

RESERVED = {
    "memory": "3G",
    "cores": 0.5,
    "disk": "1Gi",
    "accelerators": "gpu",
    "preemptible": True,
    "checkpoint": True,
    "name": "unit",
}


def plain(a, b=1):
    return a, b


def with_job(job, a, b=1):
    return a, b


def defaults_fn(a, memory="5M", cores=2, disk="6M", preemptible="true", checkpoint=True,
                accelerators=1, name="from-default"):
    return a


def legacy_default_fn(a, preemptable=True):
    return a


def test_wrap_fn_and_wrap_job_fn_types():
    assert type(Job.wrapFn(plain, 1)) is FunctionWrappingJob
    assert type(Job.wrapJobFn(with_job, 1)) is JobFunctionWrappingJob


def test_arguments_are_kept_for_the_call():
    job = Job.wrapJobFn(with_job, 1, b=2)
    assert job._args == (1,)
    assert job._kwargs == {"b": 2}
    assert job.userFunctionName == "with_job"
    assert job.userFunctionModule == __name__


def test_wrapped_function_runs_with_its_arguments():
    assert Job.wrapFn(plain, 4, b=5).run(None) == (4, 5)


def test_wrapped_job_function_gets_the_job_first():
    seen = []

    def record(job, x):
        seen.append(job)
        return x

    job = Job.wrapJobFn(record, 9)
    assert job.run(None) == 9
    assert seen == [job]


@pytest.mark.parametrize("wrap", [Job.wrapFn, Job.wrapJobFn])
def test_explicit_reserved_kwargs_set_requirements_and_are_not_passed(wrap):
    fn = plain if wrap is Job.wrapFn else with_job
    job = wrap(fn, 1, **RESERVED)
    assert job.memory == 3 * 1000**3
    assert job.cores == 0.5
    assert job.disk == 1024**3
    assert job.accelerators == [{"count": 1, "kind": "gpu"}]
    assert job.preemptible is True
    assert job.checkpoint is True
    assert job.unitName == "unit"
    assert job._kwargs == {}


def test_legacy_preemptable_kwarg_is_reserved():
    job = Job.wrapFn(plain, 1, preemptable=True)
    assert job.preemptible is True
    assert job._kwargs == {}


def test_requirements_come_from_the_function_keyword_defaults():
    job = Job.wrapFn(defaults_fn, 1)
    assert job.memory == 5 * 1000**2
    assert job.cores == 2
    assert job.disk == 6 * 1000**2
    assert job.preemptible is True
    assert job.checkpoint is True
    assert job.accelerators == [{"count": 1, "kind": "gpu"}]
    assert job.unitName == "from-default"
    assert job._kwargs == {}


def test_explicit_kwargs_beat_function_defaults():
    job = Job.wrapFn(defaults_fn, 1, memory="7M", cores=1, preemptible=False, name="explicit")
    assert job.memory == 7 * 1000**2
    assert job.cores == 1
    assert job.preemptible is False
    assert job.unitName == "explicit"
    assert job.disk == 6 * 1000**2  # still from the default


def test_explicit_legacy_preemptable_beats_function_default_preemptible():
    job = Job.wrapFn(defaults_fn, 1, preemptable=False)
    assert job.preemptible is False


def test_legacy_preemptable_function_default_is_used():
    assert Job.wrapFn(legacy_default_fn, 1).preemptible is True


def test_function_defaults_are_not_passed_explicitly():
    # The function receives its own defaults because Toil does not pass the reserved names.
    job = Job.wrapFn(defaults_fn, 1)
    assert job.run(None) == 1
    assert "memory" not in job._kwargs


def test_float_memory_kwarg_is_a_type_error():
    with pytest.raises(TypeError):
        Job.wrapFn(plain, 1, memory=2.5)


def test_unreserved_kwargs_reach_the_function():
    job = Job.wrapFn(plain, 1, b="kept")
    assert job._kwargs == {"b": "kept"}
    assert job.run(None) == (1, "kept")


@pytest.mark.parametrize("key", ["memory", "disk", "cores"])
def test_promise_requirement_switches_to_promised_requirement_job(key):
    parent = Job()
    sizes = parent.addChildFn(plain, 1)
    consumer = Job.wrapFn(plain, 2, **{key: sizes.rv(0)})
    assert isinstance(consumer, PromisedRequirementFunctionWrappingJob)
    job_consumer = Job.wrapJobFn(with_job, 2, **{key: PromisedRequirement(sizes.rv(0))})
    assert isinstance(job_consumer, PromisedRequirementJobFunctionWrappingJob)


def test_promised_requirement_job_is_small_until_it_runs():
    parent = Job()
    sizes = parent.addChildFn(plain, 1)
    consumer = parent.addFollowOnFn(plain, 2, memory=PromisedRequirement(sizes.rv(0)))
    assert consumer.memory == 32 * 1000**2
    assert consumer.cores == 0.1
    assert consumer.disk == 1000**2
    assert consumer.jobName == "plain"


def test_promised_requirement_needs_a_promise_or_a_callable():
    with pytest.raises(ValueError):
        PromisedRequirement(5)
    with pytest.raises(TypeError):
        PromisedRequirement(5, 6)


def test_promised_requirement_get_value_with_callable():
    requirement = PromisedRequirement(lambda xs, extra: sum(xs) + extra, [1, 2, 3], 4)
    assert requirement.getValue() == 10


def test_convert_promises_wraps_bare_promises():
    job = Job()
    kwargs = {"memory": job.rv(), "cores": 1}
    assert PromisedRequirement.convertPromises(kwargs) is True
    assert isinstance(kwargs["memory"], PromisedRequirement)
    assert kwargs["cores"] == 1
    assert PromisedRequirement.convertPromises({"memory": 5}) is False


def test_rv_path_is_recorded():
    job = Job()
    assert job.rv().path == ()
    assert job.rv(0).path == (0,)
    assert job.rv(1, "a").path == (1, "a")
    assert job.rv(slice(1, 3)).path == (slice(1, 3),)
    assert job.rv().job is job


def test_promise_cannot_be_pickled_outside_toil():
    import pickle

    with pytest.raises(RuntimeError):
        pickle.dumps(Job().rv())


def test_promised_type_alias_is_subscriptable():
    from toil.job import Promise, Promised, unwrap, unwrap_all

    alias = Promised[int]
    assert Promise in alias.__args__ and int in alias.__args__
    assert unwrap(5) == 5
    assert unwrap_all([1, 2]) == [1, 2]


def test_promise_files_to_delete_class_attribute():
    from toil.job import Promise

    assert isinstance(Promise.filesToDelete, set)
