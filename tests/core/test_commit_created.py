"""The new successors a worker's commit records in the job's description (``created``), and the
leader's use of them: read once, right after the worker exited, instead of loading each job."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from batch_support import count_job_loads, locator_file_store
from toil_core.job.commit import created_successors
from toil_core.job.created import expand_created
from toil_core.job.description import INLINE_BODY, JobDescription
from toil_core.leader.tracker import JobTracker


store = pytest.fixture(name="store")(locator_file_store)


def _job(store: Any, name: str) -> JobDescription:
    desc = JobDescription(jobName=name)
    store.assign_job_id(desc)
    desc.body_id, desc.inline_body = INLINE_BODY, "cGlja2xlZA=="
    store.create_job(desc)
    return desc


def _parent_with_new_children(store: Any, count: int) -> tuple:
    parent = _job(store, "parent")
    kids = [_job(store, f"kid{i}") for i in range(count)]
    parent.children = [k.jobStoreID for k in kids]
    parent.created = created_successors(parent, [SimpleNamespace(description=k) for k in kids])
    parent.body_id = parent.inline_body = None
    store.update_job(parent)
    return parent, kids


def test_a_phase_of_several_new_jobs_is_recorded_without_their_bodies(store: Any) -> None:
    parent, kids = _parent_with_new_children(store, 3)
    stored = store.load_job(parent.jobStoreID)
    expanded = list(expand_created(stored))
    assert [d.jobStoreID for d in expanded] == [k.jobStoreID for k in kids]
    assert [d.jobName for d in expanded] == ["kid0", "kid1", "kid2"]
    assert all(d.inline_body is None and d.body_id == INLINE_BODY for d in expanded)


def test_a_phase_is_recorded_once_with_one_row_of_differences_per_job(store: Any) -> None:
    parent, kids = _parent_with_new_children(store, 3)
    (block,) = store.load_job(parent.jobStoreID).created
    assert block["phase"] == "children" and block["common"]["body_id"] == INLINE_BODY
    assert "jobStoreID" not in block["keys"] and "body_id" not in block["keys"]
    assert len(block["rows"]) == 3 and all(len(row) == len(block["keys"]) for row in block["rows"])


def test_the_older_form_of_one_full_description_per_job_is_still_read(store: Any) -> None:
    kids = [_job(store, f"kid{i}") for i in range(2)]
    parent = JobDescription(jobName="p", children=[k.jobStoreID for k in kids])
    parent.created = [dict(k.to_dict(), inline_body=None) for k in kids]
    assert [d.jobStoreID for d in expand_created(parent)] == [k.jobStoreID for k in kids]


def test_expanded_descriptions_share_no_list(store: Any) -> None:
    parent, kids = _parent_with_new_children(store, 2)
    first, second = expand_created(store.load_job(parent.jobStoreID))
    first.filesToDelete.append("x")
    assert second.filesToDelete == []


def test_a_single_new_successor_is_not_recorded(store: Any) -> None:
    # The worker may chain into it and change it: the leader must load it.
    _, kids = _parent_with_new_children(store, 1)
    parent = JobDescription(jobName="p", children=[kids[0].jobStoreID])
    assert created_successors(parent, [SimpleNamespace(description=kids[0])]) == []


def test_successors_that_existed_before_the_commit_are_not_recorded(store: Any) -> None:
    old = [_job(store, f"old{i}") for i in range(2)]
    parent = JobDescription(jobName="p", children=[o.jobStoreID for o in old])
    assert created_successors(parent, []) == []


def test_the_leader_takes_the_recorded_jobs_instead_of_loading_them(store: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    parent, kids = _parent_with_new_children(store, 4)
    loads = count_job_loads(store, monkeypatch)
    tracker = JobTracker(store)
    fresh = tracker.take(parent.jobStoreID)
    assert fresh is not None and fresh.created == []
    got = tracker.get_many(fresh.children)
    assert loads == [parent.jobStoreID]
    assert [g.jobStoreID for g in got] == [k.jobStoreID for k in kids]
    assert all(g.inline_body is None and g.body_id == INLINE_BODY for g in got)


def test_other_reads_of_the_job_ignore_the_recorded_jobs(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # --restart walks the stored graph: by then the jobs may have run, so they are loaded.
    parent, kids = _parent_with_new_children(store, 2)
    store.delete_job(kids[0].jobStoreID)  # finished meanwhile
    tracker = JobTracker(store)
    loaded = tracker.load(parent.jobStoreID)
    assert loaded is not None and loaded.created == []
    got = tracker.get_many(loaded.children)
    assert got[0] is None and got[1] is not None


def test_a_write_back_by_the_leader_drops_the_recorded_jobs(store: Any) -> None:
    parent, _ = _parent_with_new_children(store, 2)
    tracker = JobTracker(store)
    fresh = tracker.take(parent.jobStoreID)
    assert fresh is not None
    tracker.store(fresh)
    assert store.load_job(parent.jobStoreID).created == []
