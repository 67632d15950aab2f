"""The shared files, the stats/logging blobs and ``toil debug-file`` access of the ``aws:`` store.

A mixin of :class:`~toil_aws.job_store.AWSJobStore`.
"""
from __future__ import annotations

import io
import os
import re
import time
from contextlib import contextmanager
from typing import IO, Any, Callable, Iterator, Optional, Union

import botocore.exceptions
from toil_core.plugin_api import NoSuchFileException

from toil_aws.layout import CONFIG_FILE, COPY_CHUNK, MARKER
from toil_aws.leader_lock import LOCK_KEY as S3_LOCK_KEY
from toil_aws.objects import ObjectMissing, reader_handle, writer_context
from toil_aws.session import error_code

#: The token part of a stored file's key (``.../<token>/<name>``).
_TOKEN = re.compile(r"[0-9a-f]{20}")


class SharedFilesAndLogs:
    """Shared files (``shared/``, ``plain/``), log blobs (``logs/``), every object for debug-file."""

    _objects: Any
    _log_polling: Any
    _sealer: Any

    def _shared_key(self, name: str, encrypted: bool) -> str:
        if self._sealer is not None:
            name = self._sealer.shared_name(name)
        return ("shared/" if encrypted else "plain/") + name

    @contextmanager
    def write_shared_file_stream(self, shared_file_name: str, encrypted: Optional[bool] = None,
                                 encoding: Optional[str] = None,
                                 errors: Optional[str] = None) -> Iterator[IO[Any]]:
        self._check_shared_name(shared_file_name)
        secret = encrypted is not False
        objects = self._objects if secret else self._objects.without_sse()
        writer = objects.open_write(self._shared_key(shared_file_name, secret))
        with writer_context(writer, encoding, errors) as handle:
            yield handle

    @contextmanager
    def read_shared_file_stream(self, shared_file_name: str, encoding: Optional[str] = None,
                                errors: Optional[str] = None) -> Iterator[IO[Any]]:
        self._check_shared_name(shared_file_name)
        # The config is always plain (workers read it before they know the key); other shared
        # files are encrypted unless written with encrypted=False.
        order = (False, True) if shared_file_name == CONFIG_FILE else (True, False)
        reader = None
        for secret in order:
            objects = self._objects if secret else self._objects.without_sse()
            try:
                reader = objects.open_read(self._shared_key(shared_file_name, secret))
                break
            except ObjectMissing:
                continue
            except botocore.exceptions.ClientError as err:
                if error_code(err) == "NoSuchBucket":
                    break
                raise
        if reader is None:
            raise NoSuchFileException(shared_file_name)
        handle = reader_handle(reader, encoding, errors)
        with handle:
            yield handle

    # ---------------------------------------------------------------------- toil debug-file
    def original_file_name(self, file_id: str) -> Optional[str]:
        """The name a file of a sealed store was written under, from its ID or object key (a
        shared file's from its key); None in a clear store, whose keys show it."""
        if self._sealer is None:
            return None
        parts = str(file_id).split("/")
        if len(parts) >= 2 and _TOKEN.fullmatch(parts[-2]):
            return self._sealer.open_file_name(parts[-1], parts[-2])
        if len(parts) == 2 and parts[0] in ("shared", "plain"):
            return self._sealer.open_shared_name(parts[1])
        return None

    def list_stored_objects(self) -> Iterator[str]:
        """The key of every object of the store (for ``toil debug-file``)."""
        for key, _ in self._objects.list(""):
            yield key

    def fetch_stored_object(self, name: str, local_path: str) -> None:
        """Copy the object ``name`` to ``local_path``: its plaintext, with the keys it was
        stored with (``toil debug-file --fetch``)."""
        if name in (MARKER, S3_LOCK_KEY):
            try:
                data, _ = self._objects.get(name, plain=True)
            except ObjectMissing:
                raise NoSuchFileException(name) from None
            with open(local_path, "wb") as out:
                out.write(data)
            return
        objects = self._objects.without_sse() if name.startswith("plain/") else self._objects
        try:
            reader = objects.open_read(name)
        except ObjectMissing:
            raise NoSuchFileException(name) from None
        with reader, open(local_path, "wb") as out:
            while True:
                chunk = reader.read(COPY_CHUNK)
                if not chunk:
                    break
                out.write(chunk)

    # ---------------------------------------------------------------------- logs
    def write_logs(self, msg: Union[bytes, str]) -> None:
        data = msg.encode("utf-8") if isinstance(msg, str) else bytes(msg)
        self._objects.put(f"logs/new/{time.time_ns():020d}-{os.urandom(6).hex()}", data)

    def read_logs(self, callback: Callable[[IO[bytes]], Any], read_all: bool = False) -> int:
        """Pass each unread blob (oldest first) to ``callback``, then mark it read (a copy under
        ``logs/read/``, then the delete of the unread one). With ``read_all``, blobs read before
        come first. A blob whose callback raised stays unread."""
        count = 0
        if read_all:
            for key, _ in list(self._objects.list("logs/read/")):
                try:
                    data, _ = self._objects.get(key)
                except ObjectMissing:
                    continue
                callback(io.BytesIO(data))
                count += 1
        new = list(self._objects.list("logs/new/"))
        self._log_polling.looked(bool(new))
        for key, _ in new:
            try:
                data, _ = self._objects.get(key)
            except ObjectMissing:
                continue  # consumed by another reader
            callback(io.BytesIO(data))
            self._objects.put("logs/read/" + key[len("logs/new/"):], data)
            self._objects.delete(key)
            count += 1
        return count
