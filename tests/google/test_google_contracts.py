"""The toil_core.testing contract suites on the google job store and gs:// URLs, against the
GCS emulator the session starts (conftest.py)."""
from __future__ import annotations

import uuid
from typing import List, Optional, Tuple

import pytest

from toil_core.testing import JobStoreContract, PluginPackagingContract, URLAccessContract


class TestGoogleJobStoreContract(JobStoreContract):
    job_store_name = "google"

    @pytest.fixture
    def locator(self, google_locator: str) -> str:
        return google_locator


class TestGsURLAccessContract(URLAccessContract):
    url_scheme = "gs"

    @pytest.fixture
    def bucket(self, bucket_client) -> str:
        name = f"toil-urls-{uuid.uuid4().hex[:12]}"
        bucket_client.create_bucket(name)
        return name

    @pytest.fixture
    def source_url(self, bucket_client, bucket: str) -> str:
        bucket_client.bucket(bucket).blob("dir/object.bin").upload_from_string(self.content)
        return f"gs://{bucket}/dir/object.bin"

    @pytest.fixture
    def directory(self, source_url: str) -> Optional[Tuple[str, List[str]]]:
        return source_url.rsplit("/", 1)[0] + "/", ["object.bin"]

    @pytest.fixture
    def destination_url(self, bucket: str) -> str:
        return f"gs://{bucket}/exported/object.bin"


class TestGooglePackaging(PluginPackagingContract):
    distribution = "toil-google"


def test_the_upstream_module_path_is_this_job_store() -> None:
    from toil.jobStores.googleJobStore import GoogleJobStore

    from toil_google.job_store import GoogleJobStore as ours

    assert GoogleJobStore is ours
