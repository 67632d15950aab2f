"""The stored files of the ``aws:`` store (``files/``), and import/export with server-side
copies between S3 buckets.

A mixin of :class:`~toil_aws.job_store.AWSJobStore`.
"""
from __future__ import annotations

import io
import os
import stat
import urllib.parse
from contextlib import contextmanager
from typing import IO, Any, Callable, Dict, Iterator, Optional, Tuple

from toil_core.plugin_api import FileID, NoSuchFileException, attempt_job_of, download_atomically

from toil_aws.layout import ATTEMPT_DIR, COPY_CHUNK, token
from toil_aws.layout import basename as key_basename
from toil_aws.objects import ObjectMissing, ObjectStore, reader_handle, writer_context
from toil_aws.session import AWSSetupError


class StoredFiles:
    """Files: writing, reading, replacing, deleting, public URLs, import and export."""

    _objects: Any
    _owned: Dict[str, set]
    _sealer: Any
    publicUrlExpiration: Any
    bucket_name: str
    locator: str

    def _new_file_id(self, job_id: Optional[str], cleanup: bool, basename: Optional[str],
                     default: str = "stream") -> Tuple[str, str]:
        """``(file ID, object key)`` of a new file (the pair the core's attempt scoping expects
        from a store that can name a file before it exists)."""
        name, made = key_basename(basename, default), token()
        if self._sealer is not None:
            name = self._sealer.file_name(name, made)
        if cleanup and job_id is not None:
            owner = str(job_id)
            self._job_key(owner)  # validates it
            attempts_of = attempt_job_of(owner)
            if attempts_of is not None:
                self._job_key(attempts_of)
                file_id = f"o/{attempts_of}/{ATTEMPT_DIR}{made}/{name}"
            else:
                file_id = f"o/{owner}/{made}/{name}"
                own = self._owned.get(owner)
                if own is not None:
                    own.add("files/" + file_id)  # (before it exists: deleting a missing key is harmless)
        else:
            file_id = f"f/{made}/{name}"
        return file_id, "files/" + file_id

    @staticmethod
    def _file_key(file_id: Any) -> str:
        fid = str(file_id)
        if not fid.startswith(("f/", "o/", "r/")) or "\0" in fid or "/../" in f"/{fid}/":
            raise NoSuchFileException(file_id)
        return "files/" + fid

    def _owned_key(self, file_id: str) -> str:
        return self._file_key(file_id)

    def _missing(self, file_id: Any) -> NoSuchFileException:
        return NoSuchFileException(
            file_id, None,
            f"(no object for it in the bucket '{self.bucket_name}' of job store '{self.locator}'). Pass a file "
            "ID returned by writeGlobalFile or importFile in this workflow; if it was one, the file was deleted.")

    def _upload_local(self, local_path: str, key: str, check: Optional[Callable[[], None]] = None) -> None:
        executable = bool(os.stat(local_path).st_mode & stat.S_IXUSR)
        writer = self._objects.open_write(key, executable, check)
        try:
            with open(local_path, "rb") as source:
                while True:
                    chunk = source.read(max(COPY_CHUNK, min(self._objects.part_size, 16 << 20)))
                    if not chunk:
                        break
                    writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        writer.commit()

    def write_file(self, local_path: str, job_id: Optional[str] = None, cleanup: bool = False) -> str:
        file_id, key = self._new_file_id(job_id, cleanup, os.path.basename(local_path), "file")
        self._upload_local(local_path, key)
        return file_id

    @contextmanager
    def write_file_stream(self, job_id: Optional[str] = None, cleanup: bool = False,
                          basename: Optional[str] = None, encoding: Optional[str] = None,
                          errors: Optional[str] = None) -> Iterator[Tuple[IO[Any], str]]:
        file_id, key = self._new_file_id(job_id, cleanup, basename)
        writer = self._objects.open_write(key)
        with writer_context(writer, encoding, errors) as handle:
            yield handle, file_id

    def get_empty_file_store_id(self, job_id: Optional[str] = None, cleanup: bool = False,
                                basename: Optional[str] = None) -> str:
        file_id, key = self._new_file_id(job_id, cleanup, basename)
        self._objects.put(key, b"")
        return file_id

    def reserve_file_id(self) -> str:
        """A fresh file ID; nothing is stored until :meth:`write_reserved_file_stream`."""
        return self._new_file_id(None, False, None)[0]

    @contextmanager
    def write_reserved_file_stream(self, file_id: str) -> Iterator[IO[Any]]:
        writer = self._objects.open_write(self._file_key(file_id))
        with writer_context(writer, None, None) as handle:
            yield handle

    def _reader(self, file_id: Any) -> Any:
        try:
            return self._objects.open_read(self._file_key(file_id))
        except (ObjectMissing, NoSuchFileException):
            raise self._missing(file_id) from None

    def read_file(self, file_id: str, local_path: str, symlink: bool = False) -> None:
        """Download the file to ``local_path`` atomically (executable bit kept); ``symlink`` is
        ignored (there is nothing local to link to)."""
        reader = self._reader(file_id)

        def fill(tmp: str) -> bool:
            with reader, open(tmp, "wb") as out:
                while True:
                    chunk = reader.read(COPY_CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
            return bool(reader.head.executable)

        download_atomically(local_path, fill)

    @contextmanager
    def read_file_stream(self, file_id: str, encoding: Optional[str] = None,
                         errors: Optional[str] = None) -> Iterator[IO[Any]]:
        fid = str(file_id)
        if fid.startswith("r/"):
            # A job's return value: in its record, or an object of its own (see JobRecords).
            self._file_key(fid)
            value = self.read_return_value(fid[2:])  # type: ignore[attr-defined]
            raw: IO[Any] = io.BytesIO(value)
            yield io.TextIOWrapper(raw, encoding=encoding, errors=errors) if (encoding or errors) else raw
            return
        handle = reader_handle(self._reader(file_id), encoding, errors)
        with handle:
            yield handle

    def delete_file(self, file_id: str) -> None:
        try:
            self._objects.delete(self._file_key(file_id))
        except NoSuchFileException:
            pass

    def _head_file(self, file_id: Any) -> Any:
        try:
            return self._objects.head(self._file_key(file_id))
        except NoSuchFileException:
            return None

    def file_exists(self, file_id: str) -> bool:
        return self._head_file(file_id) is not None

    def get_file_size(self, file_id: str) -> int:
        head = self._head_file(file_id)
        return head.size if head is not None else 0

    def file_info(self, file_id: str) -> FileID:
        """The file's FileID (size and executable bit). :raises NoSuchFileException:"""
        head = self._head_file(file_id)
        if head is None:
            raise self._missing(file_id)
        return FileID(str(file_id), head.size, head.executable)

    def _still_there(self, file_id: Any) -> Callable[[], None]:
        def check() -> None:
            # A file deleted while it was being rewritten stays deleted.
            if self._head_file(file_id) is None:
                raise NoSuchFileException(file_id)
        return check

    def update_file(self, file_id: str, local_path: str) -> None:
        if self._head_file(file_id) is None:
            raise self._missing(file_id)
        self._upload_local(local_path, self._file_key(file_id), self._still_there(file_id))

    @contextmanager
    def update_file_stream(self, file_id: str, encoding: Optional[str] = None,
                           errors: Optional[str] = None) -> Iterator[IO[Any]]:
        head = self._head_file(file_id)
        if head is None:
            raise self._missing(file_id)
        writer = self._objects.open_write(self._file_key(file_id), head.executable, self._still_there(file_id))
        with writer_context(writer, encoding, errors) as handle:
            yield handle

    def _presign(self, key: str) -> str:
        if self._sealer is not None:
            raise AWSSetupError(f"The job store '{self.locator}' is encrypted client-side (--clientSideEncryption): "
                                "a public URL would serve only ciphertext. Export the file instead.")
        expires = int(min(self.publicUrlExpiration.total_seconds(), 7 * 24 * 3600))  # SigV4's limit
        return self._client().generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket_name, "Key": key}, ExpiresIn=expires)

    def get_public_url(self, file_id: str) -> str:
        """A presigned GET URL (valid 7 days, SigV4's limit). With --sseKey the reader must send
        the SSE-C headers too."""
        if self._head_file(file_id) is None:
            raise self._missing(file_id)
        return self._presign(self._file_key(file_id))

    def get_shared_public_url(self, shared_file_name: str) -> str:
        self._check_shared_name(shared_file_name)
        for encrypted in (True, False):
            key = self._shared_key(shared_file_name, encrypted)
            if self._objects.head(key, plain=not encrypted) is not None:
                return self._presign(key)
        raise NoSuchFileException(shared_file_name)

    # ---------------------------------------------------------------------- import / export
    def _import_file(self, handler: Any, src_uri: str, shared_file_name: Optional[str],
                     hardlink: bool, symlink: bool) -> Optional[FileID]:
        from toil_aws.s3_urls import S3URLAccess

        if not (isinstance(handler, type) and issubclass(handler, S3URLAccess)) or shared_file_name is not None \
                or self._sealer is not None:  # a sealed store encrypts what it imports: no server-side copy
            return super()._import_file(handler, src_uri, shared_file_name, hardlink, symlink)
        bucket, key = S3URLAccess.split(src_uri)
        source = S3URLAccess.client_for(bucket)
        head = S3URLAccess.head(src_uri)
        file_id, own_key = self._new_file_id(None, False, urllib.parse.unquote(key.rsplit("/", 1)[-1]), "file")
        self._objects.copy_in(source, bucket, key, own_key, head.executable)
        return FileID(file_id, head.size, head.executable)

    def _export_file(self, handler: Any, file_id: str, dst_uri: str) -> None:
        from toil_aws.s3_urls import S3URLAccess

        if not (isinstance(handler, type) and issubclass(handler, S3URLAccess)) or self._sealer is not None:
            return super()._export_file(handler, file_id, dst_uri)
        head = self._head_file(file_id)
        if head is None:
            raise self._missing(file_id)
        bucket, key = S3URLAccess.split(dst_uri)
        destination = ObjectStore(lambda: S3URLAccess.client_for(bucket), bucket, None, self._objects.part_size)
        destination.copy_in(self._client(), self.bucket_name, self._file_key(file_id), key, head.executable,
                            source_sse={k: v for k, v in self._objects.sse_args().items()})
