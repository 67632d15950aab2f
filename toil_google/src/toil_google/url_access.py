"""``gs://bucket/key`` URLs for ``importFile`` / ``exportFile`` (Google Cloud Storage).

Reads work anonymously on public buckets when no credentials are found; writes need
credentials (or ``STORAGE_EMULATOR_HOST``). A file's executable bit travels in the object's
custom metadata (``executable: 1``). Copies between a ``google:`` job store and ``gs://`` URLs
are done server-side by the job store (no bytes pass through this machine).
"""
from __future__ import annotations

import errno
import io
import urllib.parse
from typing import IO, List, Optional, Tuple

from toil_core.plugin_api import AbstractURLAccess

from toil_google.client import get_client
from toil_google.objects import READ_SIZE, ObjectIO, ObjectMissing

__all__ = ["GoogleURLAccess", "split_gs_url"]


def split_gs_url(url: str) -> Tuple[str, str]:
    """``(bucket, key)`` of ``gs://bucket/key`` (the key may be empty or end in ``/``)."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme.lower() != "gs" or not parsed.netloc:
        raise ValueError(f"Not a gs://bucket/key URL: '{url}'")
    return parsed.netloc, urllib.parse.unquote(parsed.path.lstrip("/"))


def _missing(url: str) -> FileNotFoundError:
    return FileNotFoundError(errno.ENOENT, f"No such object: '{url}'. Check the bucket and key, and that "
                                           f"your Google credentials can read it")


class GoogleURLAccess(AbstractURLAccess):
    """Import from and export to ``gs://`` URLs."""

    schemes = ("gs",)

    @classmethod
    def _objects(cls, bucket: str, write: bool = False) -> ObjectIO:
        return ObjectIO(get_client(allow_anonymous=not write), bucket, None)

    @classmethod
    def supports_url(cls, url: str, export: bool) -> bool:
        try:
            split_gs_url(url)
        except ValueError:
            return False
        return True

    @classmethod
    def get_size(cls, url: str) -> Optional[int]:
        bucket, key = split_gs_url(url)
        info = cls._objects(bucket).stat(key) if key else None
        if info is None:
            raise _missing(url)
        return info.size

    @classmethod
    def get_is_directory(cls, url: str) -> bool:
        bucket, key = split_gs_url(url)
        objects = cls._objects(bucket)
        if key and not key.endswith("/") and objects.stat(key) is not None:
            return False
        prefix = key if (not key or key.endswith("/")) else key + "/"
        if any(True for _ in objects.client.list_blobs(bucket, prefix=prefix, max_results=1)):
            return True
        raise _missing(url)

    @classmethod
    def list_url(cls, url: str) -> List[str]:
        bucket, key = split_gs_url(url)
        prefix = key if (not key or key.endswith("/")) else key + "/"
        objects = cls._objects(bucket)
        iterator = objects.client.list_blobs(bucket, prefix=prefix, delimiter="/")
        names: List[str] = []
        for page in iterator.pages:
            names.extend(urllib.parse.quote(blob.name[len(prefix):]) for blob in page
                         if blob.name != prefix)
            names.extend(urllib.parse.quote(p[len(prefix):].rstrip("/")) + "/" for p in page.prefixes)
        if not names and not cls.get_is_directory(url):
            raise NotADirectoryError(errno.ENOTDIR, f"Not a directory: '{url}'")
        return sorted(set(names))

    @classmethod
    def open_url(cls, url: str) -> IO[bytes]:
        bucket, key = split_gs_url(url)
        if not key or key.endswith("/"):
            raise IsADirectoryError(errno.EISDIR, f"Is a directory, not an object: '{url}'")
        try:
            raw = cls._objects(bucket).reader(key, encrypted=False)
        except ObjectMissing:
            raise _missing(url) from None
        return io.BufferedReader(raw, buffer_size=READ_SIZE)

    @classmethod
    def read_from_url(cls, url: str, writable: IO[bytes]) -> Tuple[int, bool]:
        handle = cls.open_url(url)
        try:
            size = 0
            while True:
                chunk = handle.read(READ_SIZE)
                if not chunk:
                    break
                writable.write(chunk)
                size += len(chunk)
            executable = getattr(handle.raw, "metadata", {}).get("executable") == "1"
        finally:
            handle.close()
        return size, bool(executable)

    @classmethod
    def write_to_url(cls, readable: IO[bytes], url: str, executable: bool = False) -> None:
        bucket, key = split_gs_url(url)
        if not key or key.endswith("/"):
            raise IsADirectoryError(errno.EISDIR, f"Cannot write over a directory: '{url}'")
        metadata = {"executable": "1"} if executable else None
        with cls._objects(bucket, write=True).writer(key, metadata, encrypted=False) as out:
            while True:
                chunk = readable.read(READ_SIZE)
                if not chunk:
                    break
                out.write(chunk)
