"""The jobs of FileJobStore: one JSON description per job under ``jobs/<ff>/<job id>``, and the
files written for a job (``files/job/<ff>/<job id>/``) that ``delete_job`` removes with it."""
from __future__ import annotations

import errno
import json
import os
import shutil
from typing import TYPE_CHECKING, Any, Iterator, List

from ..job.description import JobDescription, decode_stored, parse_stored
from ._file_transfer import safe_job_name
from .errors import CorruptJobError, NoSuchJobException

__all__ = ["FileJobsMixin", "read_whole", "remove_job_dir"]

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)


def read_whole(path: str) -> bytes:
    """The bytes of the file at ``path``, read through a plain descriptor: a small file costs
    open, two reads and close (a buffered ``open()`` adds fstat, ioctl and lseek calls)."""
    fd = os.open(path, _READ_FLAGS)
    try:
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def remove_job_dir(path: str) -> None:
    """Delete the directory of a job's files and what is in it, if it exists.

    Most jobs own no file: one ``rmdir`` finds that out (missing or empty) without the tree
    walk of ``shutil.rmtree``."""
    try:
        os.rmdir(path)
        return
    except FileNotFoundError:
        return
    except OSError as err:
        if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        pass

_PARSE_ERRORS = (json.JSONDecodeError, UnicodeDecodeError, TypeError, KeyError, AttributeError)


class FileJobsMixin:
    """Job descriptions of FileJobStore (uses its layout helpers)."""

    #: Reads are plain file reads, which a forked copy of the process may make too
    #: (:mod:`toil_core.jobstores.helper_reads`).
    forked_reads_ok = True
    locator: str
    _jobs: str
    _job_files: str
    _tmp: str
    _cipher: Any

    if TYPE_CHECKING:  # provided by the other parts of FileJobStore
        def _write_bytes(self, data: bytes, dest: str, exchange: bool = False) -> None: ...

        def _remove_to_spare(self, path: str) -> bool: ...

        def _unseal_bytes(self, raw: bytes, path: str) -> bytes: ...

        @staticmethod
        def _discard(tmp: str) -> None: ...

        @staticmethod
        def _listdir(path: str) -> List[str]: ...

    def _job_path(self, job_id: str) -> str:
        # IDs are file names; the last two characters name the fan-out directory.
        if not job_id or "/" in job_id or "\0" in job_id or job_id[0] == "." or job_id[-2:] == "..":
            raise NoSuchJobException(job_id)
        return self._jobs + job_id[-2:] + os.sep + job_id

    def assign_job_id(self, job_description: JobDescription) -> None:
        if self._cipher is not None:  # the job's name is the user's: only in the sealed description
            job_description.jobStoreID = os.urandom(10).hex()
            return
        name = safe_job_name(job_description.jobName or "job")
        job_description.jobStoreID = f"{name}-{os.urandom(10).hex()}"

    def create_job(self, job_description: JobDescription) -> JobDescription:
        if job_description.jobStoreID is None:
            self.assign_job_id(job_description)
        job_id = job_description.jobStoreID
        assert job_id is not None  # assign_job_id sets it
        self._write_bytes(job_description.to_bytes(), self._job_path(job_id))
        return job_description

    def job_exists(self, job_id: str) -> bool:
        try:
            return os.path.isfile(self._job_path(job_id))
        except NoSuchJobException:
            return False

    def load_job(self, job_id: str) -> JobDescription:
        path = self._job_path(job_id)
        try:
            raw = read_whole(path)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NoSuchJobException(job_id) from None
        if self._cipher is not None:
            raw = self._unseal_bytes(raw, path)
        try:
            text = decode_stored(raw)
            del raw  # (parse a million-job fan-out's 100 MB commit with one copy of it alive, not two)
            desc = JobDescription.from_dict(parse_stored(text))
        except _PARSE_ERRORS as err:
            raise CorruptJobError(job_id, path, err, self.locator) from err
        if desc.jobStoreID != job_id:
            raise CorruptJobError(job_id, path, f"it describes job '{desc.jobStoreID}'", self.locator)
        return desc

    def update_job(self, job_description: JobDescription) -> None:
        """Atomically replace the stored description.

        :raises NoSuchJobException: if the job was never created or has been deleted (so a late
            update cannot resurrect a deleted job).
        """
        job_id = job_description.jobStoreID
        path = self._job_path(job_id)  # type: ignore[arg-type]
        if not os.path.isfile(path):
            raise NoSuchJobException(job_id)
        job_description.version += 1
        try:
            self._write_bytes(job_description.to_bytes(), path, exchange=True)
        except BaseException:
            job_description.version -= 1
            raise

    def delete_job(self, job_id: str) -> None:
        try:
            path = self._job_path(job_id)
        except NoSuchJobException:
            return
        # The job's cleanup files go first: a crash in between leaves the (finished) job
        # behind, to be deleted again, rather than files nobody will ever delete.
        remove_job_dir(self._job_files + job_id[-2:] + os.sep + job_id)
        self._remove_to_spare(path)

    def job_ids(self) -> Iterator[str]:
        """The IDs of the stored jobs, from the directory listing alone (``--restart`` compares
        them with the jobs it reached; reading every job again would double its reads)."""
        try:
            fans = sorted(os.listdir(self._jobs))
        except FileNotFoundError:
            return
        for fan in fans:
            try:
                names = sorted(os.listdir(self._jobs + fan))
            except (FileNotFoundError, NotADirectoryError):
                continue
            yield from names

    def jobs(self) -> Iterator[JobDescription]:
        try:
            fans = sorted(os.listdir(self._jobs))
        except FileNotFoundError:
            return
        for fan in fans:
            try:
                names = sorted(os.listdir(self._jobs + fan))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for name in names:
                try:
                    yield self.load_job(name)
                except NoSuchJobException:
                    continue  # deleted while we iterate

    def job_file_owners(self) -> Iterator[str]:
        """IDs that files written with ``cleanup=True`` belong to; used by ``--restart`` to delete
        files nothing owns. An owner need not be a job: workers write a job attempt's files for
        an owner ID of their own (``toil_core.job.attempt_files``) and ``delete_job`` of that
        ID deletes them; stores with this method promise that."""
        for fan in self._listdir(self._job_files):
            yield from self._listdir(self._job_files + fan)

    def discard_temporary_files(self) -> int:
        """Delete what writers killed mid-write left in ``tmp/``; returns how many.

        Only when no other process uses the store (``--restart`` before any job runs): a live
        writer would lose its write.
        """
        names = self._listdir(self._tmp)
        for name in names:
            self._discard(self._tmp + name)
        return len(names)
