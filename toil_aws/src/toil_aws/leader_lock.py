"""The leader lock of the ``aws:`` job store: a lease object written with S3's conditional PUTs.

See :mod:`toil_core.jobstores.lease_lock` for the protocol. S3 gives the two conditions it needs:
``If-None-Match: *`` creates the object only if there is none, and ``If-Match: <ETag>`` replaces
it only if nobody changed it since it was read (both answer 412 Precondition Failed otherwise).
The lock object is stored in clear (it names a pid and a host, nothing secret) and without the
SSE-C key, so that a leader with a wrong key is told about the lock holder, not about the key.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

import botocore.exceptions
from toil_core.plugin_api import LeaseBackend

from toil_aws.session import error_code, http_status, is_missing

__all__ = ["LOCK_KEY", "S3Lease"]

#: The lock object's key in the bucket.
LOCK_KEY = "toil-leader-lock"
_CONFLICT = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})


def _conflict(err: botocore.exceptions.ClientError) -> bool:
    return error_code(err) in _CONFLICT or http_status(err) in (409, 412)


class S3Lease(LeaseBackend):
    """The lock object ``toil-leader-lock`` of one bucket."""

    def __init__(self, client: Callable[[], Any], bucket: str) -> None:
        self._client = client
        self.bucket = bucket
        self.where = f"s3://{bucket}/{LOCK_KEY}"

    def create(self, data: bytes) -> Optional[str]:
        try:
            response = self._client().put_object(Bucket=self.bucket, Key=LOCK_KEY, Body=data, IfNoneMatch="*")
        except botocore.exceptions.ClientError as err:
            if _conflict(err):
                return None
            raise
        return str(response["ETag"])

    def read(self) -> Optional[Tuple[bytes, str]]:
        try:
            response = self._client().get_object(Bucket=self.bucket, Key=LOCK_KEY)
        except botocore.exceptions.ClientError as err:
            if is_missing(err):
                return None
            raise
        return response["Body"].read(), str(response["ETag"])

    def replace(self, data: bytes, version: str) -> Optional[str]:
        try:
            response = self._client().put_object(Bucket=self.bucket, Key=LOCK_KEY, Body=data, IfMatch=version)
        except botocore.exceptions.ClientError as err:
            if _conflict(err) or is_missing(err):
                return None
            raise
        return str(response["ETag"])

    def delete(self, version: str) -> None:
        # S3's conditional DELETE is not available everywhere: read, compare, delete. The window
        # is one request long, and only a leader that took over a lock judged stale can fall in it.
        current = self.read()
        if current is not None and current[1] == version:
            self._client().delete_object(Bucket=self.bucket, Key=LOCK_KEY)
