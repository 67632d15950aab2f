"""Fixtures of the toil-google tests: one GCS emulator per session, fresh job store names."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gcs_server import GCSServer, start_gcs_server  # noqa: E402
from google_support import PROJECT, Recorder, fresh_name  # noqa: E402


@pytest.fixture(scope="session")
def gcs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GCSServer]:
    """The emulator, with ``STORAGE_EMULATOR_HOST`` pointing at it for the whole session
    (subprocesses started by the tests inherit it)."""
    server = start_gcs_server(tmp_path_factory.mktemp("gcs"))
    old = os.environ.get("STORAGE_EMULATOR_HOST")
    os.environ["STORAGE_EMULATOR_HOST"] = server.url
    from toil_google.client import reset_clients

    reset_clients()
    try:
        yield server
    finally:
        if old is None:
            os.environ.pop("STORAGE_EMULATOR_HOST", None)
        else:
            os.environ["STORAGE_EMULATOR_HOST"] = old
        reset_clients()
        server.stop()


@pytest.fixture
def gcs(gcs_server: GCSServer) -> GCSServer:
    """The running emulator; fails the test with its log if it died."""
    assert gcs_server.process.poll() is None, f"the GCS emulator died:\n{gcs_server.log_tail()}"
    return gcs_server


@pytest.fixture
def google_locator(gcs: GCSServer) -> str:
    """A fresh ``google:`` locator on the emulator (project given explicitly)."""
    return f"google:{PROJECT}:{fresh_name()}"


@pytest.fixture
def bucket_client(gcs: GCSServer):
    """A plain google-cloud-storage client on the emulator, to look at buckets directly."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(project=PROJECT, credentials=AnonymousCredentials())


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Record the requests of the google-cloud-storage client (and our own reader)."""
    import requests.adapters

    found = Recorder()
    original = requests.adapters.HTTPAdapter.send

    def send(self, request, *args, **kwargs):
        body = request.body if isinstance(request.body, bytes) else b""
        headers = {k.lower(): v for k, v in request.headers.items()}
        found.requests.append((request.method, request.url, headers, body[:4096]))
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    return found


@pytest.fixture
def make_store(tmp_path: Path, gcs: GCSServer):
    """``make_store(locator=None, **config values)``: an initialized GoogleJobStore, destroyed
    at the end of the test."""
    from toil.common import Toil
    from toil_core.testing import make_config

    made = []

    def make(locator: str = "", **values):
        store = Toil.getJobStore(locator or f"google:{PROJECT}:{fresh_name()}")
        config = make_config(tmp_path / "work", **values)
        config.workflowID = None
        store.initialize(config)
        made.append(store)
        return store

    yield make
    for store in made:
        try:
            store.destroy()
        except Exception:
            pass
