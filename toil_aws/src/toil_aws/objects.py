"""The one place where toil-aws reads and writes object bytes in S3.

:class:`ObjectStore` wraps one bucket: whole-object puts and gets, streaming readers and writers
(multipart above the part size), heads, listings, deletes and server-side copies. Everything the
job store stores goes through it, so per-object transformations live here: today SSE-C (the
customer key rides on every request that reads or writes content) and client-side encryption
(``--clientSideEncryption``: with a :class:`~toil_core.plugin_api.ObjectSealer` every object but
the ``plain`` ones, i.e. the store's marker, is sealed under its own name before it leaves, and
unsealed and authenticated as it is read; sizes reported are the plaintext's).

Atomicity: S3 makes an object visible only when its PUT (or the completion of its multipart
upload) succeeds, and then whole. A writer that fails or is abandoned aborts its multipart
upload (a killed process leaves an incomplete upload, which is invisible to readers and removed
by :meth:`abort_uploads`). Readers survive a dropped connection: they ask again from the byte
they reached, for the same version of the object (``If-Match`` its ETag), a bounded number of
times.
"""
from __future__ import annotations

import copy
import io
import logging
from contextlib import contextmanager
from typing import IO, Any, Callable, Dict, Iterator, List, Optional, Tuple

import botocore.exceptions
from toil_core.plugin_api import ObjectSealer, ToilError

from toil_aws.session import error_code, is_missing

__all__ = ["Head", "ObjectMissing", "ObjectReader", "ObjectStore", "ObjectWriter", "SSE_ERRORS"]

logger = logging.getLogger(__name__)

#: Errors of a response body whose connection broke mid-read.
_STREAM_ERRORS: Tuple[type, ...] = (
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.IncompleteReadError,
    botocore.exceptions.ConnectionError,
    botocore.exceptions.ResponseStreamingError,
    ConnectionError,
    OSError,
)
#: Error codes S3 answers when the SSE-C key is missing or wrong.
SSE_ERRORS = frozenset({"InvalidRequest", "AccessDenied", "400", "403", "InvalidArgument"})
#: How many times a reader re-asks after a dropped connection.
READ_RESUMES = 5
#: Metadata key of the executable bit.
EXECUTABLE = "toil-executable"


class ObjectMissing(ToilError, KeyError):
    """The object (or its bucket) does not exist."""


class Head:
    """What a HEAD (or GET) tells about an object."""

    __slots__ = ("size", "executable", "etag", "metadata")

    def __init__(self, response: Dict[str, Any], sealer: Optional[ObjectSealer] = None) -> None:
        size = int(response.get("ContentLength", 0))
        self.size = sealer.plain_size(size) if sealer is not None else size
        self.metadata = dict(response.get("Metadata") or {})
        self.executable = self.metadata.get(EXECUTABLE) == "1"
        self.etag = response.get("ETag")


def sealed_name(key: str) -> str:
    """The name an object is sealed under: its key, except that a log blob keeps one name
    whether it is unread (``logs/new/``) or read (``logs/read/``)."""
    if key.startswith(("logs/new/", "logs/read/")):
        return "logs/" + key.rsplit("/", 1)[1]
    return key


