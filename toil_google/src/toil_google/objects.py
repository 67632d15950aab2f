"""Object I/O of the google job store: the one place that reads and writes object bytes.

:class:`ObjectIO` wraps one bucket. Everything the job store stores goes through it, so that
client-side encryption (the encryption issue) can be added here alone, by transforming the byte
streams in :meth:`ObjectIO.writer` / :meth:`ObjectIO.reader` and the whole-object helpers,
without touching the job store's logic.

Guarantees:

* **Atomic writes.** An object appears whole or not at all: small writes are one multipart
  upload; a stream that grows past :data:`RESUMABLE_THRESHOLD` becomes a resumable upload whose
  object exists only once it is finalized on a clean exit. A writer that fails (or a process
  killed mid-write) leaves the old object untouched; an abandoned resumable session is cancelled
  where possible and otherwise expires on the server, never becoming an object.
* **Streaming.** Writers hold at most one chunk (:data:`CHUNK_SIZE`) in memory; readers stream
  one GET, and resume with a ``Range`` request after a dropped connection.
* **Checksums.** Uploads send a CRC32C that the server checks; a reader computes the CRC32C of
  what it received and compares it, at the end, with the one the server reported
  (``x-goog-hash``), so a damaged or short transfer fails (:class:`ChecksumError`) instead of
  returning wrong bytes.
* **Customer-supplied keys.** With ``key`` set (``--sseKey``), every object except those
  written with ``encrypted=False`` is sent with the ``x-goog-encryption-*`` headers (AES256).
* **Client-side encryption.** With a :class:`~toil_core.plugin_api.ObjectSealer`
  (``--clientSideEncryption``), every object is sealed under its own name before it leaves and
  authenticated as it is read (the store's marker goes through an ObjectIO without one); sizes
  reported are the plaintext's. A server-side copy keeps an object's seal, so it is only used
  between names that seal alike (log blobs, see :func:`sealed_name`).
* **Retries.** Every call uses :func:`toil_google.client.retry_policy`.
"""
from __future__ import annotations

import base64
import hashlib
import io
import logging
import urllib.parse
from contextlib import contextmanager
from typing import IO, Any, Dict, Iterator, List, Optional, Tuple

import attrs
from toil_core.plugin_api import ObjectSealer, ToilError

from toil_google.client import retry_policy
from toil_google.errors import GoogleStoreError

__all__ = ["CHUNK_SIZE", "RESUMABLE_THRESHOLD", "ChecksumError", "ObjectIO", "ObjectInfo", "ObjectMissing", "key_headers",
           "key_fingerprint"]

logger = logging.getLogger(__name__)

#: A write stream longer than this becomes a resumable upload (Google's own multipart limit).
RESUMABLE_THRESHOLD = 8 * 1024 * 1024
#: Size of one resumable upload chunk (a multiple of 256 KiB) and of the writers' buffer.
CHUNK_SIZE = 8 * 1024 * 1024
#: Reads are streamed in pieces of this size.
READ_SIZE = 1024 * 1024
#: How often a reader reconnects after a dropped connection before giving up.
READ_RESUMES = 5


class ObjectMissing(ToilError, KeyError):
    """The object does not exist (the job store turns this into its own exceptions)."""


