"""Fresh jobs (no attempt can have begun): their first attempt discards nothing, and every way
an attempt can end without finishing the job makes it not fresh (see toil_core.job.attempt_files)."""
from __future__ import annotations

from typing import Any, List

import pytest

from batch_support import locator_file_store
from toil_core.job.attempt_files import attempt_owner, begin_attempt
from toil_core.job.commit import charge_failure, reset_checkpoint
from toil_core.job.description import INLINE_BODY, JobDescription
from toil_core.leader.restart import clean_for_restart


store = pytest.fixture(name="store")(locator_file_store)


def _job(store: Any, name: str = "job", fresh: bool = True) -> JobDescription:
    desc = JobDescription(jobName=name)
    store.assign_job_id(desc)
    desc.body_id, desc.inline_body, desc.fresh = INLINE_BODY, "cGlja2xlZA==", fresh
    store.create_job(desc)
    return desc


def _write(store: Any, owner: str) -> str:
    with store.write_file_stream(job_id=owner, cleanup=True) as (stream, file_id):
        stream.write(b"made by an attempt")
    return file_id


def test_fresh_is_stored(store: Any) -> None:
    desc = _job(store)
    assert store.load_job(desc.jobStoreID).fresh
    assert not store.load_job(_job(store, fresh=False).jobStoreID).fresh


def test_the_first_attempt_at_a_fresh_job_discards_nothing(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    desc = _job(store)
    first: List[tuple] = []
    monkeypatch.setattr(store, "first_attempt", lambda job_id, files=(): first.append((job_id, list(files))))
    monkeypatch.setattr(store, "delete_job", lambda job_id: pytest.fail(f"discarded {job_id}"))
    begin_attempt(store, desc)
    assert first == [(desc.jobStoreID, [])]  # an inline body is no file


def test_a_fresh_job_s_body_file_is_the_one_file_it_owns(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    desc = _job(store)
    desc.body_id, desc.inline_body = _write(store, desc.jobStoreID), None  # too big to be inline
    first: List[tuple] = []
    monkeypatch.setattr(store, "first_attempt", lambda job_id, files=(): first.append((job_id, list(files))))
    begin_attempt(store, desc)
    assert first == [(desc.jobStoreID, [desc.body_id])]


def test_an_attempt_at_a_job_that_is_not_fresh_discards_earlier_attempts_files(store: Any) -> None:
    desc = _job(store, fresh=False)
    stale = _write(store, attempt_owner(desc.jobStoreID))
    begin_attempt(store, desc)
    assert not store.file_exists(stale)


def test_charging_a_try_makes_the_job_not_fresh(store: Any) -> None:
    desc = _job(store)
    charge_failure(desc, store.config)
    assert not desc.fresh


def test_a_checkpoint_rerun_is_not_fresh(store: Any) -> None:
    desc = _job(store)
    desc.checkpoint, desc.checkpoint_body_id, desc.body_id = True, INLINE_BODY, None
    store.update_job(desc)
    reset_checkpoint(store, desc, [])
    assert not store.load_job(desc.jobStoreID).fresh


def test_restart_makes_fresh_jobs_that_own_files_not_fresh(store: Any) -> None:
    root = _job(store, "root")
    cut_short, untouched = _job(store, "cut_short"), _job(store, "untouched")
    root.children = [cut_short.jobStoreID, untouched.jobStoreID]
    store.update_job(root)
    _write(store, attempt_owner(cut_short.jobStoreID))  # an attempt the crash cut short
    clean_for_restart(store, store.config, root.jobStoreID)
    assert not store.load_job(cut_short.jobStoreID).fresh
    assert store.load_job(untouched.jobStoreID).fresh
