"""``s3://bucket/key`` URL access: import, export, size, listing of prefixes.

The bucket's region is discovered (``GetBucketLocation``, then the ``x-amz-bucket-region`` header
of a HEAD for buckets whose location we may not read) and remembered per process. Without AWS
credentials requests go unsigned, which reads public buckets. A custom endpoint
(``AWS_ENDPOINT_URL`` / ``TOIL_S3_HOST``) applies here as to the job store. Downloads resume after
dropped connections and uploads are multipart above the part size (:mod:`toil_aws.objects`).
"""
from __future__ import annotations

import threading
import urllib.parse
from typing import IO, Any, Dict, List, Optional, Tuple

import botocore.exceptions
from toil_core.plugin_api import AbstractURLAccess

from toil_aws import session
from toil_aws.objects import Head, ObjectMissing, ObjectStore
from toil_aws.session import is_missing
from toil_aws.settings import DEFAULT_PART_SIZE

__all__ = ["S3URLAccess"]

_regions: Dict[str, str] = {}
_lock = threading.Lock()


def _not_found(url: str) -> FileNotFoundError:
    return FileNotFoundError(f"No such S3 object: '{url}'. Check the bucket and key (and that your credentials "
                             "may read it).")


class S3URLAccess(AbstractURLAccess):
    """``s3://`` URLs: import and export."""

    schemes = ("s3",)

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def split(url: str) -> Tuple[str, str]:
        """``(bucket, key)`` of an ``s3://`` URL (the key is URL-decoded)."""
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme.lower() != "s3" or not parsed.netloc:
            raise ValueError(f"Not an s3://bucket/key URL: '{url}'")
        return parsed.netloc, urllib.parse.unquote(parsed.path.lstrip("/"))

    @classmethod
    def region_of(cls, bucket: str) -> str:
        """The bucket's region (cached)."""
        found = _regions.get(bucket)
        if found:
            return found
        anonymous = not session.has_credentials()
        probe = session.client("s3", session.default_region(), anonymous=anonymous)
        region: Optional[str] = None
        if session.custom_endpoint():
            region = session.default_region()
        else:
            try:
                region = probe.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
            except botocore.exceptions.ClientError as err:
                headers = err.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
                region = headers.get("x-amz-bucket-region")
                if region is None:
                    try:
                        probe.head_bucket(Bucket=bucket)
                    except botocore.exceptions.ClientError as err2:
                        headers = err2.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
                        region = headers.get("x-amz-bucket-region")
            region = region or session.default_region()
        with _lock:
            _regions[bucket] = region
        return region

    @classmethod
    def client_for(cls, bucket: str) -> Any:
        return session.client("s3", cls.region_of(bucket), anonymous=not session.has_credentials())

    @classmethod
    def _objects(cls, bucket: str) -> ObjectStore:
        return ObjectStore(lambda: cls.client_for(bucket), bucket, None, DEFAULT_PART_SIZE)

    @classmethod
    def head(cls, url: str) -> Head:
        bucket, key = cls.split(url)
        head = cls._objects(bucket).head(key) if key else None
        if head is None:
            raise _not_found(url)
        return head

    # ------------------------------------------------------------------ the interface
    @classmethod
    def supports_url(cls, url: str, export: bool) -> bool:
        return urllib.parse.urlparse(url).scheme.lower() == "s3"

    @classmethod
    def get_size(cls, url: str) -> Optional[int]:
        return cls.head(url).size

    @classmethod
    def get_is_directory(cls, url: str) -> bool:
        bucket, key = cls.split(url)
        if not key or key.endswith("/"):
            return True
        if cls._objects(bucket).head(key) is not None:
            return False
        return any(True for _ in cls._objects(bucket).list(key + "/"))

    @classmethod
    def list_url(cls, url: str) -> List[str]:
        bucket, key = cls.split(url)
        prefix = key if not key or key.endswith("/") else key + "/"
        names = []
        for entry, is_prefix in cls._objects(bucket).list(prefix, delimiter="/"):
            name = entry[len(prefix):]
            if name:
                names.append(urllib.parse.quote(name.rstrip("/")) + ("/" if is_prefix else ""))
        return sorted(names)

    @classmethod
    def open_url(cls, url: str) -> IO[bytes]:
        import io

        bucket, key = cls.split(url)
        try:
            return io.BufferedReader(cls._objects(bucket).open_read(key), buffer_size=1 << 20)
        except ObjectMissing:
            raise _not_found(url) from None

    @classmethod
    def read_from_url(cls, url: str, writable: IO[bytes]) -> Tuple[int, bool]:
        bucket, key = cls.split(url)
        try:
            reader = cls._objects(bucket).open_read(key)
        except ObjectMissing:
            raise _not_found(url) from None
        size = 0
        with reader:
            while True:
                chunk = reader.read(1 << 20)
                if not chunk:
                    break
                writable.write(chunk)
                size += len(chunk)
        return size, reader.head.executable

    @classmethod
    def write_to_url(cls, readable: IO[bytes], url: str, executable: bool = False) -> None:
        bucket, key = cls.split(url)
        if not key or key.endswith("/"):
            raise ValueError(f"Cannot export to '{url}': the URL names a bucket or prefix, not an object.")
        writer = cls._objects(bucket).open_write(key, executable)
        try:
            while True:
                chunk = readable.read(1 << 20)
                if not chunk:
                    break
                writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        try:
            writer.commit()
        except botocore.exceptions.ClientError as err:
            if is_missing(err):
                raise FileNotFoundError(f"Cannot export to '{url}': the bucket '{bucket}' does not exist.") from None
            raise