class ObjectStore:
    """Objects in one bucket, read and written with the same SSE-C key (or none).

    :param client: returns the boto3 S3 client to use (per thread; see :mod:`toil_aws.session`).
    :param sse_key: the 32-byte SSE-C key, or None.
    :param part_size: multipart part size; objects up to this size are one PUT.
    :param sealer: client-side encryption of every object but the ``plain`` ones, or None.
    """

    def __init__(self, client: Callable[[], Any], bucket: str, sse_key: Optional[bytes] = None,
                 part_size: int = 50 * 1024 * 1024, sealer: Optional[ObjectSealer] = None) -> None:
        self._client = client
        self.bucket = bucket
        self.part_size = part_size
        self.sealer = sealer
        self._sse: Dict[str, Any] = (
            {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": sse_key} if sse_key else {})

    @property
    def client(self) -> Any:
        return self._client()

    def bound_to(self, client: Any) -> "ObjectStore":
        """This store (same bucket, key and settings) using ``client`` from every thread: boto3
        clients are thread-safe, and one client shared by a pool of threads spares each thread
        building its own (see :meth:`AWSJobStore.batch`)."""
        bound = copy.copy(self)
        bound._client = lambda: client
        return bound

    def sse_args(self) -> Dict[str, Any]:
        """The request arguments that carry the SSE-C key (empty without a key)."""
        return dict(self._sse)

    def without_sse(self) -> "ObjectStore":
        """The same bucket without the SSE-C key (client-side sealing kept)."""
        return ObjectStore(self._client, self.bucket, None, self.part_size, self.sealer)

    def _sealer_for(self, plain: bool) -> Optional[ObjectSealer]:
        return None if plain else self.sealer

    # ------------------------------------------------------------------ whole objects
    def put(self, key: str, data: bytes, executable: bool = False,
            metadata: Optional[Dict[str, str]] = None, plain: bool = False,
            sse: Optional[Dict[str, Any]] = None, if_match: Optional[str] = None) -> Optional[str]:
        """Store ``data`` as ``key`` in one request (atomically replacing what was there); returns
        the new object's ETag. ``plain`` objects are stored without the SSE-C key and unsealed
        (the store's marker); ``sse`` overrides the SSE-C arguments (a writer's bytes, sealed
        already). With ``if_match`` S3 stores it only if the object still has that ETag (a
        conditional write: ``ObjectMissing`` if it is gone, ``PreconditionFailed`` if it changed)."""
        if self.sealer is not None and not plain:
            data = self.sealer.seal(sealed_name(key), data)
        meta = dict(metadata or {})
        if executable:
            meta[EXECUTABLE] = "1"
        extra: Dict[str, Any] = dict(sse if sse is not None else ({} if plain else self._sse))
        if if_match is not None:
            extra["IfMatch"] = if_match
        try:
            response = self.client.put_object(Bucket=self.bucket, Key=key, Body=data, Metadata=meta, **extra)
        except botocore.exceptions.ClientError as err:
            if if_match is not None and is_missing(err):
                raise ObjectMissing(key) from None
            raise
        return response.get("ETag")

    def get(self, key: str, plain: bool = False) -> Tuple[bytes, Head]:
        """The content of ``key`` and its head. :raises ObjectMissing:"""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key, **({} if plain else self._sse))
        except botocore.exceptions.ClientError as err:
            if is_missing(err):
                raise ObjectMissing(key) from None
            raise
        sealer = self._sealer_for(plain)
        head = Head(response, sealer)
        body = response["Body"]
        try:
            data = body.read()
        except _STREAM_ERRORS:
            body.close()
            with ObjectReader(self, key) as reader:  # resumes where a broken connection stopped
                data = reader.read()
        if sealer is not None:
            data = sealer.unseal(sealed_name(key), data)
        return data, head

    def head(self, key: str, plain: bool = False) -> Optional[Head]:
        """The object's head, or None if it does not exist."""
        try:
            return Head(self.client.head_object(Bucket=self.bucket, Key=key, **({} if plain else self._sse)),
                        self._sealer_for(plain))
        except botocore.exceptions.ClientError as err:
            if is_missing(err):
                return None
            raise

    # ------------------------------------------------------------------ streams
    def open_read(self, key: str) -> "ObjectReader":
        """A binary reader of ``key`` (of its plaintext, when sealed). :raises ObjectMissing:"""
        reader = ObjectReader(self, key)
        if self.sealer is None:
            return reader
        try:
            plain = self.sealer.reader(sealed_name(key), reader)  # type: ignore[arg-type]
        except BaseException:
            reader.close()
            raise
        plain.head = Head({"ContentLength": reader.head.size, "Metadata": reader.head.metadata,  # the plaintext's
                           "ETag": reader.head.etag}, self.sealer)
        return plain  # type: ignore[return-value]

    def open_write(self, key: str, executable: bool = False,
                   check: Optional[Callable[[], None]] = None) -> "ObjectWriter":
        """A binary writer whose content becomes ``key`` when it is committed (closed without
        error); ``check`` runs right before the object is published and may raise to cancel it."""
        writer = ObjectWriter(self, key, executable, check)
        if self.sealer is None:
            return writer
        return SealedWriter(writer, self.sealer, key)  # type: ignore[return-value]

    # ------------------------------------------------------------------ listing, deleting
    def list(self, prefix: str, delimiter: Optional[str] = None) -> Iterator[Tuple[str, bool]]:
        """``(key, is_prefix)`` under ``prefix``: objects, and with ``delimiter`` the
        sub-prefixes ("directories"), which come with ``is_prefix`` True."""
        paginator = self.client.get_paginator("list_objects_v2")
        args: Dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if delimiter:
            args["Delimiter"] = delimiter
        for page in paginator.paginate(**args):
            for sub in page.get("CommonPrefixes") or ():
                yield sub["Prefix"], True
            for obj in page.get("Contents") or ():
                yield obj["Key"], False

    def delete(self, key: str) -> None:
        """Delete ``key`` (nothing happens if it does not exist)."""
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def delete_many(self, keys: List[str]) -> None:
        """Delete these keys, 1000 to a request."""
        for start in range(0, len(keys), 1000):
            chunk = keys[start:start + 1000]
            if len(chunk) == 1:
                self.delete(chunk[0])
                continue
            response = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True})
            failed = [e for e in response.get("Errors") or () if e.get("Code") != "NoSuchKey"]
            if failed:
                raise RuntimeError(f"Could not delete {len(failed)} objects from bucket '{self.bucket}', "
                                   f"e.g. '{failed[0].get('Key')}': {failed[0].get('Message')}")

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix``; returns how many there were."""
        keys = [key for key, _ in self.list(prefix)]
        self.delete_many(keys)
        return len(keys)

    def abort_uploads(self, prefix: str = "") -> int:
        """Abort the incomplete multipart uploads under ``prefix`` (left by killed writers)."""
        count = 0
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for upload in page.get("Uploads") or ():
                try:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"],
                                                       UploadId=upload["UploadId"])
                    count += 1
                except botocore.exceptions.ClientError as err:
                    if not is_missing(err):
                        raise
        return count

    # ------------------------------------------------------------------ copies
    def copy_in(self, source_client: Any, source_bucket: str, source_key: str, key: str,
                executable: bool = False, source_sse: Optional[Dict[str, Any]] = None) -> None:
        """Copy an object into ``key`` server-side (multipart copies above the part size)."""
        import boto3.s3.transfer

        extra: Dict[str, Any] = {"MetadataDirective": "REPLACE",
                                 "Metadata": {EXECUTABLE: "1"} if executable else {}}
        extra.update(self._sse)
        for name, value in (source_sse or {}).items():
            extra["CopySource" + name] = value
        config = boto3.s3.transfer.TransferConfig(multipart_threshold=max(self.part_size, 5 * 2**20),
                                                  multipart_chunksize=max(self.part_size, 5 * 2**20),
                                                  use_threads=False)
        self.client.copy({"Bucket": source_bucket, "Key": source_key}, self.bucket, key, ExtraArgs=extra,
                         SourceClient=source_client, Config=config)


class ObjectReader(io.RawIOBase):
    """A streaming reader of one object that survives dropped connections (see the module)."""

    def __init__(self, store: ObjectStore, key: str) -> None:
        super().__init__()
        self._store = store
        self._key = key
        self._pos = 0
        self._resumes = 0
        response = self._get()
        self.head = Head(response)  # of the stored bytes
        self._body = response["Body"]

    def _get(self, start: int = 0, etag: Optional[str] = None) -> Dict[str, Any]:
        args: Dict[str, Any] = {"Bucket": self._store.bucket, "Key": self._key}
        if start:
            args["Range"] = f"bytes={start}-"
        if etag:
            args["IfMatch"] = etag
        try:
            return self._store.client.get_object(**args, **self._store._sse)
        except botocore.exceptions.ClientError as err:
            if is_missing(err):
                raise ObjectMissing(self._key) from None
            if error_code(err) == "PreconditionFailed":
                raise OSError(f"S3 object '{self._key}' in bucket '{self._store.bucket}' was replaced while "
                              "it was being read") from err
            raise

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.head.size == self._pos:
            return 0
        while True:
            try:
                data = self._body.read(len(buffer))
                break
            except _STREAM_ERRORS as err:
                self._resumes += 1
                if self._resumes > READ_RESUMES:
                    raise
                logger.warning("Connection lost reading s3://%s/%s at byte %d (%s); resuming",
                               self._store.bucket, self._key, self._pos, err)
                self._body.close()
                self._body = self._get(self._pos, self.head.etag)["Body"]
        count = len(data)
        buffer[:count] = data
        self._pos += count
        return count

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class ObjectWriter(io.RawIOBase):
    """A writer that publishes its content as one object on :meth:`commit` (see the module).

    Holds at most one part in memory: content up to the part size is one PUT; beyond that the
    parts are uploaded as they fill, and the upload is completed (or aborted) at the end.
    """

    def __init__(self, store: ObjectStore, key: str, executable: bool,
                 check: Optional[Callable[[], None]]) -> None:
        super().__init__()
        self._store = store
        self._key = key
        self._executable = executable
        self._check = check
        self._buffer = bytearray()
        self._upload_id: Optional[str] = None
        self._parts: List[Dict[str, Any]] = []
        self.size = 0
        self.committed = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.closed:
            raise ValueError("write to a closed S3 object writer")
        view = memoryview(data).cast("B")
        self._buffer += view
        self.size += len(view)
        while len(self._buffer) >= self._store.part_size + 1:  # keep >0 bytes for the last part
            self._upload_part(bytes(self._buffer[:self._store.part_size]))
            del self._buffer[:self._store.part_size]
        return len(view)

    def _upload_part(self, data: bytes) -> None:
        client = self._store.client
        if self._upload_id is None:
            meta = {"toil-executable": "1"} if self._executable else {}
            self._upload_id = client.create_multipart_upload(
                Bucket=self._store.bucket, Key=self._key, Metadata=meta, **self._store._sse)["UploadId"]
        number = len(self._parts) + 1
        response = client.upload_part(Bucket=self._store.bucket, Key=self._key, UploadId=self._upload_id,
                                      PartNumber=number, Body=data, **self._store._sse)
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})

    def commit(self) -> None:
        """Publish the object (idempotent); on error, abort."""
        if self.committed:
            return
        try:
            if self._check is not None:
                self._check()
            if self._upload_id is None:
                self._store.put(self._key, bytes(self._buffer), self._executable, plain=True,
                                sse=self._store._sse)
            else:
                if self._buffer:
                    self._upload_part(bytes(self._buffer))
                self._store.client.complete_multipart_upload(
                    Bucket=self._store.bucket, Key=self._key, UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts}, **self._store._sse)
            self.committed = True
        except BaseException:
            self.abort()
            raise
        finally:
            self._buffer = bytearray()
            super().close()

    def abort(self) -> None:
        """Give up: nothing is published; an upload in progress is aborted."""
        upload, self._upload_id = self._upload_id, None
        self._buffer = bytearray()
        if upload is not None:
            try:
                self._store.client.abort_multipart_upload(Bucket=self._store.bucket, Key=self._key,
                                                          UploadId=upload)
            except Exception as err:  # a leftover upload is invisible, and --restart removes it
                logger.warning("Could not abort the upload of s3://%s/%s: %s", self._store.bucket,
                               self._key, err)
        super().close()

    def close(self) -> None:
        """Closing without :meth:`commit` publishes nothing."""
        if not self.closed and not self.committed:
            self.abort()
        super().close()


class SealedWriter(io.RawIOBase):
    """Seals what is written into an :class:`ObjectWriter`; :meth:`commit` seals the last
    segment and publishes the object, :meth:`abort` publishes nothing."""

    def __init__(self, raw: ObjectWriter, sealer: ObjectSealer, key: str) -> None:
        super().__init__()
        self._raw = raw
        self._sealing = sealer.writer(sealed_name(key), raw)  # type: ignore[arg-type]
        self.size = 0

    @property
    def committed(self) -> bool:
        return self._raw.committed

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.closed:
            raise ValueError("write to a closed S3 object writer")
        count = self._sealing.write(data)
        self.size += count
        return count

    def commit(self) -> None:
        if self._raw.committed:
            return
        try:
            self._sealing.finish()
        except BaseException:
            self.abort()
            raise
        try:
            self._raw.commit()
        finally:
            super().close()

    def abort(self) -> None:
        if not self._sealing.closed:
            self._sealing.abandon()
        self._raw.abort()
        super().close()

    def close(self) -> None:
        if not self.closed and not self._raw.committed:
            self.abort()
        super().close()


@contextmanager
def writer_context(writer: ObjectWriter, encoding: Optional[str], errors: Optional[str]) -> Iterator[IO[Any]]:
    """Yield ``writer`` (wrapped as text when asked); commit it when the block exits cleanly."""
    handle: IO[Any] = io.BufferedWriter(writer, buffer_size=1 << 20)  # type: ignore[arg-type]
    if encoding is not None or errors is not None:
        handle = io.TextIOWrapper(handle, encoding=encoding, errors=errors)
    try:
        yield handle
        handle.flush()
    except BaseException:
        writer.abort()
        raise
    writer.commit()


def reader_handle(reader: ObjectReader, encoding: Optional[str], errors: Optional[str]) -> IO[Any]:
    handle: IO[Any] = io.BufferedReader(reader, buffer_size=1 << 20)
    if encoding is not None or errors is not None:
        handle = io.TextIOWrapper(handle, encoding=encoding, errors=errors)
    return handle
