"""The moto server fixture, shared by the aws tests and the tests that autoscale on AWS
(tests/scaler): a conftest imports ``moto_server`` from here to offer it."""
from __future__ import annotations

import os
from typing import Iterator

import pytest

from aws_support import FAKE_CREDENTIALS, MotoServer

__all__ = ["moto_server"]

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
