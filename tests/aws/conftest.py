"""Fixtures of the toil-aws tests, around the session's moto server (the ``moto_server`` fixture of
tests/support/moto_service.py, reached through ``AWS_ENDPOINT_URL`` with throw-away credentials set
in this process's environment, so the workflows the tests start as subprocesses use it too)."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aws_support import MotoServer  # noqa: E402


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
