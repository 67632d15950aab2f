"""toil-aws passes the core's contract suites against a real S3 server (moto on loopback): the
``aws`` job store, the ``s3`` URL scheme, and its packaging."""
from __future__ import annotations

import uuid
from typing import Any, List, Optional, Tuple

import pytest
from toil_core.testing import JobStoreContract, PluginPackagingContract, URLAccessContract


class TestAWSJobStoreContract(JobStoreContract):
    job_store_name = "aws"

    @pytest.fixture
    def locator(self, aws_locator: str) -> str:
        return aws_locator


class TestAWSJobStoreContractOtherRegion(JobStoreContract):
    """The same contract in a region other than us-east-1 (buckets get a location constraint)."""

    job_store_name = "aws"

    @pytest.fixture
    def locator(self, moto_server: Any, store_name: str) -> str:
        return f"aws:eu-west-1:{store_name}"


class TestS3URLAccessContract(URLAccessContract):
    url_scheme = "s3"

    @pytest.fixture
    def bucket(self, s3: Any) -> str:
        name = f"urls-{uuid.uuid4().hex[:16]}"
        s3.create_bucket(Bucket=name)
        return name

    @pytest.fixture
    def source_url(self, s3: Any, bucket: str) -> str:
        s3.put_object(Bucket=bucket, Key="dir/sub/object.bin", Body=self.content)
        return f"s3://{bucket}/dir/sub/object.bin"

    @pytest.fixture
    def directory(self, s3: Any, bucket: str, source_url: str) -> Optional[Tuple[str, List[str]]]:
        s3.put_object(Bucket=bucket, Key="dir/sub/deeper/x", Body=b"x")
        return f"s3://{bucket}/dir/sub/", ["object.bin", "deeper/"]

    @pytest.fixture
    def destination_url(self, bucket: str) -> str:
        return f"s3://{bucket}/exported/out.bin"


class TestToilAwsPackaging(PluginPackagingContract):
    distribution = "toil-aws"
