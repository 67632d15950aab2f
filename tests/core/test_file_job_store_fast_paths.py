"""FileJobStore's byte-level fast paths (issue 24, job rate): a reserved file written in one
``write_reserved_file_bytes`` and read with ``read_file_bytes`` is what the stream methods write and
read, in a clear and in an encrypted store, and ``delete_job`` still removes a job's files."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import pytest
from toil_core.common.config import Config
from toil_core.job.commit import write_reserved_bytes
from toil_core.job.description import JobDescription
from toil_core.job.promise import read_file_bytes
from toil_core.jobstores.errors import NoSuchFileException
from toil_core.jobstores.file_job_store import FileJobStore


@pytest.fixture(params=["clear", "encrypted"])
def any_store(request: Any, tmp_path: Path) -> Iterator[FileJobStore]:
    config = Config()
    if request.param == "encrypted":
        pytest.importorskip("cryptography", reason="toil-core[encryption] is a test dependency; install it")
        key = tmp_path / "key"
        key.write_text(os.urandom(16).hex() + "\n")
        config.sseKey = str(key)
    js = FileJobStore(str(tmp_path / "store"))
    js.initialize(config)
    assert (js._cipher is not None) == (request.param == "encrypted")
    yield js
    js.destroy()


def test_reserved_bytes_read_back_by_stream_and_bytes(any_store: FileJobStore) -> None:
    file_id = any_store.reserve_file_id()
    payload = b"\x80\x05return value" * 100
    write_reserved_bytes(any_store, file_id, payload)
    with any_store.read_file_stream(file_id) as stream:
        assert stream.read() == payload
    assert read_file_bytes(any_store, file_id) == payload


def test_stream_written_file_read_as_bytes(any_store: FileJobStore) -> None:
    with any_store.write_file_stream() as (stream, file_id):
        stream.write(b"x" * (3 << 20))  # more than one read of the fast path
    assert any_store.read_file_bytes(file_id) == b"x" * (3 << 20)


def test_read_bytes_of_a_missing_file_names_it(any_store: FileJobStore) -> None:
    file_id = any_store.reserve_file_id()
    with pytest.raises(NoSuchFileException) as caught:
        any_store.read_file_bytes(file_id)
    assert file_id in str(caught.value)


def test_reserved_bytes_replace_atomically(any_store: FileJobStore) -> None:
    file_id = any_store.reserve_file_id()
    write_reserved_bytes(any_store, file_id, b"first")
    write_reserved_bytes(any_store, file_id, b"second")
    assert read_file_bytes(any_store, file_id) == b"second"
    assert os.listdir(any_store._tmp) == []  # nothing half-written left behind


@pytest.mark.parametrize("files", [0, 3])
def test_delete_job_removes_its_files(store: FileJobStore, files: int) -> None:
    desc = JobDescription(requirements={}, jobName="fast")
    store.assign_job_id(desc)
    store.create_job(desc)
    ids = []
    for _ in range(files):
        with store.write_file_stream(job_id=desc.jobStoreID, cleanup=True) as (stream, file_id):
            stream.write(b"owned")
        ids.append(file_id)
    store.delete_job(desc.jobStoreID)
    assert not store.job_exists(desc.jobStoreID)
    for file_id in ids:
        assert not store.file_exists(file_id)
    assert desc.jobStoreID not in list(store.job_file_owners())
