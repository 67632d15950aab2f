"""SSE-C (``--sseKey``) on the ``aws:`` job store.

moto accepts SSE-C headers without enforcing them, so these tests check what is *sent*: every
request that writes or reads object content carries the customer key (botocore's event hooks see
each request as it leaves), the marker that identifies the store does not, and a wrong or missing
key is refused before anything is read.
"""
from __future__ import annotations

import base64
import hashlib
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from test_aws_workflows import SCRIPTS, bucket_exists, describe, run

KEY = b"0123456789abcdef0123456789abcdef"
CONTENT_OPERATIONS = {"PutObject", "GetObject", "HeadObject", "CreateMultipartUpload", "UploadPart",
                      "CompleteMultipartUpload"}


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "sse.key"
    path.write_bytes(KEY + b"\n")  # one trailing newline is allowed
    return path


def _sent(store: Any) -> List[Tuple[str, Dict[str, str]]]:
    """Record (operation, headers) of every request the store's S3 client sends."""
    seen: List[Tuple[str, Dict[str, str]]] = []

    def before_send(request: Any, event_name: str = "", **kwargs: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]  # before-send.s3.PutObject
        headers = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        seen.append((operation, headers))

    store._client().meta.events.register("before-send.s3", before_send)
    return seen


def _expected_key_headers() -> Dict[str, str]:
    return {"x-amz-server-side-encryption-customer-algorithm": "AES256",
            "x-amz-server-side-encryption-customer-key": base64.b64encode(KEY).decode(),
            "x-amz-server-side-encryption-customer-key-md5": base64.b64encode(hashlib.md5(KEY).digest()).decode()}


def test_every_content_request_carries_the_key(tmp_path: Path, aws_locator: str, key_file: Path) -> None:
    from toil_core.testing import make_config
    from toil_core.jobstores.locator import make_job_store
    from toil_core.job.description import JobDescription

    store = make_job_store(aws_locator)
    seen = _sent(store)
    store.initialize(make_config(tmp_path / "work", sseKey=str(key_file), aws_part_size=5 * 2**20))
    try:
        job = JobDescription(jobName="secret")
        store.assign_job_id(job)
        store.create_job(job)
        store.load_job(job.jobStoreID)
        big = tmp_path / "big.bin"
        big.write_bytes(b"s" * (5 * 2**20 + 100))  # multipart: two parts
        file_id = store.write_file(str(big), job.jobStoreID, cleanup=True)
        with store.read_file_stream(file_id) as handle:
            assert handle.read() == big.read_bytes()
        assert store.get_file_size(file_id) == big.stat().st_size
        with store.write_shared_file_stream("secret-shared") as handle:
            handle.write(b"shared")
        with store.read_shared_file_stream("secret-shared") as handle:
            assert handle.read() == b"shared"
        store.write_logs(b"a log blob")
        content = [(op, headers) for op, headers in seen if op in CONTENT_OPERATIONS]
        assert {op for op, _ in content} >= CONTENT_OPERATIONS
        expected = _expected_key_headers()
        keyed = [op for op, headers in content
                 if all(headers.get(name) == value for name, value in expected.items())]
        plain = [op for op, headers in content if "x-amz-server-side-encryption-customer-key" not in headers]
        # Only the marker and the config are stored without the key (workers read them before they
        # know the key): one PutObject each at initialization.
        assert plain.count("PutObject") == 2 and set(plain) == {"PutObject"}, plain
        assert len(keyed) == len(content) - 2
    finally:
        store.destroy()


def test_restart_with_a_wrong_or_missing_key_fails_at_once(tmp_path: Path, aws_locator: str, store_name: str,
                                                           key_file: Path, s3: Any) -> None:
    import shutil

    shutil.copy(SCRIPTS / "tutorial_restart.py", tmp_path / "restart.py")
    first = run([sys.executable, "restart.py", aws_locator, "--retryCount", "0", "--sseKey", key_file], tmp_path)
    assert first.returncode != 0 and bucket_exists(s3, store_name), describe(first)
    wrong = tmp_path / "wrong.key"
    wrong.write_bytes(b"f" * 32)
    refused = run([sys.executable, "restart.py", aws_locator, "--restart", "--sseKey", wrong], tmp_path, timeout=60)
    assert refused.returncode != 0 and "is not the key the job store" in refused.stderr, describe(refused)
    missing = run([sys.executable, "restart.py", aws_locator, "--restart"], tmp_path, timeout=60)
    assert missing.returncode != 0 and "no key was given" in missing.stderr, describe(missing)
    for proc in (refused, missing):
        assert "Traceback" not in proc.stderr
    (tmp_path / "fixed.marker").write_text("")
    resumed = run([sys.executable, "restart.py", aws_locator, "--restart", "--sseKey", key_file], tmp_path)
    assert resumed.returncode == 0 and "The resumed workflow finished" in resumed.stdout, describe(resumed)
    assert not bucket_exists(s3, store_name)


def test_key_file_rules(tmp_path: Path) -> None:
    from toil_aws.sse import SSEKeyError, read_key

    for content in (KEY, KEY + b"\n", KEY + b"\r\n"):
        (tmp_path / "k").write_bytes(content)
        assert read_key(str(tmp_path / "k")) == KEY
    for content in (KEY[:31], KEY + b"x", KEY + b"\n\n", KEY[:16] + b"\n" + KEY[:15]):
        (tmp_path / "k").write_bytes(content)
        with pytest.raises(SSEKeyError, match="must hold exactly 32 bytes"):
            read_key(str(tmp_path / "k"))
