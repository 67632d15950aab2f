"""Fixtures of the toil-aws tests: one moto S3 server for the session, reached through
``AWS_ENDPOINT_URL`` with throw-away credentials (set in this process's environment, so the
workflows the tests start as subprocesses use the same server)."""
from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aws_support import FAKE_CREDENTIALS, MotoServer  # noqa: E402

_ENV_KEYS = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "TOIL_S3_HOST", "TOIL_S3_PORT", "TOIL_S3_USE_SSL",
             "AWS_PROFILE", "AWS_SESSION_TOKEN", "TOIL_AWS_REGION", *FAKE_CREDENTIALS)


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """A moto server on loopback; the environment points boto3 at it for the whole session."""
    try:
        import moto.server  # noqa: F401
    except ImportError as err:  # pragma: no cover - dev.py installs it
        pytest.fail(f"moto's server is not installed ({err}); run: python3 dev.py setup")
    saved = {key: os.environ.get(key) for key in _ENV_KEYS}
    server = MotoServer(tmp_path_factory.mktemp("moto")).start()
    for key in _ENV_KEYS:
        os.environ.pop(key, None)
    os.environ.update(FAKE_CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = server.url
    _forget_clients()
    try:
        yield server
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _forget_clients()


def _forget_clients() -> None:
    from toil_aws import session

    session._clients.clear()
    session._sessions.clear()


@pytest.fixture
def s3(moto_server: MotoServer):
    import boto3

    return boto3.client("s3", endpoint_url=moto_server.url, region_name="us-east-1")


@pytest.fixture
def store_name() -> str:
    return f"t-{uuid.uuid4().hex[:20]}"


@pytest.fixture
def aws_locator(moto_server: MotoServer, store_name: str) -> str:
    return f"aws:us-east-1:{store_name}"
