"""Reading a whole workflow's stored jobs: ``--restart``'s repair walk and ``toil status`` read
them in chunks (``load_jobs``) with the garbage collector paused, and stored descriptions are
parsed by a generated field builder. Small stores with tiny chunks: the behaviour, not the speed
(bench/pending_store.py measures that)."""
from __future__ import annotations

import gc
import os
import signal
from pathlib import Path
from typing import Any, Dict, List

import pytest

from batch_support import count_job_loads, locator_file_store
from toil_core.cli import status as status_module
from toil_core.job.description import (
    INLINE_BODY,
    CheckpointJobDescription,
    JobDescription,
    ServiceJobDescription,
)
from toil_core.jobstores import helper_reads
from toil_core.jobstores.errors import CorruptJobError
from toil_core.leader import restart
from toil_core.leader.restart import clean_for_restart
from toil_core.lib.bulk import gc_paused
from toil_core.testing import make_config


store = pytest.fixture(name="store")(locator_file_store)


def _job(store: Any, name: str, ran: bool = False, **fields: Any) -> JobDescription:
    # (the try count a restart with the store's config gives: nothing to repair, nothing written)
    fields.setdefault("remainingTryCount", int(make_config(store.locator).retryCount) + 1)
    desc = JobDescription(jobName=name, **fields)
    store.assign_job_id(desc)
    if not ran:
        desc.body_id, desc.inline_body = INLINE_BODY, "cGlja2xlZA=="
    store.create_job(desc)
    return desc


def _fan_out(store: Any, width: int) -> Dict[str, Any]:
    """A root that ran, with ``width`` children (two of them with a child each) and a follow-on."""
    grandkids = [_job(store, f"grandkid{i}") for i in range(2)]
    kids = [_job(store, f"kid{i}") for i in range(width - 2)]
    kids += [_job(store, f"parent{i}", ran=True, children=[g.jobStoreID]) for i, g in enumerate(grandkids)]
    follow = _job(store, "follow")
    root = _job(store, "root", ran=True, children=[k.jobStoreID for k in kids], followOns=[follow.jobStoreID])
    store.set_root_job(root.jobStoreID)
    return {"root": root, "kids": kids, "grandkids": grandkids, "follow": follow}


