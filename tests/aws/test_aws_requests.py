"""The requests of the ``aws:`` job store's hot paths, against the moto server: what a job's life
costs in S3 calls (counted with botocore's ``before-call`` event on the store's client), and the
guarantees the cheaper paths keep (a deleted job is never revived, a job's files go with it, the
files of earlier attempts go before a new one, the files of a finished attempt stay)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from toil_core.jobstores.locator import make_job_store
from toil_core.plugin_api import JobDescription, NoSuchFileException, NoSuchJobException, attempt_owner
from toil_core.testing import make_config
from toil_core.job.attempt_files import attempt_scoped


@pytest.fixture
def store(aws_locator: str, tmp_path: Path) -> Iterator[Any]:
    made = make_job_store(aws_locator)
    made.initialize(make_config(tmp_path / "work"))
    yield made
    made.destroy()


def _new_job(store: Any, name: str = "job") -> JobDescription:
    desc = JobDescription(jobName=name)
    store.assign_job_id(desc)
    store.create_job(desc)
    return desc


def _other(store: Any) -> Any:
    """Another process's view of the same store (its own instance, nothing remembered)."""
    again = make_job_store(f"aws:{store.locator}")
    again.resume()
    return again


@contextmanager
def _calls(store: Any) -> Iterator[List[str]]:
    """The S3 operations ``store`` calls inside the block, in order."""
    seen: List[str] = []

    def record(model: Any, **_: Any) -> None:
        seen.append(model.name)

    events = store._client().meta.events
    events.register("before-call.s3", record, unique_id="toil-test-calls")
    try:
        yield seen
    finally:
        events.unregister("before-call.s3", unique_id="toil-test-calls")


def _write(store: Any, data: bytes, **kwargs: Any) -> str:
    with store.write_file_stream(**kwargs) as (stream, file_id):
        stream.write(data)
    return file_id


def _exists(store: Any, file_id: str) -> bool:
    return bool(store.file_exists(file_id))


def test_updating_a_job_this_process_read_is_one_conditional_put(store: Any) -> None:
    desc = store.load_job(_new_job(store).jobStoreID)
    desc.remainingTryCount = 1
    with _calls(store) as seen:
        store.update_job(desc)
    assert seen == ["PutObject"]
    assert _other(store).load_job(desc.jobStoreID).remainingTryCount == 1


def test_an_update_never_revives_a_job_another_process_deleted(store: Any) -> None:
    desc = store.load_job(_new_job(store).jobStoreID)
    _other(store).delete_job(desc.jobStoreID)
    with pytest.raises(NoSuchJobException):
        store.update_job(desc)
    assert not store.job_exists(desc.jobStoreID)


def test_an_update_after_another_process_updated_the_job_still_lands(store: Any) -> None:
    desc = store.load_job(_new_job(store).jobStoreID)
    other = _other(store)
    theirs = other.load_job(desc.jobStoreID)
    theirs.remainingTryCount = 5
    other.update_job(theirs)
    desc.remainingTryCount = 2
    store.update_job(desc)  # the ETag it knew is stale: it looks again and replaces the job
    assert other.load_job(desc.jobStoreID).remainingTryCount == 2


def test_finishing_a_leaf_job_after_its_attempt_began_needs_no_listing(store: Any) -> None:
    desc = _new_job(store)
    job_id = desc.jobStoreID
    body = _write(store, b"body", job_id=job_id, cleanup=True)  # written for the job before it runs
    store.delete_job(attempt_owner(job_id))  # what the worker does before an attempt
    view = attempt_scoped(store, job_id)
    temp = _write(view, b"scratch", job_id=job_id, cleanup=True)
    value = _write(view, b"kept")  # belongs to the attempt: lives on after the job
    with _calls(store) as seen:
        view.delete_job(job_id)
    assert "ListObjectsV2" not in seen
    assert seen[-1] == "DeleteObject"  # the description goes last
    assert not store.job_exists(job_id)
    assert not _exists(store, body) and not _exists(store, temp)
    assert _exists(store, value)


def test_a_new_attempt_deletes_the_files_of_earlier_attempts_only(store: Any) -> None:
    job_id = _new_job(store).jobStoreID
    own = _write(store, b"own", job_id=job_id, cleanup=True)
    earlier = _write(attempt_scoped(store, job_id), b"left by a killed attempt")
    store.delete_job(attempt_owner(job_id))
    assert not _exists(store, earlier)
    assert _exists(store, own) and store.job_exists(job_id)


