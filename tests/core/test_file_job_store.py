"""FileJobStore: lifecycle, configuration, root job, jobs, layout and permissions."""
from __future__ import annotations

import os
import pickle
import stat

import pytest
from toil_core.common.config import Config
from toil_core.job.description import JobDescription
from toil_core.job.errors import JobException
from toil_core.jobstores.abstract import AbstractJobStore
from toil_core.jobstores.errors import (
    CorruptJobError,
    JobStoreExistsException,
    NoSuchFileException,
    NoSuchJobException,
    NoSuchJobStoreException,
)
from toil_core.jobstores.file_job_store import FileJobStore


def make_config(**kwargs):
    config = Config()
    for name, value in kwargs.items():
        setattr(config, name, value)
    return config


def new_job(js, name="job", **kwargs):
    desc = JobDescription(jobName=name, **kwargs)
    js.assign_job_id(desc)
    js.create_job(desc)
    return desc


# ------------------------------------------------------------------------ lifecycle
def test_initialize_assigns_workflow_id_and_writes_config(tmp_path):
    js = FileJobStore(str(tmp_path / "js"))
    config = make_config(answer=42)
    js.initialize(config)
    assert isinstance(config.workflowID, str) and len(config.workflowID) == 36
    assert js.config is config
    assert os.path.isfile(tmp_path / "js" / "shared" / "config.pickle")

    other = FileJobStore(str(tmp_path / "js"))
    assert other.config is None
    other.resume()
    assert other.config.workflowID == config.workflowID
    assert other.config.answer == 42


def test_initialize_keeps_existing_workflow_id(tmp_path):
    js = FileJobStore(str(tmp_path / "js"))
    config = make_config(workflowID="my-id")
    js.initialize(config)
    assert config.workflowID == "my-id"


def test_initialize_creates_missing_parents(tmp_path):
    js = FileJobStore(str(tmp_path / "a" / "b" / "js"))
    js.initialize(make_config())
    assert os.path.isdir(tmp_path / "a" / "b" / "js" / "jobs")


def test_initialize_existing_store_raises(tmp_path, store):
    again = FileJobStore(store.locator)
    with pytest.raises(JobStoreExistsException) as info:
        again.initialize(make_config())
    loc = store.locator
    assert str(info.value) == (
        f"The job store '{loc}' already exists. Use --restart to resume the workflow, or remove "
        f"the job store with 'toil clean {loc}' to start the workflow from scratch."
    )


