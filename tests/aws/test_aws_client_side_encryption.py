"""``--clientSideEncryption`` on the ``aws:`` job store: everything sealed before it reaches S3.

A workflow puts a marker string into files, return values, promises and logs; the test then reads
every object of the bucket raw and finds no marker, and every object but the store's marker and
the leader lock is sealed. Tampered objects (a flipped byte, a truncation, two swapped) fail the
read with a message naming the object; a wrong or missing key is refused before anything is read;
the operator commands (status, debug-file) work given the key.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

pytest.importorskip("cryptography", reason="toil-core[encryption] is a test dependency; install it")

from test_aws_workflows import REPO, describe, run  # noqa: E402

SECRETS = REPO / "tests" / "core" / "workflows" / "secrets.py"
MARKER = "PLAINTEXT-MARKER-a3c9d1"
#: The name secrets.py --names gives files, shared files and a job: no key may show it.
NAME_MARKER = "Zq7NameMarker"
CLEAR_OBJECTS = {"toil-job-store", "toil-leader-lock"}


def _key(tmp_path: Path, name: str = "key") -> Path:
    path = tmp_path / name
    path.write_text(os.urandom(16).hex() + "\n")
    return path


def _raw_objects(s3: Any, store_name: str) -> Dict[str, bytes]:
    bucket = f"{store_name}--toil"
    keys = [obj["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for obj in page.get("Contents") or ()]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def test_a_workflow_leaves_no_plaintext_in_the_bucket(tmp_path: Path, aws_locator: str, store_name: str,
                                                      s3: Any) -> None:
    key = _key(tmp_path)
    proc = run([sys.executable, SECRETS, aws_locator, "--marker", MARKER, "--sseKey", key,
                "--clientSideEncryption", "--clean", "never", "--stats", "--names"], tmp_path)
    assert proc.returncode == 0, describe(proc)
    assert f"RESULT:{3 * (50 + 5000 + 1)}" in proc.stdout, describe(proc)
    assert "NAMES:ok" in proc.stdout, describe(proc)  # the names came back and the export is right
    objects = _raw_objects(s3, store_name)
    assert len(objects) > 10, sorted(objects)
    for name, data in objects.items():
        assert MARKER.encode() not in data, f"plaintext in s3 object {name}"
        assert NAME_MARKER.lower() not in name.lower(), f"a name in clear in the key {name}"
        assert NAME_MARKER.lower().encode() not in data.lower(), f"a name in clear in s3 object {name}"
    clear = {name for name, data in objects.items() if not data.startswith(b"TOILENC")}
    assert clear <= CLEAR_OBJECTS, clear

    toil = str(Path(sys.executable).with_name("toil"))
    with_key = {"TOIL_SSE_KEY": str(key)}
    status = run([toil, "status", aws_locator], tmp_path, env=with_key)
    assert status.returncode == 0 and "completed successfully" in status.stdout, describe(status)
    listed = run([toil, "debug-file", aws_locator, "--listFilesInJobStore"], tmp_path, env=with_key)
    assert listed.returncode == 0, describe(listed)
    names = (tmp_path / "jobstore_files.txt").read_text().split()
    assert "toil-job-store" in names and any(n.startswith("files/") for n in names), names
    fetched = tmp_path / "fetched"
    fetch = run([toil, "debug-file", aws_locator, "--fetch", "stream", "--localFilePath", fetched], tmp_path,
                env=with_key)
    assert fetch.returncode == 0, describe(fetch)
    contents = [p.read_bytes() for p in fetched.iterdir()]
    assert sum(c == (MARKER * 5000).encode() for c in contents) == 3, [len(c) for c in contents]
    named = tmp_path / "named"
    fetch = run([toil, "debug-file", aws_locator, "--fetch", f"{NAME_MARKER}_*", "--localFilePath", named],
                tmp_path, env=with_key)
    assert fetch.returncode == 0, describe(fetch)
    assert {p.name for p in named.iterdir()} >= {f"{NAME_MARKER}_file.txt", f"{NAME_MARKER}_stream.dat",
                                                 f"{NAME_MARKER}_shared"}, describe(fetch)
    assert (named / f"{NAME_MARKER}_file.txt").read_text() == "named file"
    refused = run([toil, "status", aws_locator], tmp_path, env={"TOIL_SSE_KEY": ""})
    assert refused.returncode != 0 and "no key was given" in refused.stderr, describe(refused)
    assert "Traceback" not in refused.stderr
    clean = run([toil, "clean", aws_locator], tmp_path)
    assert clean.returncode == 0, describe(clean)
    assert not any(b["Name"] == f"{store_name}--toil" for b in s3.list_buckets().get("Buckets", []))


@pytest.fixture
def sealed_store(tmp_path: Path, aws_locator: str) -> Any:
    from toil_core.jobstores.locator import make_job_store
    from toil_core.testing import make_config

    store = make_job_store(aws_locator)
    store.initialize(make_config(tmp_path / "work", sseKey=str(_key(tmp_path)), clientSideEncryption=True))
    yield store
    store.destroy()


def _read(store: Any, file_id: str) -> bytes:
    with store.read_file_stream(file_id) as handle:
        return bytes(handle.read())


def _write(store: Any, content: bytes) -> str:
    with store.write_file_stream() as (handle, file_id):
        handle.write(content)
    return file_id


@pytest.mark.parametrize("how", ["flip", "truncate", "swap"])
def test_a_tampered_object_fails_the_read_naming_it(sealed_store: Any, s3: Any, how: str) -> None:
    from toil_core.plugin_api import TamperedFileError

    victim = _write(sealed_store, b"v" * 700_000)  # three segments
    other = _write(sealed_store, b"o" * 700_000)
    bucket = sealed_store.bucket_name
    key, other_key = f"files/{victim}", f"files/{other}"
    raw = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    if how == "flip":
        changed = bytearray(raw)
        changed[len(raw) // 2] ^= 1
        s3.put_object(Bucket=bucket, Key=key, Body=bytes(changed))
    elif how == "truncate":
        s3.put_object(Bucket=bucket, Key=key, Body=raw[: 2 * (256 * 1024 + 16) + 35])  # on a segment boundary
    else:
        s3.put_object(Bucket=bucket, Key=key, Body=s3.get_object(Bucket=bucket, Key=other_key)["Body"].read())
    with pytest.raises(TamperedFileError, match=key):
        with sealed_store.read_file_stream(victim) as handle:
            handle.read()
    assert _read(sealed_store, other) == b"o" * 700_000  # the others still read


def test_a_tampered_job_fails_its_load(sealed_store: Any, s3: Any) -> None:
    from toil_core.job.description import JobDescription
    from toil_core.plugin_api import TamperedFileError

    job = JobDescription(jobName="sealed")
    sealed_store.assign_job_id(job)
    sealed_store.create_job(job)
    key = f"jobs/{job.jobStoreID}"
    raw = bytearray(s3.get_object(Bucket=sealed_store.bucket_name, Key=key)["Body"].read())
    raw[-1] ^= 0x80
    s3.put_object(Bucket=sealed_store.bucket_name, Key=key, Body=bytes(raw))
    with pytest.raises(TamperedFileError, match=key):
        sealed_store.load_job(job.jobStoreID)


def test_a_31_character_key_is_refused_before_anything_is_made(tmp_path: Path, aws_locator: str,
                                                              store_name: str, s3: Any) -> None:
    from toil_core.jobstores.locator import make_job_store
    from toil_core.testing import make_config

    short = tmp_path / "short"
    short.write_text("k" * 31 + "\n")
    with pytest.raises(Exception, match="32"):
        make_job_store(aws_locator).initialize(make_config(sseKey=str(short), clientSideEncryption=True))
    assert not any(b["Name"] == f"{store_name}--toil" for b in s3.list_buckets().get("Buckets", []))


def test_workers_get_the_key_path_not_the_key(sealed_store: Any) -> None:
    env = sealed_store.get_env()
    path = env["TOIL_SSE_KEY"]
    assert os.path.isfile(path)
    with open(path) as handle:
        secret = handle.read().strip()
    assert secret not in "".join(env.values())
