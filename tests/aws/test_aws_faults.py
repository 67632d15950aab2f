"""Retries: throttling (503 SlowDown), 500s and dropped connections between toil-aws and S3 are
retried with backoff; nothing is lost and nothing half-received is taken as complete.

A fault-injecting proxy (:class:`aws_support.FaultProxy`) sits between the job store and the S3
server and answers chosen requests with an error or breaks the connection.
"""
from __future__ import annotations

import itertools
import shutil
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from aws_support import FaultProxy
from test_aws_workflows import SCRIPTS, bucket_exists, describe, run

PART = 5 * 1024 * 1024
FAULTS = ["503", "500", "drop", "cut"]


@pytest.fixture
def proxy(moto_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    from toil_aws import session

    fault_proxy = FaultProxy(moto_server.port, seed=7)
    monkeypatch.setenv("AWS_ENDPOINT_URL", fault_proxy.url)
    monkeypatch.setattr(session, "MAX_ATTEMPTS", 8)
    session._clients.clear()
    yield fault_proxy
    fault_proxy.close()
    session._clients.clear()


def test_each_operation_survives_each_kind_of_fault(proxy: FaultProxy, aws_locator: str, tmp_path: Path) -> None:
    """Every operation meets a fault (throttled, 500, dropped, cut off; in turn) and still does its
    work: create, load and update a job, write and read a multipart file, logs, delete."""
    from toil_core.jobstores.locator import make_job_store
    from toil_core.job.description import JobDescription
    from toil_core.testing import make_config

    store = make_job_store(aws_locator)
    store.initialize(make_config(tmp_path / "work", aws_part_size=PART))
    try:
        big = b"".join(i.to_bytes(4, "big") for i in range((PART + 4096) // 4))

        kinds = itertools.cycle(FAULTS)

        def faulty(operation: Any) -> Any:
            fault = next(kinds)
            before = proxy.seen.get(fault, 0)
            proxy.plan = [fault]
            result = operation()
            assert proxy.seen.get(fault, 0) == before + 1, "the fault was not injected"
            return result

        job = JobDescription(jobName="faulty")
        store.assign_job_id(job)
        faulty(lambda: store.create_job(job))
        assert faulty(lambda: store.load_job(job.jobStoreID)).jobName == "faulty"
        job.remainingTryCount = 5
        faulty(lambda: store.update_job(job))

        def write_big() -> str:
            with store.write_file_stream(job.jobStoreID, cleanup=True) as (handle, file_id):
                handle.write(big)
            return file_id

        file_id = faulty(write_big)

        def read_big() -> bytes:
            with store.read_file_stream(file_id) as handle:
                return handle.read()

        assert faulty(read_big) == big
        faulty(lambda: store.write_logs(b"blob"))
        seen: list = []
        assert faulty(lambda: store.read_logs(lambda h: seen.append(h.read()))) == 1 and seen == [b"blob"]
        faulty(lambda: store.delete_job(job.jobStoreID))
        assert not store.file_exists(file_id) and not store.job_exists(job.jobStoreID)
    finally:
        proxy.plan = []
        store.destroy()


def test_a_download_cut_mid_body_resumes_where_it_stopped(proxy: FaultProxy, aws_locator: str,
                                                          tmp_path: Path) -> None:
    """A GET whose body breaks off is asked again from the byte reached (not from the start),
    and the result is the whole object."""
    from toil_core.jobstores.locator import make_job_store
    from toil_core.testing import make_config

    store = make_job_store(aws_locator)
    store.initialize(make_config(tmp_path / "work"))
    try:
        data = bytes(range(256)) * 8192
        with store.write_file_stream() as (handle, file_id):
            handle.write(data)
        ranges: list = []
        store._client().meta.events.register(
            "before-send.s3.GetObject", lambda request, **kw: ranges.append(request.headers.get("Range")))
        proxy.plan = ["cut"]
        with store.read_file_stream(file_id) as handle:
            assert handle.read() == data
        assert len(ranges) == 2 and ranges[0] is None and ranges[1] is not None, ranges
        start = int(ranges[1].decode().split("=")[1].rstrip("-")) if isinstance(ranges[1], bytes) else int(
            ranges[1].split("=")[1].rstrip("-"))
        assert 0 < start < len(data)
    finally:
        proxy.plan = []
        store.destroy()


def test_persistent_faults_end_in_an_error_not_a_hang(proxy: FaultProxy, aws_locator: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The retry budget is bounded: an S3 that keeps throttling ends in an error."""
    import botocore.exceptions
    from toil_aws import session
    from toil_core.jobstores.locator import make_job_store
    from toil_core.testing import make_config

    store = make_job_store(aws_locator)
    store.initialize(make_config(tmp_path / "work"))
    try:
        monkeypatch.setattr(session, "MAX_ATTEMPTS", 3)
        session._clients.clear()
        proxy.plan = ["503"] * 3
        with pytest.raises(botocore.exceptions.ClientError, match="SlowDown"):
            store.write_logs(b"x")
        assert proxy.seen["503"] >= 3
    finally:
        proxy.plan = []
        store.destroy()


def test_a_workflow_through_an_unreliable_network(moto_server: Any, tmp_path: Path, aws_locator: str,
                                                  store_name: str, s3: Any) -> None:
    """The sort example with one request in 10 failing at random (throttled, 500, dropped, cut)."""
    faulty = FaultProxy(moto_server.port, rate=1 / 10, seed=11)
    try:
        shutil.copy(SCRIPTS / "sort.py", tmp_path / "sort.py")
        proc = run([sys.executable, "sort.py", aws_locator, "--numLines=1000", "--lineLength=10",
                    "--overwriteOutput=True", f"--workDir={tmp_path}"], tmp_path,
                   env={"AWS_ENDPOINT_URL": faulty.url})
    finally:
        faulty.close()
    assert proc.returncode == 0, describe(proc)
    lines = (tmp_path / "sortedFile.txt").read_text().splitlines()
    assert len(lines) == 1000 and lines == sorted(lines)
    injected = sum(count for action, count in faulty.seen.items() if action != "pass")
    assert injected >= 5, faulty.seen
    assert not bucket_exists(s3, store_name)
