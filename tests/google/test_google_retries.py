"""Rate limits (429), server errors (5xx) and dropped connections are retried with backoff within
a bounded budget, and nothing is lost: a fault-injecting proxy (fault_proxy.py) sits between the
job store and the GCS emulator."""
from __future__ import annotations

import os
from typing import Iterator

import pytest
from google_support import PROJECT, fresh_name
from fault_proxy import FaultProxy

from toil.common import Toil
from toil_core.testing import make_config


@pytest.fixture
def proxy(gcs, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    from toil_google.client import reset_clients

    with FaultProxy(gcs.url) as running:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", running.url)
        reset_clients()
        yield running
    reset_clients()


@pytest.fixture
def store(proxy: FaultProxy, tmp_path):
    made = Toil.getJobStore(f"google:{PROJECT}:{fresh_name('retry')}")
    yield made
    proxy.plan.clear()
    proxy.always = None
    made.destroy()


def test_rate_limits_server_errors_and_dropped_connections_are_retried(proxy: FaultProxy, store,
                                                                       tmp_path) -> None:
    from toil_core.plugin_api import JobDescription

    proxy.plan = ["429", "503", "drop", "500", "pass", "502", "drop", "429"]
    config = make_config(tmp_path / "work")
    store.initialize(config)
    job = JobDescription(jobName="retried")
    store.assign_job_id(job)
    store.create_job(job)
    job.remainingTryCount = 5
    store.update_job(job)
    with store.write_file_stream() as (handle, file_id):
        handle.write(b"survives the faults")
    assert proxy.plan == [] and proxy.faults == 7
    with store.read_file_stream(file_id) as handle:
        assert handle.read() == b"survives the faults"
    assert store.load_job(job.jobStoreID).remainingTryCount == 5
    resumed = Toil.getJobStore(f"google:{store.locator}")
    resumed.resume()
    assert resumed.config.workflowID == config.workflowID


def test_a_download_cut_midway_resumes_where_it_broke(proxy: FaultProxy, store, tmp_path) -> None:
    store.initialize(make_config(tmp_path / "work"))
    data = os.urandom(3 * 1024 * 1024)
    with store.write_file_stream() as (handle, file_id):
        handle.write(data)
    proxy.only = "alt=media"
    proxy.plan = ["cut", "503"]
    before = len([s for s in proxy.seen if "alt=media" in s])
    with store.read_file_stream(file_id) as handle:
        assert handle.read() == data
    assert proxy.faults == 2
    assert len([s for s in proxy.seen if "alt=media" in s]) - before == 3


def test_the_retry_budget_is_bounded(proxy: FaultProxy, store, tmp_path, monkeypatch) -> None:
    from google.api_core import exceptions as gexc

    monkeypatch.setenv("TOIL_GOOGLE_RETRY_SECONDS", "1")
    proxy.always = "503"
    with pytest.raises((gexc.ServiceUnavailable, gexc.RetryError)):
        store.initialize(make_config(tmp_path / "work"))
    assert proxy.faults >= 2  # retried before giving up


def test_a_damaged_download_fails_the_checksum_instead_of_returning_wrong_bytes(proxy: FaultProxy, store,
                                                                                 tmp_path) -> None:
    from toil_google.objects import ChecksumError

    store.initialize(make_config(tmp_path / "work"))
    with store.write_file_stream() as (handle, file_id):
        handle.write(b"precious bytes" * 1000)
    proxy.only = "alt=media"
    proxy.plan = ["corrupt"]
    with pytest.raises(ChecksumError, match="arrived damaged"):
        with store.read_file_stream(file_id) as handle:
            handle.read()
    with store.read_file_stream(file_id) as handle:  # the stored object is intact
        assert handle.read() == b"precious bytes" * 1000