def test_deleting_a_job_elsewhere_lists_its_files(store: Any) -> None:
    """Outside the attempt that discarded earlier attempts' files, nothing remembered is trusted."""
    job_id = _new_job(store).jobStoreID
    store.delete_job(attempt_owner(job_id))
    late = _write(_other(store), b"written by another process", job_id=job_id, cleanup=True)
    store.delete_job(job_id)
    assert not store.job_exists(job_id)
    with pytest.raises(NoSuchFileException):
        store.file_info(late)


def test_the_leader_looks_for_logs_less_often_while_none_come(store: Any) -> None:
    first = store.log_poll_interval
    assert store.read_logs(lambda blob: None) == 0
    assert store.read_logs(lambda blob: None) == 0
    assert store.log_poll_interval > first
    store.write_logs("a message")
    assert store.read_logs(lambda blob: None) == 1
    assert store.log_poll_interval == first


def test_jobs_created_in_a_batch_are_all_stored_when_it_ends(store: Any) -> None:
    with store.batch():
        made = [_new_job(store, f"child{n}") for n in range(20)]
        assert not _other(store).job_exists(made[0].jobStoreID)  # stored together at the end
    other = _other(store)
    assert {other.load_job(d.jobStoreID).jobName for d in made} == {f"child{n}" for n in range(20)}
    made[3].remainingTryCount = 0
    with _calls(store) as seen:
        store.update_job(made[3])  # the batch remembered each ETag
    assert seen == ["PutObject"]


def test_a_batch_that_raises_stores_none_of_its_jobs(store: Any) -> None:
    with pytest.raises(RuntimeError):
        with store.batch():
            made = [_new_job(store) for _ in range(3)]
            raise RuntimeError("the worker failed while saving its new jobs")
    assert not any(store.job_exists(d.jobStoreID) for d in made)