def test_restart_walk_in_small_chunks_reads_every_job_once_and_hands_on_the_fan_out(
        store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = _fan_out(store, 9)
    stray = _job(store, "stray")  # unreachable: left by a crash mid-save
    monkeypatch.setattr(restart, "READ_CHUNK", 2)
    loads = count_job_loads(store, monkeypatch)
    loaded: Dict[str, JobDescription] = {}
    back = clean_for_restart(store, make_config(store.locator), jobs["root"].jobStoreID, loaded)
    assert back is not None and back.jobStoreID == jobs["root"].jobStoreID
    reachable = [jobs["root"], jobs["follow"], *jobs["kids"], *jobs["grandkids"]]
    assert sorted(loads) == sorted(d.jobStoreID for d in reachable)
    # Jobs of phases of two or more only (a worker may chain into the only job of a phase).
    assert sorted(loaded) == sorted(k.jobStoreID for k in jobs["kids"])
    assert all(d.inline_body is None and d.created == [] for d in loaded.values())
    assert not store.job_exists(stray.jobStoreID)
    assert all(store.job_exists(d.jobStoreID) for d in reachable)


@pytest.mark.parametrize("shared_read_first", [False, True])
def test_restart_does_not_hand_on_a_job_a_checkpoint_reset_deleted(store: Any, shared_read_first: bool) -> None:
    shared = _job(store, "shared")  # below the checkpoint, and a child of the root too
    checkpoint = _job(store, "checkpoint", ran=True, checkpoint=True, children=[shared.jobStoreID])
    checkpoint.checkpoint_body_id = "saved-body"
    store.update_job(checkpoint)
    other = _job(store, "other")
    # (the walk takes a phase from its end: the shared job is read before or after the reset)
    order = [checkpoint.jobStoreID, shared.jobStoreID] if shared_read_first else \
        [shared.jobStoreID, checkpoint.jobStoreID]
    root = _job(store, "root", ran=True, children=order + [other.jobStoreID])
    store.set_root_job(root.jobStoreID)
    loaded: Dict[str, JobDescription] = {}
    clean_for_restart(store, make_config(store.locator), root.jobStoreID, loaded)
    assert not store.job_exists(shared.jobStoreID)
    assert shared.jobStoreID not in loaded
    assert loaded[checkpoint.jobStoreID].body_id == "saved-body"
    assert loaded[checkpoint.jobStoreID].children == [] and other.jobStoreID in loaded


def test_restart_walk_leaves_the_garbage_collector_as_it_was(store: Any) -> None:
    jobs = _fan_out(store, 3)
    assert gc.isenabled()
    clean_for_restart(store, make_config(store.locator), jobs["root"].jobStoreID, {})
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            pass
        assert not gc.isenabled()  # an inner block does not turn it back on early
    assert gc.isenabled()


def test_status_walk_in_small_chunks_reports_every_job_once_breadth_first_without_bodies(
        store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = _fan_out(store, 7)
    monkeypatch.setattr(status_module, "READ_CHUNK", 3)
    reported = status_module.ToilStatus(store.locator)
    ids = [job.jobStoreID for job in reported.jobsToReport]
    kids = [k.jobStoreID for k in jobs["kids"]]
    assert ids == ([jobs["root"].jobStoreID] + kids + [jobs["follow"].jobStoreID]
                   + [g.jobStoreID for g in jobs["grandkids"]])
    assert all(job.inline_body is None for job in reported.jobsToReport[1:])
    report = reported.report_on_jobs()
    assert len(report["readyToRun"]) == 5 + 1 + 2  # plain kids, the follow-on, the grandkids
    assert len(report["hasChildren"]) == 3  # the root and the two parents
    assert report["properties"][0] == ["HAS_CHILDREN"] and report["childNumber"][0] == 8
    assert report["properties"][1] == ["READY_TO_RUN"]


def test_stored_description_with_unknown_and_missing_keys_and_whitespace_loads() -> None:
    raw = (b' {"jobName": "j", "jobStoreID": "j-1", "kind": "service", "children": ["a"],'
           b' "added_by_a_newer_minor_version": 1, "schema": 1}\n')
    desc = JobDescription.from_bytes(raw)
    assert type(desc) is ServiceJobDescription
    assert desc.children == ["a"] and desc.followOns == [] and desc.memory == 0 and desc.created == []
    assert desc.jobName is JobDescription.from_bytes(b'{"jobName":"j"}').jobName  # interned
    other = JobDescription.from_bytes(b'{"jobName":"k"}')
    assert other.followOns is not desc.followOns  # each gets its own empty list
    assert type(JobDescription.from_bytes(b'{"checkpoint":true}')) is CheckpointJobDescription
    with pytest.raises(ValueError):
        JobDescription.from_bytes(b'{"jobName":"j"} trailing')
    with pytest.raises(ValueError, match="newer"):
        JobDescription.from_bytes(b'{"schema": 999}')


def test_a_description_round_trips_through_its_stored_form() -> None:
    desc = JobDescription({"memory": "2G", "cores": 2}, jobName="j", jobStoreID="j-1",
                          children=["a", "b"], fresh=True, raw_command="echo hi")
    desc.inline_rv = "cnY="
    back = JobDescription.from_bytes(desc.to_bytes())
    fields: List[str] = [name for name in dir(desc) if not name.startswith("_")]
    assert back.to_dict() == desc.to_dict()
    assert [getattr(back, n) for n in fields if not callable(getattr(desc, n))] == \
        [getattr(desc, n) for n in fields if not callable(getattr(desc, n))]


# ------------------------------------------------------------------------------ the forked helper
@pytest.fixture
def helper_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """A forked helper for every walk and every chunk, however small."""
    monkeypatch.setattr(restart, "HELPER_MIN", 1)
    monkeypatch.setattr(restart, "READ_CHUNK", 4)
    monkeypatch.setattr(status_module, "HELPER_MIN", 1)
    monkeypatch.setattr(status_module, "READ_CHUNK", 4)
    monkeypatch.setattr(helper_reads, "MIN_SPLIT", 2)


def test_restart_walk_with_a_forked_helper_hands_on_the_stored_descriptions(store: Any, helper_always: None) -> None:
    jobs = _fan_out(store, 9)
    loaded: Dict[str, JobDescription] = {}
    clean_for_restart(store, make_config(store.locator), jobs["root"].jobStoreID, loaded)
    assert sorted(loaded) == sorted(k.jobStoreID for k in jobs["kids"])
    for kid in jobs["kids"]:
        stored = store.load_job(kid.jobStoreID).to_dict()
        stored["inline_body"] = None
        assert loaded[kid.jobStoreID].to_dict() == stored
    assert all(store.job_exists(g.jobStoreID) for g in jobs["grandkids"])


def test_status_with_a_forked_helper_reports_what_it_reports_without(store: Any, helper_always: None) -> None:
    _fan_out(store, 9)
    with_helper = status_module.ToilStatus(store.locator)
    reads = [job.to_dict() for job in with_helper.jobsToReport]
    assert len(reads) == 1 + 9 + 1 + 2
    helper_reads.MIN_SPLIT = 10 ** 9  # (restored by the fixture's monkeypatch) no helper this time
    without = status_module.ToilStatus(store.locator)
    assert reads == [job.to_dict() for job in without.jobsToReport]


def test_a_description_the_helper_cannot_read_fails_the_read_as_a_read_here_would(
        store: Any, helper_always: None) -> None:
    jobs = _fan_out(store, 5)
    broken = jobs["kids"][0].jobStoreID
    Path(store._job_path(broken)).write_bytes(b'{"jobName": "trunc')
    good = [k.jobStoreID for k in jobs["kids"][1:]]
    with helper_reads.HelperReader(store) as helper:
        with pytest.raises(CorruptJobError):
            helper.load(good * 5 + [broken])  # (the helper reads the end of a batch)
        assert helper.load(good)[good[0]] is not None  # read here from now on


def test_a_dead_helper_costs_only_speed(store: Any, helper_always: None) -> None:
    jobs = _fan_out(store, 5)
    ids = [k.jobStoreID for k in jobs["kids"]] + ["no-such-job"]
    with helper_reads.HelperReader(store) as helper:
        os.kill(helper.pid, signal.SIGKILL)
        os.waitpid(helper.pid, 0)
        found = helper.load(ids * 10)
        again = helper.load(ids)
    assert found["no-such-job"] is None and again["no-such-job"] is None
    assert sorted(job_id for job_id, desc in found.items() if desc is not None) == sorted(ids[:-1])
