"""The moto server (``python -m moto.server``: S3, EC2, IAM, Batch... over HTTP on loopback) and
the session's ``moto_server`` fixture, offered to every test folder by tests/conftest.py so one
server serves the whole session (tests/aws, and tests/scaler's autoscaling on AWS).

moto is installed by ``python3 dev.py setup`` through toil-aws's ``test`` extra. Our code talks to
the server exactly as to AWS, through ``AWS_ENDPOINT_URL``, which the fixture sets (with throw-away
credentials) in this process's environment, so the workflows tests start as subprocesses use it too.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Dict, Iterator, Optional

import pytest

__all__ = ["FAKE_CREDENTIALS", "MotoServer", "free_port", "moto_server"]

#: Credentials moto accepts (it checks none); never real ones.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoServer:
    """``python -m moto.server`` on a free loopback port, for the length of a test session."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / "moto_server.log"
        self.proc: Optional[subprocess.Popen] = None

    def start(self, deadline: float = 60.0) -> "MotoServer":
        env = dict(os.environ)
        env.update(FAKE_CREDENTIALS)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                                          str(self.port)], stdout=log, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/moto-api/", timeout=2):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto server did not answer within {deadline} s: {self.log.read_text()[-2000:]}")

    def configure(self, settings: Dict[str, object]) -> None:
        """moto's runtime configuration (``/moto-api/config``), e.g. Batch without Docker."""
        request = urllib.request.Request(self.url + "/moto-api/config", data=json.dumps(settings).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


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
