"""The leader's compact descriptions (shared empty lists and numbers) and ``--restart``'s repair
reading every stored job once, handing the leader the ones it may take without reading again."""
from __future__ import annotations

import json
from typing import Any, Dict

import pytest

from batch_support import count_job_loads, locator_file_store
from toil_core.job.description import INLINE_BODY, JobDescription
from toil_core.leader.compact import SHARED_EMPTY, compact
from toil_core.leader.restart import clean_for_restart
from toil_core.testing import make_config


store = pytest.fixture(name="store")(locator_file_store)


def _job(store: Any, name: str, **fields: Any) -> JobDescription:
    desc = JobDescription(jobName=name, **fields)
    store.assign_job_id(desc)
    desc.body_id, desc.inline_body = INLINE_BODY, "cGlja2xlZA=="
    store.create_job(desc)
    return desc


def _parsed(memory: int) -> JobDescription:
    return JobDescription.from_bytes(JobDescription(jobName="j", memory=memory, jobStoreID="j-1").to_bytes())


def test_compact_shares_empty_lists_and_numbers_and_keeps_the_stored_form() -> None:
    first, second = _parsed(10 ** 9), _parsed(10 ** 9)
    before = first.to_bytes()
    compact(first)
    compact(second)
    assert first.children is SHARED_EMPTY and second.filesToDelete is SHARED_EMPTY
    assert first.memory is second.memory
    assert first.to_bytes() == before


def test_the_shared_empty_list_refuses_changes_in_place_but_not_assignment() -> None:
    desc = compact(_parsed(1))
    with pytest.raises(TypeError, match="shared"):
        desc.children.append("x")
    desc.children += ["x"]
    desc.followOns = desc.followOns + ["y"]
    assert desc.children == ["x"] and desc.followOns == ["y"] and SHARED_EMPTY == []
    assert json.loads(compact(_parsed(1)).to_bytes())["services"] == []


def test_restart_repair_reads_each_job_once_and_hands_on_only_jobs_of_big_phases(
        store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    kids = [_job(store, f"kid{i}") for i in range(3)]
    follow = _job(store, "follow")
    root = _job(store, "root", children=[k.jobStoreID for k in kids], followOns=[follow.jobStoreID])
    root.body_id = root.inline_body = None
    store.update_job(root)
    stray = _job(store, "stray")  # unreachable: left by a crash mid-save
    store.set_root_job(root.jobStoreID)
    loads = count_job_loads(store, monkeypatch)
    loaded: Dict[str, JobDescription] = {}
    back = clean_for_restart(store, make_config(store.locator), root.jobStoreID, loaded)
    assert back is not None and back.jobStoreID == root.jobStoreID
    assert sorted(loads) == sorted([root.jobStoreID, follow.jobStoreID] + [k.jobStoreID for k in kids])
    # The only follow-on may be chained into by a worker: the leader must read it itself.
    assert sorted(loaded) == sorted(k.jobStoreID for k in kids)
    assert all(d.inline_body is None for d in loaded.values())
    assert not store.job_exists(stray.jobStoreID) and store.job_exists(follow.jobStoreID)
