"""Behaviour of the google job store beyond the contract, on the GCS emulator: locators and
buckets, resumable and atomic uploads, customer-supplied keys, server-side gs:// copies, signed
URLs."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import urllib.request
from pathlib import Path

import pytest
from google_support import PROJECT, fresh_name, key_file

from toil.common import Toil
from toil_core.testing import make_config

MiB = 1024 * 1024
BIG = 9 * MiB  # over the 8 MiB resumable-upload threshold


def bucket_names(bucket_client) -> set:
    return {b.name for b in bucket_client.list_buckets()}


def object_names(bucket_client, bucket: str, prefix: str = "") -> list:
    return sorted(b.name for b in bucket_client.list_blobs(bucket, prefix=prefix))


def read(store, file_id: str) -> bytes:
    with store.read_file_stream(file_id) as handle:
        return handle.read()


# ------------------------------------------------------------------------------ locators, buckets
def test_the_bucket_is_name_dash_dash_toil_and_destroy_removes_it(make_store, bucket_client) -> None:
    name = fresh_name()
    store = make_store(f"google:{PROJECT}:{name}")
    assert f"{name}--toil" in bucket_names(bucket_client)
    store.destroy()
    assert f"{name}--toil" not in bucket_names(bucket_client)


def test_a_locator_without_project_works(make_store, bucket_client) -> None:
    name = fresh_name()
    store = make_store(f"google:{name}")
    assert store.project is None and f"{name}--toil" in bucket_names(bucket_client)


@pytest.mark.parametrize("rest, problem", [
    ("ab", "has 2 characters"),
    ("Upper-Case", "characters a bucket name cannot have"),
    ("my-project:", "the name is empty"),
    (":name-ok", "the project before ':' is empty"),
    ("x" * 58, "has 58 characters"),
    ("bad project:name-ok", "is not a Google Cloud project ID"),
    ("ends-with-dash-", "characters a bucket name cannot have"),
])
def test_malformed_locators_name_the_problem_and_the_form(rest: str, problem: str) -> None:
    from toil_google.errors import GoogleLocatorError

    with pytest.raises(GoogleLocatorError) as info:
        Toil.getJobStore(f"google:{rest}")
    assert problem in str(info.value) and "google:PROJECT:NAME" in str(info.value)


def test_an_existing_store_is_refused_with_the_cure(make_store) -> None:
    from toil_core.plugin_api import JobStoreExistsException

    store = make_store()
    with pytest.raises(JobStoreExistsException) as info:
        Toil.getJobStore(f"google:{store.locator}").initialize(make_config())
    assert "Use --restart" in str(info.value) and f"toil clean google:{store.locator}" in str(info.value)


def test_a_bucket_that_is_no_job_store_is_neither_used_nor_deleted(gcs, bucket_client) -> None:
    from toil_google.errors import GoogleStoreError

    name = fresh_name()
    bucket = bucket_client.create_bucket(f"{name}--toil")
    bucket.blob("precious").upload_from_string(b"user data")
    try:
        store = Toil.getJobStore(f"google:{PROJECT}:{name}")
        with pytest.raises(GoogleStoreError, match="is not a Toil job store"):
            store.initialize(make_config())
        with pytest.raises(GoogleStoreError, match="Refusing to delete"):
            store.destroy()
        assert object_names(bucket_client, bucket.name) == ["precious"]
    finally:
        bucket.delete(force=True)


# ------------------------------------------------------------------------------ uploads
def test_a_small_file_is_one_multipart_request(make_store, recorder, tmp_path: Path) -> None:
    store = make_store()
    local = tmp_path / "small"
    local.write_bytes(b"x" * 1000)
    recorder.clear()
    store.write_file(str(local))
    uploads = recorder.matching("/upload/")
    assert len(uploads) == 1 and "uploadType=multipart" in uploads[0][1] and not recorder.matching("resumable")


def test_a_file_over_the_threshold_is_a_resumable_upload(make_store, recorder, tmp_path: Path) -> None:
    store = make_store()
    data = os.urandom(BIG)
    local = tmp_path / "big"
    local.write_bytes(data)
    recorder.clear()
    file_id = store.write_file(str(local))
    assert recorder.matching("uploadType=resumable", "POST"), recorder.requests
    assert len(recorder.matching("upload_id=", "PUT")) >= 2  # sent in chunks
    copy = tmp_path / "copy"
    store.read_file(file_id, str(copy))
    assert hashlib.sha256(copy.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_a_stream_over_the_threshold_is_uploaded_while_written(make_store, recorder) -> None:
    store = make_store()
    piece = os.urandom(256 * 1024)
    recorder.clear()
    with store.write_file_stream() as (handle, file_id):
        for _ in range(BIG // len(piece)):
            handle.write(piece)
        # a chunk is on the server before the stream ends
        assert recorder.matching("upload_id=", "PUT")
    assert recorder.matching("uploadType=resumable", "POST")
    assert store.get_file_size(file_id) == BIG
    assert read(store, file_id) == piece * (BIG // len(piece))


@pytest.mark.parametrize("size", [1000, BIG], ids=["small", "resumable"])
def test_a_failed_write_stores_nothing(make_store, bucket_client, size: int) -> None:
    store = make_store()
    with pytest.raises(RuntimeError):
        with store.write_file_stream() as (handle, file_id):
            handle.write(b"y" * size)
            raise RuntimeError("the job failed mid-write")
    assert not store.file_exists(file_id)
    assert object_names(bucket_client, store.bucket_name, "files/") == []


@pytest.mark.parametrize("size", [1000, BIG], ids=["small", "resumable"])
def test_a_failed_update_keeps_the_old_content(make_store, size: int) -> None:
    store = make_store()
    with store.write_file_stream() as (handle, file_id):
        handle.write(b"old content")
    with pytest.raises(RuntimeError):
        with store.update_file_stream(file_id) as handle:
            handle.write(b"z" * size)
            raise RuntimeError("the job failed mid-update")
    assert read(store, file_id) == b"old content"


def test_an_update_of_a_deleted_job_does_not_bring_it_back(make_store) -> None:
    from toil_core.plugin_api import JobDescription, NoSuchJobException

    store = make_store()
    job = JobDescription(jobName="gone")
    store.assign_job_id(job)
    store.create_job(job)
    store.delete_job(job.jobStoreID)
    with pytest.raises(NoSuchJobException):
        store.update_job(job)
    assert not store.job_exists(job.jobStoreID)


def test_updates_are_conditional_on_the_generation_seen(make_store, recorder) -> None:
    """On Cloud Storage a job rewritten or deleted between the check and the write fails the
    precondition instead of being overwritten (the emulator accepts the condition)."""
    from toil_core.plugin_api import JobDescription

    store = make_store()
    job = JobDescription(jobName="cond")
    store.assign_job_id(job)
    store.create_job(job)
    recorder.clear()
    store.update_job(job)
    upload = recorder.matching("/upload/", "POST")
    assert len(upload) == 1 and "ifGenerationMatch=" in upload[0][1]


def test_executable_bit_round_trips(make_store, tmp_path: Path) -> None:
    store = make_store()
    script = tmp_path / "tool.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    file_id = store.write_file(str(script))
    out = tmp_path / "out.sh"
    store.read_file(file_id, str(out))
    assert os.access(out, os.X_OK)


# ------------------------------------------------------------------------------ customer-supplied keys
KEY = b"0123456789abcdef0123456789ABCDEF"
#: The objects stored without the key, as they appear in URLs or upload bodies.
CLEAR_NAMES = ("_toil%2Fstore", '"_toil/store"', "shared%2Fconfig.pickle", '"shared/config.pickle"')


def test_every_object_but_marker_and_config_is_sent_with_the_key(make_store, recorder, tmp_path: Path) -> None:
    recorder.clear()
    store = make_store(sseKey=key_file(tmp_path, KEY))
    with store.write_file_stream() as (handle, file_id):
        handle.write(b"secret")
    assert read(store, file_id) == b"secret"
    store.write_logs(b"a log blob")
    store.read_logs(lambda handle: handle.read())
    expected = base64.b64encode(KEY).decode()
    digest = base64.b64encode(hashlib.sha256(KEY).digest()).decode()
    object_io = [r for r in recorder.requests if "/upload/" in r[1] or "alt=media" in r[1]]
    assert len(object_io) >= 6
    for method, url, headers, body in object_io:
        clear = any(name in url or name.encode() in body for name in CLEAR_NAMES)
        if clear:
            assert "x-goog-encryption-key" not in headers, url
            continue
        assert headers.get("x-goog-encryption-algorithm") == "AES256", url
        assert headers.get("x-goog-encryption-key") == expected, url
        assert headers.get("x-goog-encryption-key-sha256") == digest, url
    rewrites = recorder.matching("rewriteTo")  # read_logs moves blobs server-side
    assert rewrites and all(r[2].get("x-goog-copy-source-encryption-key") == expected and
                            r[2].get("x-goog-encryption-key") == expected for r in rewrites)


def test_the_marker_records_the_key_fingerprint_only(make_store, bucket_client, tmp_path: Path) -> None:
    store = make_store(sseKey=key_file(tmp_path, KEY))
    marker = json.loads(bucket_client.bucket(store.bucket_name).blob("_toil/store").download_as_bytes())
    assert marker["keySha256"] == base64.b64encode(hashlib.sha256(KEY).digest()).decode()
    assert KEY.decode() not in json.dumps(marker)


@pytest.mark.parametrize("other, problem", [
    (b"X" * 32, "was created with a different --sseKey"),
    (None, "was created with an --sseKey, but none was given"),
])
def test_resuming_with_another_key_fails_at_once(make_store, tmp_path: Path, other, problem: str) -> None:
    from toil_google.errors import SSEKeyMismatchError

    store = make_store(sseKey=key_file(tmp_path, KEY))
    resumed = Toil.getJobStore(f"google:{store.locator}")
    resumed.resume()  # the stored config names the right key
    resumed._config.sseKey = key_file(tmp_path, other, "other.key") if other else None
    with pytest.raises(SSEKeyMismatchError, match=problem):
        resumed.write_config()  # what a --restart with those options does first


def test_a_key_on_a_store_made_without_one_is_refused(make_store, tmp_path: Path) -> None:
    from toil_google.errors import SSEKeyMismatchError

    store = make_store()
    store._config.sseKey = key_file(tmp_path, KEY)
    with pytest.raises(SSEKeyMismatchError, match="created without --sseKey"):
        store.write_config()


def test_a_31_byte_key_is_refused(gcs, tmp_path: Path) -> None:
    from toil_google.errors import GoogleStoreError

    store = Toil.getJobStore(f"google:{PROJECT}:{fresh_name()}")
    with pytest.raises(GoogleStoreError, match="32-character key"):
        store.initialize(make_config(sseKey=key_file(tmp_path, KEY[:31])))


# ------------------------------------------------------------------------------ gs:// and URLs
@pytest.fixture
def source_bucket(bucket_client):
    bucket = bucket_client.create_bucket(f"toil-src-{fresh_name()}")
    yield bucket
    bucket.delete(force=True)


def test_gs_imports_and_exports_are_server_side_copies(make_store, source_bucket, recorder) -> None:
    blob = source_bucket.blob("inputs/tool.sh")
    blob.metadata = {"executable": "1"}
    blob.upload_from_string(b"#!/bin/sh\n")
    store = make_store()
    recorder.clear()
    file_id = store.import_file(f"gs://{source_bucket.name}/inputs/tool.sh")
    assert file_id.size == 10 and file_id.executable
    store.export_file(file_id, f"gs://{source_bucket.name}/outputs/tool.sh")
    assert len(recorder.matching("rewriteTo")) == 2
    assert not recorder.matching("alt=media") and not recorder.matching("/upload/")
    assert source_bucket.blob("outputs/tool.sh").download_as_bytes() == b"#!/bin/sh\n"


def test_a_missing_gs_source_fails_clearly(make_store, source_bucket) -> None:
    store = make_store()
    with pytest.raises(FileNotFoundError, match="No such object"):
        store.import_file(f"gs://{source_bucket.name}/nothing-here")


def test_public_urls_are_signed_with_a_service_account_key(make_store, tmp_path: Path, monkeypatch) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from toil_google.client import reset_clients

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    account = {"type": "service_account", "project_id": PROJECT, "private_key_id": "1", "private_key": pem,
               "client_email": f"toil@{PROJECT}.iam.gserviceaccount.com", "client_id": "1",
               "token_uri": "https://oauth2.googleapis.com/token"}
    path = tmp_path / "account.json"
    path.write_text(json.dumps(account))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    reset_clients()
    store = make_store()
    with store.write_file_stream() as (handle, file_id):
        handle.write(b"shared with the world")
    url = store.get_public_url(file_id)
    assert "Signature=" in url and "GoogleAccessId=" in url
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"shared with the world"


def test_client_side_encryption_seals_every_object_but_the_marker(make_store, bucket_client, tmp_path: Path) -> None:
    """--clientSideEncryption adds sealing to the customer-supplied key: the bucket holds no
    plaintext (jobs, files, shared files, logs, the config), big files included."""
    pytest.importorskip("cryptography", reason="toil-core[encryption] is a test dependency; install it")
    from google.cloud.storage import Blob

    from toil_core.job.description import JobDescription

    marker = b"GCS-PLAINTEXT-MARKER"
    store = make_store(sseKey=key_file(tmp_path, KEY), clientSideEncryption=True)
    job = JobDescription(jobName=marker.decode())
    store.assign_job_id(job)
    store.create_job(job)
    big = tmp_path / "big.bin"
    big.write_bytes(marker * (BIG // len(marker) + 1))  # a resumable upload
    big_id = store.write_file(str(big))
    with store.write_file_stream() as (handle, small_id):
        handle.write(marker)
    with store.write_shared_file_stream("secret-shared") as handle:
        handle.write(marker)
    store.write_logs(marker)
    assert read(store, big_id) == big.read_bytes() and store.get_file_size(big_id) == big.stat().st_size
    assert read(store, small_id) == marker
    bucket = bucket_client.bucket(store.bucket_name)
    names = object_names(bucket_client, store.bucket_name)
    assert len(names) >= 6
    for name in names:
        encrypted = name != "_toil/store"
        raw = Blob(name, bucket, encryption_key=KEY if encrypted else None).download_as_bytes()
        assert marker not in raw, f"plaintext in gs object {name}"
        assert raw.startswith(b"TOILENC") == encrypted, name


def test_a_swapped_object_of_a_sealed_store_fails_the_read(make_store, bucket_client, tmp_path: Path) -> None:
    pytest.importorskip("cryptography", reason="toil-core[encryption] is a test dependency; install it")
    from toil_core.plugin_api import TamperedFileError

    store = make_store(sseKey=key_file(tmp_path, KEY), clientSideEncryption=True)
    ids = []
    for content in (b"first", b"second"):
        with store.write_file_stream() as (handle, file_id):
            handle.write(content)
        ids.append(file_id)
    bucket = bucket_client.bucket(store.bucket_name)
    source = bucket.blob(f"files/{ids[1]}", encryption_key=KEY)
    bucket.blob(f"files/{ids[0]}", encryption_key=KEY).upload_from_string(source.download_as_bytes())
    with pytest.raises(TamperedFileError, match=f"files/{ids[0]}"):
        read(store, ids[0])
    assert read(store, ids[1]) == b"second"


# ------------------------------------------------------------------------------ credentials
@pytest.fixture
def no_google_environment(monkeypatch, tmp_path: Path):
    """No emulator, no credentials, no gcloud configuration, no metadata server."""
    from toil_google.client import reset_clients

    for name in ("STORAGE_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    reset_clients()
    yield
    reset_clients()


def test_an_unusable_credentials_file_is_named(no_google_environment, monkeypatch, tmp_path: Path) -> None:
    from toil_google.client import get_client
    from toil_google.errors import GoogleCredentialsError

    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(GoogleCredentialsError, match="missing.json cannot be used"):
        get_client(PROJECT)


def test_without_credentials_gs_reads_are_anonymous_and_the_job_store_is_refused(no_google_environment) -> None:
    from google.auth.credentials import AnonymousCredentials

    from toil_google.client import get_client
    from toil_google.errors import GoogleCredentialsError

    assert isinstance(get_client(allow_anonymous=True)._credentials, AnonymousCredentials)
    with pytest.raises(GoogleCredentialsError, match="No Google Cloud credentials found"):
        get_client(PROJECT)
