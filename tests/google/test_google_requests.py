"""The requests of the ``google:`` job store's hot paths, on the GCS emulator: what a job's life
costs (the HTTP requests of the storage client, recorded), and the guarantees the cheaper paths
keep (a deleted job is never revived, a job's files go with it, the files of earlier attempts go
before a new one, the files of a finished attempt stay)."""
from __future__ import annotations

from typing import Any

import pytest

from toil.common import Toil
from toil_core.plugin_api import JobDescription, NoSuchJobException, attempt_owner
from toil_core.worker.attempt_files import attempt_scoped


def _new_job(store: Any) -> JobDescription:
    desc = JobDescription(jobName="job")
    store.assign_job_id(desc)
    store.create_job(desc)
    return desc


def _other(store: Any) -> Any:
    """Another process's view of the same store (its own instance, nothing remembered)."""
    again = Toil.getJobStore(f"google:{store.locator}")
    again.resume()
    return again


def _write(store: Any, data: bytes, **kwargs: Any) -> str:
    with store.write_file_stream(**kwargs) as (stream, file_id):
        stream.write(data)
    return file_id


def _listings(recorder: Any) -> list:
    return [r for r in recorder.requests if r[0] == "GET" and "/o?" in r[1]]


def test_updating_a_job_this_process_wrote_looks_nothing_up_first(make_store, recorder) -> None:
    """(After a read the same holds on Cloud Storage, which sends the generation with the
    content; the emulator does not, so there the update looks first.)"""
    store = make_store()
    desc = _new_job(store)
    desc.remainingTryCount = 1
    recorder.clear()
    store.update_job(desc)
    assert [r[0] for r in recorder.requests] == ["POST"]  # the upload, conditional on the generation
    assert _other(store).load_job(desc.jobStoreID).remainingTryCount == 1


def test_an_update_never_revives_a_job_another_process_deleted(make_store) -> None:
    store = make_store()
    desc = store.load_job(_new_job(store).jobStoreID)
    _other(store).delete_job(desc.jobStoreID)
    with pytest.raises(NoSuchJobException):
        store.update_job(desc)
    assert not store.job_exists(desc.jobStoreID)


def test_finishing_a_leaf_job_after_its_attempt_began_needs_no_listing(make_store, recorder) -> None:
    store = make_store()
    job_id = _new_job(store).jobStoreID
    body = _write(store, b"body", job_id=job_id, cleanup=True)
    store.delete_job(attempt_owner(job_id))  # what the worker does before an attempt
    view = attempt_scoped(store, job_id)
    temp = _write(view, b"scratch", job_id=job_id, cleanup=True)
    value = _write(view, b"kept")  # belongs to the attempt: lives on after the job
    recorder.clear()
    view.delete_job(job_id)
    assert not _listings(recorder)
    assert not store.job_exists(job_id)
    assert not store.file_exists(body) and not store.file_exists(temp)
    assert store.file_exists(value)


def test_a_new_attempt_deletes_the_files_of_earlier_attempts_only(make_store) -> None:
    store = make_store()
    job_id = _new_job(store).jobStoreID
    own = _write(store, b"own", job_id=job_id, cleanup=True)
    earlier = _write(attempt_scoped(store, job_id), b"left by a killed attempt")
    store.delete_job(attempt_owner(job_id))
    assert not store.file_exists(earlier)
    assert store.file_exists(own) and store.job_exists(job_id)


def test_deleting_a_job_elsewhere_lists_its_files(make_store) -> None:
    store = make_store()
    job_id = _new_job(store).jobStoreID
    store.delete_job(attempt_owner(job_id))
    late = _write(_other(store), b"written by another process", job_id=job_id, cleanup=True)
    store.delete_job(job_id)
    assert not store.job_exists(job_id) and not store.file_exists(late)


def test_the_leader_looks_for_logs_less_often_while_none_come(make_store) -> None:
    store = make_store()
    first = store.log_poll_interval
    store.read_logs(lambda blob: None)
    store.read_logs(lambda blob: None)
    assert store.log_poll_interval > first
    store.write_logs("a message")
    assert store.read_logs(lambda blob: None) == 1
    assert store.log_poll_interval == first
