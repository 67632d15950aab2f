"""Crash safety of the ``aws:`` job store: a second leader is refused while the first lives, a
leader SIGKILLed mid-workflow resumes with --restart (its lock does not block it; nothing lost, no
job whose completion was recorded runs again), and a writer killed in the
middle of a multipart upload leaves nothing readable, which --restart's clean-up removes.

The workflow is the fault suite's ``faultflow.py`` (children, follow-ons, promises, global files,
a service, a checkpoint, a file over the multipart part size), with its execution counters.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "faults" / "workflows"))

import faultkit  # noqa: E402

from test_aws_workflows import bucket_exists  # noqa: E402

WIDTH = 3
SIZE = 64 * 1024
BIG = 6 * 1024 * 1024  # over the 5 MiB part size below: a multipart upload
SEED = 3
PART = 5 * 1024 * 1024


#: Seconds each work job waits after its ``done`` line. The leader is killed after a second
#: leader was refused, which on a loaded machine takes seconds: the work jobs must still be
#: lingering then (with 1 s the faster leader sometimes finished the workflow first).
LINGER = 10


def _args() -> list:
    return [*faultkit.QUICK, "--width", WIDTH, "--size", SIZE, "--big", BIG, "--seed", SEED,
            "--awsPartSize", PART, "--linger", LINGER]


def _stored_jobs(locator: str) -> dict:
    from toil_core.jobstores.locator import make_job_store

    store = make_job_store(locator)
    store.resume()
    return {desc.jobStoreID: desc for desc in store.jobs()}


def test_leader_killed_mid_workflow_resumes_without_redoing_work(tmp_path: Path, aws_locator: str,
                                                                 store_name: str, s3: Any) -> None:
    out = tmp_path / "out"
    out.mkdir()
    proc = faultkit.start(aws_locator, out, _args(), tmp_path, "first")
    try:
        # Kill once a work job has finished its body and while others are running.
        faultkit.wait_for_line(out, "done", "work-0", timeout=180, poll=0.05)
        # A second leader on the store while this one lives is refused (the leader lock) ...
        second = faultkit.start(aws_locator, out, [*_args(), "--restart"], tmp_path, "second")
        assert second.wait(timeout=120) != 0
        refused = (tmp_path / "second.err").read_text()
        assert "is in use by another Toil leader" in refused and f"pid {proc.pid}" in refused, refused[-3000:]
    finally:
        faultkit.kill_group(proc)
        proc.wait()
    assert faultkit.wait_group_gone(proc.pid, 30), "jobs outlived the killed leader"
    before = faultkit.counter(out)
    recorded = faultkit.completion_recorded(before, _stored_jobs(aws_locator))  # every description readable
    runs_before = faultkit.runs(before)

    again = faultkit.start(aws_locator, out, [*_args(), "--restart"], tmp_path, "restart")
    assert again.wait(timeout=300) == 0, (tmp_path / "restart.err").read_text()[-6000:]
    assert faultkit.result_line(tmp_path / "restart.out") == faultkit.expected_result(SEED, WIDTH, SIZE, BIG)
    after = faultkit.counter(out)
    runs_after = faultkit.runs(after)
    rerun = {name for name in recorded if runs_after[name] != runs_before[name]}
    assert not rerun, f"jobs whose completion was recorded ran again: {sorted(rerun)}"
    assert set(runs_after) == set(faultkit.faultflow.job_names(WIDTH))
    sizes = faultkit.file_sizes(SIZE, BIG, WIDTH)
    assert faultkit.bad_reads(after, SEED, sizes) == []
    assert not bucket_exists(s3, store_name), "the finished workflow's store is deleted"


def test_a_killed_multipart_writer_leaves_nothing_readable(tmp_path: Path, aws_locator: str) -> None:
    from toil_core.jobstores.locator import make_job_store
    from toil_core.testing import make_config

    store = make_job_store(aws_locator)
    store.initialize(make_config(tmp_path / "work", aws_part_size=PART))
    try:
        file_id, key = store._new_file_id(None, False, "half.bin")
        writer = store.objects.open_write(key)
        writer.write(b"x" * (PART + 10))  # the first part is uploaded; the process "dies" here
        assert writer._upload_id is not None
        assert not store.file_exists(file_id)
        assert store.discard_temporary_files() == 1  # what --restart does before anything runs
        assert store.discard_temporary_files() == 0
        assert not store.file_exists(file_id)
    finally:
        store.destroy()
