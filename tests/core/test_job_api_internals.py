"""Job internals upstream scripts can reach: saveAsRootJob, saveBody, loadJob, promise registration."""
import pytest

from toil.job import Job


def add(a, b):
    return a + b


@pytest.fixture
def job_store_options():
    return {"defaultMemory": "64Mi"}


def test_save_as_root_job_stores_the_graph(job_store):
    root = Job.wrapFn(add, 1, 2)
    child = root.addChildFn(add, 3, 4)
    desc = root.saveAsRootJob(job_store)
    assert job_store.load_root_job().jobStoreID == desc.jobStoreID
    stored = job_store.load_job(desc.jobStoreID)
    assert stored.children == [child.description.jobStoreID]
    assert job_store.job_exists(child.description.jobStoreID)


def test_saved_descriptions_get_config_defaults(job_store):
    root = Job.wrapFn(add, 1, 2)
    desc = root.saveAsRootJob(job_store)
    assert job_store.load_job(desc.jobStoreID).memory == 64 * 1024 * 1024


def test_save_as_root_job_checks_the_graph(job_store):
    from toil.job import JobGraphDeadlockException

    root = Job(checkpoint=True)
    root.addChild(Job())
    with pytest.raises(JobGraphDeadlockException):
        root.saveAsRootJob(job_store)


def test_load_job_round_trips_the_body(job_store):
    root = Job.wrapFn(add, 5, 6)
    desc = root.saveAsRootJob(job_store)
    loaded = Job.loadJob(job_store, job_store.load_job(desc.jobStoreID))
    assert loaded.run(None) == 11
    assert loaded.description.jobStoreID == desc.jobStoreID


def test_save_body_then_root_keeps_the_job_id(job_store):
    root = Job.wrapFn(add, 1, 1)
    root.saveBody(job_store)
    first_id = root.description.jobStoreID
    assert root.description.body_id is not None
    root.saveAsRootJob(job_store)
    assert root.description.jobStoreID == first_id


def test_register_promise_reserves_one_file(job_store):
    """The return-value file is named once and written only when the job finishes."""
    job = Job()
    with pytest.raises(RuntimeError):
        job.registerPromise(())
    job.prepareForPromiseRegistration(job_store)
    file_id, path = job.registerPromise((0,))
    again, _ = job.registerPromise((1,))
    assert file_id == again and path == (0,)
    assert not job_store.file_exists(file_id)
    with job_store.write_reserved_file_stream(file_id) as stream:
        stream.write(b"value")
    assert job_store.file_exists(file_id)


def test_promise_job_store_is_not_pickled(job_store):
    import pickle

    job = Job()
    job.prepareForPromiseRegistration(job_store)
    assert "_promiseJobStore" not in pickle.loads(pickle.dumps(job)).__dict__
