"""Bad inputs on the ``aws:`` job store end in one clear message and leave nothing behind:
a malformed locator, an unknown region, no credentials, a bucket another account owns, a key
file of the wrong size, an existing store without --restart."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from aws_support import FaultProxy
from test_aws_workflows import SCRIPTS, bucket_exists, describe, run

REPO = Path(__file__).resolve().parents[2]
HELLO = REPO / "examples" / "helloWorld.py"
#: No credentials anywhere (and no instance metadata lookups, which would leave the machine).
NO_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                  "AWS_CONFIG_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true",
                  "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": ""}


def assert_clean_error(proc: Any, pattern: str) -> None:
    import re

    assert proc.returncode != 0, describe(proc)
    assert re.search(pattern, proc.stderr), describe(proc)
    assert "Traceback" not in proc.stderr, describe(proc)


@pytest.mark.parametrize("locator, pattern", [
    ("aws:us-east-1", r"Invalid AWS job store locator 'aws:us-east-1': use aws:<region>:<name>"),
    ("aws:us-east-1:Bad_Name", r"Invalid AWS job store name 'Bad_Name'.*3 to 56 lower-case"),
    ("aws:us-east-1:a--b", r"Invalid AWS job store name 'a--b'.*without '--'"),
    ("aws:us-east-1:ab", r"Invalid AWS job store name 'ab'"),
])
def test_malformed_locator(locator: str, pattern: str, tmp_path: Path, moto_server: Any) -> None:
    assert_clean_error(run([sys.executable, HELLO, locator], tmp_path), pattern)


def test_unknown_region(tmp_path: Path, store_name: str, s3: Any, moto_server: Any) -> None:
    # Against AWS (no custom endpoint) the region must be one of S3's: checked before any request.
    env = {"AWS_ENDPOINT_URL": ""}
    proc = run([sys.executable, HELLO, f"aws:mars-north-1:{store_name}"], tmp_path, env=env)
    assert_clean_error(proc, r"Unknown AWS region 'mars-north-1'")
    assert not bucket_exists(s3, store_name)


def test_no_credentials(tmp_path: Path, aws_locator: str, store_name: str, s3: Any) -> None:
    proc = run([sys.executable, HELLO, aws_locator], tmp_path, env=NO_CREDENTIALS)
    assert_clean_error(proc, r"No AWS credentials found to create the job store.*AWS_ACCESS_KEY_ID")
    assert not bucket_exists(s3, store_name)


@pytest.mark.parametrize("answers, pattern", [
    # The bucket name is taken by another account: HEAD answers 404 to us, CreateBucket 409.
    (["404:NotFound", "409:BucketAlreadyExists"], r"the bucket '.*--toil' belongs to another AWS account"),
    # The bucket exists and our credentials may not use it.
    (["403:AccessDenied"], r"Access denied to the S3 bucket '.*--toil'.*Check that your AWS credentials"),
])
def test_bucket_we_may_not_use(answers: List[str], pattern: str, tmp_path: Path, store_name: str,
                               moto_server: Any, s3: Any) -> None:
    # moto keeps no accounts apart, so the answers S3 gives then come from the proxy in front of it.
    proxy = FaultProxy(moto_server.port)
    proxy.plan = list(answers)
    try:
        proc = run([sys.executable, HELLO, f"aws:us-east-1:{store_name}"], tmp_path,
                   env={"AWS_ENDPOINT_URL": proxy.url})
    finally:
        proxy.close()
    assert_clean_error(proc, pattern)
    assert not bucket_exists(s3, store_name)


@pytest.mark.parametrize("content, pattern", [
    (b"k" * 31, r"must hold a 32 character key|must hold exactly 32 bytes"),
    (b"k" * 33 + b"\n", r"must hold a 32 character key|must hold exactly 32 bytes"),
])
def test_bad_sse_key_file(content: bytes, pattern: str, tmp_path: Path, aws_locator: str, store_name: str,
                          s3: Any) -> None:
    key = tmp_path / "sse.key"
    key.write_bytes(content)
    proc = run([sys.executable, HELLO, aws_locator, "--sseKey", key], tmp_path)
    assert_clean_error(proc, pattern)
    assert not bucket_exists(s3, store_name)


def test_existing_store_without_restart(tmp_path: Path, aws_locator: str, store_name: str, s3: Any) -> None:
    shutil.copy(SCRIPTS / "tutorial_restart.py", tmp_path / "restart.py")
    first = run([sys.executable, "restart.py", aws_locator, "--retryCount", "0"], tmp_path)
    assert first.returncode != 0 and bucket_exists(s3, store_name), describe(first)  # a failed run keeps it
    before: List[Dict[str, Any]] = s3.list_objects_v2(Bucket=f"{store_name}--toil")["Contents"]
    again = run([sys.executable, "restart.py", aws_locator], tmp_path)
    assert_clean_error(again, rf"The job store '{aws_locator}' already exists. Use --restart")
    after = s3.list_objects_v2(Bucket=f"{store_name}--toil")["Contents"]
    assert [(o["Key"], o["ETag"]) for o in after] == [(o["Key"], o["ETag"]) for o in before]
    run([sys.executable, "-m", "toil_core.cli.main", "clean", aws_locator], tmp_path)