def test_loading_several_jobs_makes_their_reads_together(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    ids = [_new_job(store, f"sibling{i}").jobStoreID for i in range(6)]
    store.delete_job(ids[0])
    reader = _other(store)
    threads = set()
    real_get = type(reader._objects).get

    def get(self: Any, key: str, *args: Any, **kwargs: Any) -> Any:
        threads.add(threading.get_ident())
        return real_get(self, key, *args, **kwargs)

    monkeypatch.setattr(type(reader._objects), "get", get)
    found = reader.load_jobs(ids)
    assert found[ids[0]] is None and all(found[i].jobStoreID == i for i in ids[1:])
    assert len(threads) > 1  # the GETs ran in parallel, not one after another


def test_finishing_a_fresh_leaf_job_needs_no_listing_at_all(store: Any) -> None:
    job_id = _new_job(store).jobStoreID
    body = _write(store, b"a body too big to be inline", job_id=job_id, cleanup=True)  # saved with the job
    with _calls(store) as seen:
        store.first_attempt(job_id, [body])  # what the worker does before a fresh job's attempt
        view = attempt_scoped(store, job_id)
        own = _write(view, b"temporary", job_id=job_id, cleanup=True)
        value = _write(view, b"kept")  # belongs to the attempt: lives on after the job
        view.delete_job(job_id)
    assert "ListObjectsV2" not in seen, seen
    assert not _exists(store, body) and not _exists(store, own) and not store.job_exists(job_id)
    assert _exists(store, value)


def _read(store: Any, file_id: str) -> bytes:
    with store.read_file_stream(file_id) as stream:
        return stream.read()


def _promised(store: Any, name: str = "promisor") -> JobDescription:
    """A stored job whose return value someone holds a promise of."""
    desc = JobDescription(jobName=name)
    store.assign_job_id(desc)
    desc.rv_file_id = store.reserve_return_value_id(desc.jobStoreID)
    store.create_job(desc)
    return desc


def test_finishing_a_leaf_job_with_a_small_return_value_is_one_put(store: Any) -> None:
    desc = store.load_job(_promised(store).jobStoreID)
    store.first_attempt(desc.jobStoreID)  # a fresh job owns no file: its deletion lists none
    view = attempt_scoped(store, desc.jobStoreID)
    with _calls(store) as seen:
        view.store_return_value(desc, b"pickled value")  # what the worker's commit does, then:
        view.delete_job(desc.jobStoreID)
    assert seen == ["PutObject"]
    other = _other(store)
    assert _read(other, desc.rv_file_id) == b"pickled value"
    assert not other.job_exists(desc.jobStoreID)
    with pytest.raises(NoSuchJobException):
        other.load_job(desc.jobStoreID)
    assert desc.jobStoreID not in {d.jobStoreID for d in other.jobs()}


def test_the_return_value_of_a_job_read_back_finished_is_read_without_a_request(store: Any) -> None:
    desc = store.load_job(_promised(store).jobStoreID)
    store.store_return_value(desc, b"value")
    store.delete_job(desc.jobStoreID)
    leader = _other(store)
    with pytest.raises(NoSuchJobException):
        leader.load_job(desc.jobStoreID)  # the leader's read-back after the worker exits
    with _calls(leader) as seen:
        assert _read(leader, desc.rv_file_id) == b"value"
    assert seen == []


def test_a_job_that_has_not_finished_has_an_empty_return_value(store: Any) -> None:
    desc = _promised(store)
    assert _read(_other(store), desc.rv_file_id) == b""


def test_a_big_return_value_is_an_object_of_its_own(store: Any) -> None:
    from toil_aws.job_records import INLINE_RV_LIMIT

    desc = store.load_job(_promised(store).jobStoreID)
    big = b"x" * (INLINE_RV_LIMIT + 1)
    store.store_return_value(desc, big)
    assert desc.inline_rv is None
    store.delete_job(desc.jobStoreID)
    other = _other(store)
    assert _read(other, desc.rv_file_id) == big
    assert not other.job_exists(desc.jobStoreID)


def test_a_job_with_successors_keeps_its_return_value_in_its_description(store: Any) -> None:
    desc = store.load_job(_promised(store).jobStoreID)
    store.store_return_value(desc, b"value")
    desc.body_id = None
    desc.children = ["a-successor"]
    store.update_job(desc)  # the commit: value and finish in one PUT
    leader = _other(store)
    assert _read(leader, desc.rv_file_id) == b"value"  # the successors may use it now
    read_back = leader.load_job(desc.jobStoreID)
    read_back.children = []
    leader.update_job(read_back)  # the leader's updates keep it
    leader.delete_job(desc.jobStoreID)  # ... and so does deleting the job once all finished
    assert _read(_other(store), desc.rv_file_id) == b"value"
    assert not _other(store).job_exists(desc.jobStoreID)


def test_an_update_never_revives_a_job_finished_with_a_return_value(store: Any) -> None:
    desc = store.load_job(_promised(store).jobStoreID)
    stale = _other(store)
    old = stale.load_job(desc.jobStoreID)
    store.store_return_value(desc, b"value")
    store.delete_job(desc.jobStoreID)
    old.remainingTryCount = 0
    with pytest.raises(NoSuchJobException):
        stale.update_job(old)
    assert _read(_other(store), desc.rv_file_id) == b"value"


def test_a_value_published_while_the_job_runs_is_read_from_its_own_object(store: Any) -> None:
    """A service host publishes its start value long before it finishes."""
    desc = _promised(store, "service-host")
    with store.write_reserved_file_stream(desc.rv_file_id) as stream:
        stream.write(b"service address")
    assert _read(_other(store), desc.rv_file_id) == b"service address"
    assert store.job_exists(desc.jobStoreID)


def test_a_worker_notes_the_value_of_the_job_it_finished_for_the_leader(store: Any) -> None:
    """The note a worker's store hands the leader (through the fork server) with its exit status:
    the leader takes the finished job's value from it, with no read-back and no request."""
    desc = store.load_job(_promised(store).jobStoreID)
    store.store_return_value(desc, b"value")
    store.delete_job(desc.jobStoreID)
    note = store.finish_note(desc.jobStoreID)
    assert note is not None and note.startswith("d:") and note.isprintable() and " " not in note
    leader = _other(store)
    with _calls(leader) as seen:
        assert leader.absorb_finish_note(desc.jobStoreID, note)
        assert _read(leader, desc.rv_file_id) == b"value"
    assert seen == []
    assert not leader.job_exists(desc.jobStoreID)  # the note only told what the store holds


def test_a_job_deleted_without_a_value_is_noted_as_gone(store: Any) -> None:
    desc = _new_job(store)
    store.delete_job(desc.jobStoreID)
    assert store.finish_note(desc.jobStoreID) == "d"
    assert _other(store).absorb_finish_note(desc.jobStoreID, "d")


def test_no_note_for_a_job_this_process_did_not_delete_and_none_taken_that_is_not_ours(store: Any) -> None:
    kept, deleted = _new_job(store), _new_job(store)
    store.delete_job(deleted.jobStoreID)
    assert store.finish_note(kept.jobStoreID) is None
    assert not store.absorb_finish_note(kept.jobStoreID, "something-else")
    assert not store.absorb_finish_note(kept.jobStoreID, "d:not*base64")
