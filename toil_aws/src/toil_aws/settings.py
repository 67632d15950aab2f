"""Settings of the toil-aws backends (one attrs class each; the core makes flags and reads the
environment variables from them). Imports only attrs and the plugin API."""
from __future__ import annotations

from typing import Optional

import attrs
from toil_core.plugin_api import setting

#: Default size of a multipart upload's parts (and the size above which uploads are multipart).
DEFAULT_PART_SIZE = 50 * 1024 * 1024
#: S3's smallest allowed part (every part but the last).
MIN_PART_SIZE = 5 * 1024 * 1024


@attrs.frozen
class AWSJobStoreSettings:
    """Options of the ``aws`` job store."""

    aws_part_size: int = setting(
        DEFAULT_PART_SIZE, "Size in bytes of the parts of multipart uploads to S3; files larger than this "
        f"are uploaded in parts (at least {MIN_PART_SIZE}).", flag="--awsPartSize", env="TOIL_AWS_PART_SIZE",
        metavar="BYTES")


@attrs.frozen
class AWSBatchSettings:
    """Options of the ``aws_batch`` batch system."""

    aws_batch_region: Optional[str] = setting(
        None, "Region of the AWS Batch queue (default: the job store's region, TOIL_AWS_REGION, or the "
        "AWS configuration's region).", flag="--awsBatchRegion", env="TOIL_AWS_REGION", metavar="REGION")
    aws_batch_queue: Optional[str] = setting(
        None, "Name or ARN of the AWS Batch job queue to submit to (required).", flag="--awsBatchQueue",
        env="TOIL_AWS_BATCH_QUEUE", metavar="QUEUE")
    aws_batch_job_role_arn: Optional[str] = setting(
        None, "ARN of an IAM role the jobs run as (it must be assumable by ecs-tasks.amazonaws.com); it "
        "needs access to the job store's bucket.", flag="--awsBatchJobRoleArn",
        env="TOIL_AWS_BATCH_JOB_ROLE_ARN", metavar="ARN")
    aws_batch_image: Optional[str] = setting(
        None, "Container image the jobs run in; it must have this Toil and the workflow's dependencies "
        "installed (default: TOIL_APPLIANCE_SELF).", flag="--awsBatchImage", env="TOIL_APPLIANCE_SELF",
        metavar="IMAGE")
