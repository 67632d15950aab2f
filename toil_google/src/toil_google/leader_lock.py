"""The leader lock of the ``google:`` job store: a lease object written with generation preconditions.

See :mod:`toil_core.jobstores.lease_lock` for the protocol. Cloud Storage gives its conditions
through generations: ``ifGenerationMatch=0`` creates the object only if there is none, and
``ifGenerationMatch=<generation>`` replaces (or deletes) it only if it is still the version read;
both answer 412 otherwise. Each operation also looks first (one metadata request) and stops if the
object is not as expected: servers that accept but do not enforce preconditions (the
gcp-storage-emulator of the tests) get the protocol's checks, with a window of one request
between the look and the write, which real Cloud Storage closes. The lock object is clear (a pid and a host) and sent without the
customer-supplied key, so a leader with a wrong key is told about the holder, not about the key.
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

from toil_core.plugin_api import LeaseBackend

from toil_google.client import retry_policy

__all__ = ["LOCK_NAME", "GCSLease"]

#: The lock object's name in the bucket.
LOCK_NAME = "_toil/leader-lock"


def _precondition_failed(err: BaseException) -> bool:
    from google.api_core import exceptions as gexc

    return isinstance(err, (gexc.PreconditionFailed, gexc.NotFound)) or getattr(err, "code", None) in (404, 412)


class GCSLease(LeaseBackend):
    """The lock object ``_toil/leader-lock`` of one bucket."""

    def __init__(self, client: Any, bucket_name: str) -> None:
        self._bucket = client.bucket(bucket_name)
        self.where = f"gs://{bucket_name}/{LOCK_NAME}"

    def _upload(self, data: bytes, generation: int) -> Optional[str]:
        blob = self._bucket.blob(LOCK_NAME)
        try:
            blob.upload_from_string(data, content_type="application/json", if_generation_match=generation,
                                    retry=retry_policy())
        except Exception as err:
            if _precondition_failed(err):
                return None
            raise
        return str(blob.generation)

    def _generation(self) -> Optional[str]:
        blob = self._bucket.get_blob(LOCK_NAME, retry=retry_policy())
        return None if blob is None else str(blob.generation)

    def create(self, data: bytes) -> Optional[str]:
        if self._generation() is not None:
            return None
        return self._upload(data, 0)

    def read(self) -> Optional[Tuple[bytes, str]]:
        for _ in range(3):  # replaced between the metadata and the download: look again
            blob = self._bucket.get_blob(LOCK_NAME, retry=retry_policy())
            if blob is None:
                return None
            generation = blob.generation  # (a download resets the handle's properties)
            try:
                data = blob.download_as_bytes(if_generation_match=generation, retry=retry_policy())
            except Exception as err:
                if _precondition_failed(err):
                    continue
                raise
            return data, str(generation)
        return None

    def replace(self, data: bytes, version: str) -> Optional[str]:
        if self._generation() != version:
            return None
        return self._upload(data, int(version))

    def delete(self, version: str) -> None:
        if self._generation() != version:
            return
        try:
            self._bucket.blob(LOCK_NAME).delete(if_generation_match=int(version), retry=retry_policy())
        except Exception as err:
            if not _precondition_failed(err):
                raise