class ChecksumError(GoogleStoreError, OSError):
    """The bytes read do not match the checksum the server reported for the object."""

    def __init__(self, message: str) -> None:
        GoogleStoreError.__init__(self, message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def _reported_crc32c(headers: Any) -> Optional[str]:
    """The base64 CRC32C in an ``x-goog-hash: crc32c=...,md5=...`` header, or None."""
    for part in (headers.get("x-goog-hash") or "").split(","):
        name, _, value = part.strip().partition("=")
        if name == "crc32c" and value:
            return value
    return None


@attrs.frozen
class ObjectInfo:
    """What a metadata request tells about one object."""

    name: str
    size: int
    generation: Optional[int]
    metadata: Dict[str, str]


def key_fingerprint(key: bytes) -> str:
    """Base64 SHA-256 of a customer-supplied key, as Cloud Storage records it (``keySha256``)."""
    return base64.b64encode(hashlib.sha256(key).digest()).decode("ascii")


def key_headers(key: bytes) -> Dict[str, str]:
    """The request headers that make Cloud Storage use ``key`` (customer-supplied encryption)."""
    return {
        "x-goog-encryption-algorithm": "AES256",
        "x-goog-encryption-key": base64.b64encode(key).decode("ascii"),
        "x-goog-encryption-key-sha256": key_fingerprint(key),
    }


def _not_found(err: BaseException) -> bool:
    from google.api_core import exceptions as gexc

    return isinstance(err, gexc.NotFound) or getattr(getattr(err, "response", None), "status_code", 0) == 404


def sealed_name(name: str) -> str:
    """The name an object is sealed under: its own, except that a log blob keeps one name
    whether unread (``logs/new/``) or read (``logs/read/``), so moving it is a server-side copy."""
    if name.startswith(("logs/new/", "logs/read/")):
        return "logs/" + name.rsplit("/", 1)[1]
    return name


class ObjectIO:
    """Reads and writes the objects of one bucket (see the module docstring)."""

    def __init__(self, client: Any, bucket_name: str, key: Optional[bytes] = None,
                 sealer: Optional[ObjectSealer] = None) -> None:
        self.client = client
        self.bucket_name = bucket_name
        self.bucket = client.bucket(bucket_name)
        self.key = key
        self.sealer = sealer

    # ---------------------------------------------------------------------- blobs
    def blob(self, name: str, encrypted: bool = True, chunk_size: Optional[int] = None) -> Any:
        """A Blob handle (no request) carrying the key when the object is encrypted."""
        key = self.key if encrypted else None
        return self.bucket.blob(name, encryption_key=key, chunk_size=chunk_size)

    def media_url(self, name: str) -> str:
        """The JSON API download URL of an object (``alt=media``)."""
        base = self.client._connection.API_BASE_URL.rstrip("/")
        return (f"{base}/download/storage/v1/b/{urllib.parse.quote(self.bucket_name, safe='')}/o/"
                f"{urllib.parse.quote(name, safe='')}?alt=media")

    # ---------------------------------------------------------------------- writes
    def put_bytes(self, name: str, data: bytes, metadata: Optional[Dict[str, str]] = None,
                  encrypted: bool = True, if_generation_match: Optional[int] = None,
                  seal: bool = True) -> Optional[int]:
        """Store ``data`` as ``name`` in one request (resumable if it is large); returns the new
        object's generation when the server tells it. ``seal=False`` for bytes sealed already
        (by a writer)."""
        if self.sealer is not None and seal:
            data = self.sealer.seal(sealed_name(name), data)
        blob = self.blob(name, encrypted, CHUNK_SIZE if len(data) > RESUMABLE_THRESHOLD else None)
        if metadata:
            blob.metadata = metadata
        blob.upload_from_file(io.BytesIO(data), size=len(data), rewind=False,
                              content_type="application/octet-stream",
                              if_generation_match=if_generation_match, retry=retry_policy())
        return _generation(blob)

    def put_file(self, name: str, path: str, metadata: Optional[Dict[str, str]] = None,
                 encrypted: bool = True) -> int:
        """Upload the local file at ``path``; returns its size. Resumable above the threshold."""
        import os

        if self.sealer is not None:  # streamed through the sealing writer
            with self.writer(name, metadata, encrypted) as handle, open(path, "rb") as source:
                size = 0
                while True:
                    block = source.read(CHUNK_SIZE)
                    if not block:
                        return size
                    handle.write(block)
                    size += len(block)
        size = os.stat(path).st_size
        blob = self.blob(name, encrypted, CHUNK_SIZE if size > RESUMABLE_THRESHOLD else None)
        if metadata:
            blob.metadata = metadata
        with open(path, "rb") as handle:
            blob.upload_from_file(handle, size=size, content_type="application/octet-stream",
                                  retry=retry_policy())
        return size

    @contextmanager
    def writer(self, name: str, metadata: Optional[Dict[str, str]] = None, encrypted: bool = True,
               encoding: Optional[str] = None, errors: Optional[str] = None,
               before_commit: Any = None) -> Iterator[IO[Any]]:
        """A writable handle whose bytes become object ``name`` when the block exits cleanly.

        ``before_commit`` (a callable) runs after the block and before the object is published,
        e.g. to check that a file still exists. If the block (or it) raises, nothing is stored.
        """
        raw = _UploadStream(self, name, metadata, encrypted)
        sealing = self.sealer.writer(sealed_name(name), raw) if self.sealer is not None else None  # type: ignore[arg-type]
        buffered = io.BufferedWriter(sealing if sealing is not None else raw, buffer_size=256 * 1024)
        handle: IO[Any] = buffered
        if encoding is not None or errors is not None:
            handle = io.TextIOWrapper(buffered, encoding=encoding or "utf-8", errors=errors, write_through=True)
        try:
            yield handle
            handle.flush()
            if sealing is not None:
                sealing.finish()  # the last segment, sealed with the final flag
            if before_commit is not None:
                before_commit()
            raw.commit()
        except BaseException:
            if sealing is not None and not sealing.closed:
                sealing.abandon()
            raw.abort()
            raise
        finally:
            raw.finished = True
            try:
                handle.close()
            except Exception:  # a handle closed by the caller, or a failed flush during abort
                pass

    def copy_from(self, source_bucket: str, source_name: str, name: str,
                  source_key: Optional[bytes] = None, encrypted: bool = True) -> int:
        """Copy an object server-side (``rewrite``, across buckets and keys); returns its size."""
        source = self.client.bucket(source_bucket).blob(source_name, encryption_key=source_key)
        dest = self.blob(name, encrypted)
        token: Optional[str] = None
        while True:
            token, done, total = dest.rewrite(source, token=token, retry=retry_policy())
            if token is None:
                return int(done)

    # ---------------------------------------------------------------------- reads
    def get_bytes(self, name: str, encrypted: bool = True) -> bytes:
        """The whole content of a (small) object. :raises ObjectMissing:"""
        return self.get_bytes_and_generation(name, encrypted)[0]

    def get_bytes_and_generation(self, name: str, encrypted: bool = True) -> Tuple[bytes, Optional[int]]:
        """The whole content of a (small) object and its generation (None if the server did
        not say). :raises ObjectMissing:"""
        blob = self.blob(name, encrypted)
        try:
            data = blob.download_as_bytes(retry=retry_policy(), checksum=None)
        except Exception as err:
            if _not_found(err):
                raise ObjectMissing(name) from None
            raise
        if self.sealer is not None:
            data = self.sealer.unseal(sealed_name(name), data)
        return data, _generation(blob)

    def reader(self, name: str, encrypted: bool = True) -> "_DownloadStream":
        """A readable binary stream of the object (one GET, resumed after a dropped
        connection; the plaintext when sealed). The first request is made here, so a missing
        object raises :class:`ObjectMissing` at once."""
        stream = _DownloadStream(self, name, encrypted)
        stream.connect()
        if self.sealer is None:
            return stream
        try:
            return self.sealer.reader(sealed_name(name), stream)  # type: ignore[arg-type,return-value]
        except BaseException:
            stream.close()
            raise

    def download_to(self, name: str, path: str, encrypted: bool = True) -> Dict[str, str]:
        """Copy the object into the local file ``path`` (created or truncated); returns the
        object's custom metadata."""
        with self.reader(name, encrypted) as source, open(path, "wb") as target:
            while True:
                chunk = source.read(READ_SIZE)
                if not chunk:
                    break
                target.write(chunk)
            return dict(source.metadata)

    def stat(self, name: str) -> Optional[ObjectInfo]:
        """Size, generation and metadata of an object, or None if it does not exist."""
        blob = self.bucket.get_blob(name, retry=retry_policy())
        if blob is None:
            return None
        return ObjectInfo(name, self._size(blob.size), blob.generation, dict(blob.metadata or {}))

    def _size(self, stored: Any) -> int:
        size = int(stored or 0)
        return self.sealer.plain_size(size) if self.sealer is not None else size

    def exists(self, name: str) -> bool:
        return self.stat(name) is not None

    # ---------------------------------------------------------------------- deletes, listings
    def delete(self, name: str) -> bool:
        """Delete an object; False if it did not exist."""
        try:
            self.bucket.blob(name).delete(retry=retry_policy())
            return True
        except Exception as err:
            if _not_found(err):
                return False
            raise

    def delete_many(self, names: List[str]) -> None:
        for name in names:
            self.delete(name)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose name starts with ``prefix`` (one request per 1000 names)."""
        for blob in self.client.list_blobs(self.bucket_name, prefix=prefix, retry=retry_policy()):
            yield ObjectInfo(blob.name, self._size(blob.size), blob.generation, dict(blob.metadata or {}))

    def list_prefixes(self, prefix: str) -> List[str]:
        """The "sub-directories" just below ``prefix`` (names up to the next ``/``)."""
        pages = self.client.list_blobs(self.bucket_name, prefix=prefix, delimiter="/",
                                       retry=retry_policy())
        found: List[str] = []
        for page in pages.pages:
            found.extend(page.prefixes)
        return sorted(set(found))


class _UploadStream(io.RawIOBase):
    """Buffers a small write in memory (then one request); past the threshold it feeds a
    resumable upload chunk by chunk. Published only by :meth:`commit`."""

    def __init__(self, objects: ObjectIO, name: str, metadata: Optional[Dict[str, str]],
                 encrypted: bool) -> None:
        super().__init__()
        self.objects = objects
        self.name = name
        self.metadata = metadata
        self.encrypted = encrypted
        self.buffer = bytearray()
        self.upload: Any = None  # a BlobWriter once the stream is large
        self.finished = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.finished:
            raise ValueError("write to a finished job store stream")
        view = memoryview(data).cast("B")
        if self.upload is not None:
            self.upload.write(view)
            return len(view)
        self.buffer += view
        if len(self.buffer) > RESUMABLE_THRESHOLD:
            blob = self.objects.blob(self.name, self.encrypted, CHUNK_SIZE)
            if self.metadata:
                blob.metadata = self.metadata
            self.upload = blob.open("wb", chunk_size=CHUNK_SIZE, ignore_flush=True,
                                    content_type="application/octet-stream", retry=retry_policy())
            self.upload.write(bytes(self.buffer))
            self.buffer = bytearray()
        return len(view)

    def commit(self) -> None:
        if self.upload is not None:
            self.upload.close()
        else:
            self.objects.put_bytes(self.name, bytes(self.buffer), self.metadata, self.encrypted, seal=False)
        self.finished = True

    def abort(self) -> None:
        """Drop what was written; cancel a started resumable session (best effort)."""
        self.finished = True
        self.buffer = bytearray()
        upload = self.upload
        if upload is None:
            return
        try:
            upload.terminate()  # DELETE of the session; closes the writer without finalizing
        except Exception as err:  # the session expires on the server anyway
            logger.debug("Could not cancel the resumable upload of %s: %s", self.name, err)
            buffer = getattr(upload, "_buffer", None)
            if buffer is not None and not buffer.closed:
                buffer.close()  # never finalize it, not even when the writer is collected
        self.upload = None

    def close(self) -> None:
        # Closing the handle never publishes: ObjectIO.writer commits explicitly.
        self.finished = True
        super().close()


class _DownloadStream(io.RawIOBase):
    """A streaming GET of one object; reconnects with ``Range`` after a dropped connection."""

    def __init__(self, objects: ObjectIO, name: str, encrypted: bool) -> None:
        super().__init__()
        self.objects = objects
        self.name = name
        self.encrypted = encrypted
        self.offset = 0
        self.size: Optional[int] = None
        self.metadata: Dict[str, str] = {}
        self.response: Any = None
        self.generation: Optional[str] = None
        self.expected_crc: Optional[str] = None
        import google_crc32c

        self.crc = google_crc32c.Checksum()

    def readable(self) -> bool:
        return True

    def _headers(self) -> Dict[str, str]:
        headers = {"Accept-Encoding": "identity"}
        if self.encrypted and self.objects.key is not None:
            headers.update(key_headers(self.objects.key))
        if self.offset:
            headers["Range"] = f"bytes={self.offset}-"
        return headers

    def _get(self) -> Any:
        url = self.objects.media_url(self.name)
        if self.generation:
            url += f"&generation={self.generation}"
        http = self.objects.client._http
        response = http.request("GET", url, headers=self._headers(), stream=True, timeout=(60, 120))
        if response.status_code == 404:
            response.close()
            raise ObjectMissing(self.name)
        if response.status_code >= 400:
            from google.api_core import exceptions as gexc

            try:
                text = response.text
            finally:
                response.close()
            raise gexc.from_http_status(response.status_code, f"GET {self.name}: {text[:300]}")
        return response

    def connect(self) -> None:
        def attempt() -> Any:
            return self._get()

        self.response = retry_policy()(attempt)()
        headers = self.response.headers
        length = headers.get("Content-Length")
        if self.size is None and length is not None:
            self.size = int(length) + self.offset
        self.generation = self.generation or headers.get("x-goog-generation")
        if self.offset == 0:
            self.expected_crc = _reported_crc32c(headers)
        if not self.metadata:
            self.metadata = {k[len("x-goog-meta-"):]: v for k, v in headers.items()
                             if k.lower().startswith("x-goog-meta-")}

    def readinto(self, buffer: Any) -> int:
        resumes = 0
        while True:
            try:
                data = self.response.raw.read(len(buffer))
            except Exception as err:  # a dropped connection: continue where we were
                if resumes >= READ_RESUMES:
                    raise
                resumes += 1
                logger.debug("Reading %s broke at byte %d (%s); resuming", self.name, self.offset, err)
                self.response.close()
                self.connect()
                continue
            if not data and self.size is not None and self.offset < self.size:
                if resumes >= READ_RESUMES:
                    raise IOError(f"Object {self.name} ended after {self.offset} of {self.size} bytes")
                resumes += 1
                self.response.close()
                self.connect()
                continue
            n = len(data)
            if n == 0:
                self._verify()
                return 0
            buffer[:n] = data
            self.crc.update(data)
            self.offset += n
            return n

    def _verify(self) -> None:
        if self.expected_crc is None:
            return
        got = base64.b64encode(self.crc.digest()).decode("ascii")
        if got != self.expected_crc:
            raise ChecksumError(f"Object {self.name} of bucket {self.objects.bucket_name} arrived damaged: its "
                                f"CRC32C is {got}, the server reported {self.expected_crc}. Read it again.")
        self.expected_crc = None  # checked once

    def close(self) -> None:
        if self.response is not None:
            self.response.close()
        super().close()


def _generation(blob: Any) -> Optional[int]:
    """The generation a download or upload response gave ``blob``, if any."""
    try:
        value = blob.generation
        return int(value) if value else None
    except (TypeError, ValueError):
        return None
