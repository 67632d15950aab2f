"""The toil-aws plugin: registers the ``aws`` job store (group ``toil.job_stores``), the ``s3``
URL scheme (``toil.url_access``), the ``aws_batch`` batch system (``toil.batch_systems``) and the
``aws`` cluster provisioner (``toil.provisioners``).

Importing this module imports neither boto3 nor any backend code: the spec records name the
classes as lazy load strings.
"""
from __future__ import annotations

from typing import List

from toil_core.plugin_api import BatchSystemSpec, JobStoreSpec, ProvisionerSpec, URLAccessSpec

from toil_aws.settings import AWSBatchSettings, AWSJobStoreSettings


def toil_job_stores() -> List[JobStoreSpec]:
    return [
        JobStoreSpec(
            name="aws", load="toil_aws.job_store:AWSJobStore", settings=AWSJobStoreSettings,
            capabilities=frozenset({"import", "export", "encryption", "leader_lock"}),
            summary="Keeps the job store in one S3 bucket (aws:<region>:<name>, bucket <name>--toil).",
        )
    ]


def toil_url_access() -> List[URLAccessSpec]:
    return [
        URLAccessSpec(
            name="s3", load="toil_aws.s3_urls:S3URLAccess",
            capabilities=frozenset({"import", "export"}),
            summary="Imports from and exports to s3://bucket/key URLs (and S3-compatible services).",
        )
    ]


def toil_batch_systems() -> List[BatchSystemSpec]:
    return [
        BatchSystemSpec(
            name="aws_batch", aliases=("awsbatch", "aws-batch"),
            load="toil_aws.batch:AWSBatchBatchSystem", settings=AWSBatchSettings,
            capabilities=frozenset({"accelerators"}),
            summary="Submits each job to an AWS Batch queue (with an aws: job store that every node reaches).",
        )
    ]


def toil_provisioners() -> List[ProvisionerSpec]:
    return [
        ProvisionerSpec(
            name="aws", load="toil_aws.provisioner:AWSProvisioner",
            summary="Launches, grows, shrinks and destroys clusters of EC2 instances (on-demand and spot).",
        )
    ]