def test_initialize_over_existing_directory_raises(tmp_path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(JobStoreExistsException):
        FileJobStore(str(tmp_path / "dir")).initialize(make_config())


def test_resume_missing_store_raises(tmp_path):
    loc = str(tmp_path / "nope")
    with pytest.raises(NoSuchJobStoreException) as info:
        FileJobStore(loc).resume()
    assert str(info.value) == f"The job store '{loc}' does not exist, so there is nothing to restart."


def test_resume_half_initialized_store_raises(tmp_path, store):
    os.unlink(os.path.join(store.jobStoreDir, "shared", "config.pickle"))
    with pytest.raises(NoSuchJobStoreException):
        FileJobStore(store.locator).resume()


def test_write_config_persists_changes(store):
    store.config.extra = "changed"
    store.write_config()
    other = FileJobStore(store.locator)
    other.resume()
    assert other.config.extra == "changed"


def test_destroy_is_idempotent(tmp_path):
    js = FileJobStore(str(tmp_path / "js"))
    js.destroy()  # never initialized: fine
    js.initialize(make_config())
    new_job(js)
    with js.write_file_stream() as (handle, _):
        handle.write(b"x")
    js.destroy()
    assert not os.path.exists(tmp_path / "js")
    js.destroy()
    assert os.listdir(tmp_path) == []


def test_destroy_resumes_after_partial_destroy(tmp_path, store):
    new_job(store)
    import shutil

    shutil.rmtree(os.path.join(store.jobStoreDir, "jobs"))  # as if killed mid-destroy
    store.destroy()
    assert not os.path.exists(store.jobStoreDir)


def test_destroy_refuses_foreign_directory(tmp_path):
    victim = tmp_path / "precious"
    victim.mkdir()
    (victim / "thesis.tex").write_text("years of work")
    with pytest.raises(RuntimeError, match="does not look like a Toil job store"):
        FileJobStore(str(victim)).destroy()
    assert (victim / "thesis.tex").read_text() == "years of work"
    empty = tmp_path / "empty"
    empty.mkdir()
    FileJobStore(str(empty)).destroy()
    assert not empty.exists()


def test_locator_forms(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert FileJobStore("rel").jobStoreDir == str(tmp_path / "rel")
    assert FileJobStore("rel").locator == "rel"
    assert FileJobStore("file:" + str(tmp_path / "x")).jobStoreDir == str(tmp_path / "x")
    assert FileJobStore("file://" + str(tmp_path / "y")).jobStoreDir == str(tmp_path / "y")
    assert "FileJobStore(" in repr(FileJobStore("rel"))


def test_symlinked_path_is_not_dereferenced(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    js = FileJobStore(str(tmp_path / "link" / "js"))
    assert js.jobStoreDir == str(tmp_path / "link" / "js")
    js.initialize(make_config())
    assert (real / "js" / "jobs").is_dir()


def test_store_preferences(store):
    assert store.default_caching() is False
    assert store.get_env() == {}
    assert store.getEnv() == {}
    assert isinstance(store, AbstractJobStore)
    assert store.rootJobStoreIDFileName == "rootJobStoreID"
    assert store.sharedFileNameRegex.match("a.B_c-1")
    assert not store.sharedFileNameRegex.match("a/b")
    assert store.publicUrlExpiration.days == 365


def test_abstract_store_cannot_be_instantiated():
    with pytest.raises(TypeError):
        AbstractJobStore("x")  # type: ignore[abstract]


# ------------------------------------------------------------------------ permissions
def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o000, 0o200])
def test_permissions_are_private(tmp_path, umask):
    old = os.umask(umask)
    try:
        js = FileJobStore(str(tmp_path / "js"))
        js.initialize(make_config())
        desc = new_job(js)
        file_id = js.get_empty_file_store_id(desc.jobStoreID, cleanup=True)
        with js.write_file_stream() as (handle, plain_id):
            handle.write(b"data")
        js.write_logs("log")
    finally:
        os.umask(old)
    root = js.jobStoreDir
    dirs = [root] + [os.path.join(d, n) for d, names, _ in os.walk(root) for n in names]
    assert len(dirs) > 8
    for path in dirs:
        assert _mode(path) == 0o700, path
    files = [os.path.join(d, n) for d, _, names in os.walk(root) for n in names]
    assert len(files) >= 5
    if not umask & 0o600:
        for path in files:
            assert _mode(path) == 0o600, path
    assert js.file_exists(file_id) and js.file_exists(plain_id)


# ------------------------------------------------------------------------ root job
def test_load_root_job_without_root(store):
    with pytest.raises(JobException) as info:
        store.load_root_job()
    assert str(info.value) == "No job has been set as the root in this job store"
    assert store.root_job_id() is None


def test_load_root_job_missing(store):
    store.set_root_job("ghost-123")
    assert store.root_job_id() == "ghost-123"
    with pytest.raises(JobException) as info:
        store.load_root_job()
    assert str(info.value) == (
        "The root job 'ghost-123' doesn't exist. Either the Toil workflow is finished or has never "
        "been started"
    )


def test_create_root_job(store):
    desc = JobDescription(jobName="root")
    returned = store.create_root_job(desc)
    assert returned is desc and desc.jobStoreID
    assert store.root_job_id() == desc.jobStoreID
    loaded = store.load_root_job()
    assert loaded.jobStoreID == desc.jobStoreID and loaded.jobName == "root"
    assert store.loadRootJob().jobStoreID == desc.jobStoreID


def test_root_job_return_value(store):
    with pytest.raises(NoSuchFileException):
        store.get_root_job_return_value()
    with store.write_shared_file_stream("rootJobReturnValue") as handle:
        pickle.dump({"answer": [1, 2]}, handle)
    assert store.get_root_job_return_value() == {"answer": [1, 2]}
    assert store.getRootJobReturnValue() == {"answer": [1, 2]}


# ------------------------------------------------------------------------ jobs
def test_assign_job_id_is_unique_and_readable(store):
    ids = set()
    for _ in range(500):
        desc = JobDescription(jobName="my.mod:<lambda> fn/x")
        store.assign_job_id(desc)
        ids.add(desc.jobStoreID)
    assert len(ids) == 500
    some = next(iter(ids))
    assert some.startswith("my.mod__lambda__fn_x-")
    assert "/" not in some and not some.startswith(".")


def test_create_load_roundtrip(store):
    desc = JobDescription(jobName="work", memory=5, cores=2.5, children=["a", "b"], body_id="f1")
    assert not store.job_exists("nope")
    store.assign_job_id(desc)
    assert not store.job_exists(desc.jobStoreID)
    assert store.create_job(desc) is desc
    assert store.job_exists(desc.jobStoreID)
    loaded = store.load_job(desc.jobStoreID)
    assert loaded is not desc
    assert loaded.to_dict() == desc.to_dict()


def test_create_job_assigns_missing_id(store):
    desc = JobDescription(jobName="x")
    store.create_job(desc)
    assert desc.jobStoreID and store.job_exists(desc.jobStoreID)


def test_update_job_increments_version(store):
    desc = new_job(store, memory=1)
    assert store.load_job(desc.jobStoreID).version == 0
    desc.memory = 99
    store.update_job(desc)
    assert desc.version == 1
    loaded = store.load_job(desc.jobStoreID)
    assert (loaded.memory, loaded.version) == (99, 1)
    store.update_job(loaded)
    assert store.load_job(desc.jobStoreID).version == 2


def test_update_deleted_job_raises(store):
    desc = new_job(store)
    store.delete_job(desc.jobStoreID)
    with pytest.raises(NoSuchJobException):
        store.update_job(desc)
    assert desc.version == 0
    assert not store.job_exists(desc.jobStoreID)


def test_load_missing_job(store):
    for bad in ["nope-00", "", "../etc", ".hidden", "a/b", "x..", "..", "a\0b"]:
        with pytest.raises(NoSuchJobException) as info:
            store.load_job(bad)
        assert str(info.value) == f"The job '{bad}' does not exist."
        assert not store.job_exists(bad)


def test_delete_job_idempotent_and_cleans_files(store):
    desc = new_job(store)
    other = new_job(store)
    doomed = store.get_empty_file_store_id(desc.jobStoreID, cleanup=True)
    with store.write_file_stream(desc.jobStoreID, cleanup=True, basename="c.txt") as (h, doomed2):
        h.write(b"c")
    kept = store.get_empty_file_store_id(desc.jobStoreID, cleanup=False)
    kept_other = store.get_empty_file_store_id(other.jobStoreID, cleanup=True)
    kept_none = store.get_empty_file_store_id(None, cleanup=True)
    store.delete_job(desc.jobStoreID)
    assert not store.job_exists(desc.jobStoreID)
    assert not store.file_exists(doomed) and not store.file_exists(doomed2)
    assert store.file_exists(kept) and store.file_exists(kept_other) and store.file_exists(kept_none)
    store.delete_job(desc.jobStoreID)
    store.delete_job("never-existed")
    store.delete_job("../../x")
    assert store.job_exists(other.jobStoreID)


def test_jobs_iterates_everything(store):
    made = {new_job(store, name=f"j{i}").jobStoreID for i in range(300)}
    listed = [d.jobStoreID for d in store.jobs()]
    assert len(listed) == 300 and set(listed) == made
    for job_id in list(made)[:100]:
        store.delete_job(job_id)
    assert len(list(store.jobs())) == 200


def test_jobs_fan_out(store):
    for _ in range(600):
        new_job(store)
    jobs_dir = os.path.join(store.jobStoreDir, "jobs")
    fans = os.listdir(jobs_dir)
    assert 100 < len(fans) <= 256
    assert max(len(os.listdir(os.path.join(jobs_dir, f))) for f in fans) < 30


def test_corrupt_job_is_reported(store):
    desc = new_job(store)
    path = os.path.join(store.jobStoreDir, "jobs", desc.jobStoreID[-2:], desc.jobStoreID)
    assert os.path.isfile(path)
    with open(path, "wb") as handle:
        handle.write(b'{"jobName": "trunc')
    with pytest.raises(CorruptJobError) as info:
        store.load_job(desc.jobStoreID)
    message = str(info.value)
    assert path in message and "damaged" in message and "toil clean" in message
    with pytest.raises(CorruptJobError):
        list(store.jobs())


def test_batch_context_manager(store):
    with store.batch():
        descs = [new_job(store) for _ in range(5)]
    assert all(store.job_exists(d.jobStoreID) for d in descs)


def test_camel_case_job_aliases(store):
    desc = JobDescription(jobName="cc")
    store.assignID(desc)
    store.create(desc)
    assert store.exists(desc.jobStoreID)
    loaded = store.load(desc.jobStoreID)
    store.update(loaded)
    assert store.load(desc.jobStoreID).version == 1
    store.setRootJob(desc.jobStoreID)
    assert store.loadRootJob().jobStoreID == desc.jobStoreID
    root = store.createRootJob(JobDescription(jobName="r2"))
    assert store.root_job_id() == root.jobStoreID
    store.delete(desc.jobStoreID)
    assert not store.exists(desc.jobStoreID)
    store.writeConfig()


def test_failed_initialize_leaves_nothing(tmp_path):
    config = make_config(bad=lambda: None)  # lambdas cannot be pickled
    js = FileJobStore(str(tmp_path / "js"))
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        js.initialize(config)
    assert not os.path.exists(tmp_path / "js")
    js.initialize(make_config())
    assert FileJobStore(js.locator).job_exists("x") is False
