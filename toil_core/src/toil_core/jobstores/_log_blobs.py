"""The stats-and-logging half of FileJobStore: blobs under ``logs/new`` until read, then ``logs/read``."""
from __future__ import annotations

import os
import time
from typing import IO, Any, Callable, List, Optional, Union

__all__ = ["LogBlobsMixin"]


class LogBlobsMixin:
    """``write_logs`` / ``read_logs`` of FileJobStore (uses its path helpers and ``_open_read``)."""

    _logs_new: str
    _logs_read: str

    def _write_bytes(self, data: bytes, dest: str) -> None:
        raise NotImplementedError

    def _open_read(self, path: str, encoding: Optional[str], errors: Optional[str]) -> IO[Any]:
        raise NotImplementedError

    @staticmethod
    def _listdir(path: str) -> List[str]:
        raise NotImplementedError

    def write_logs(self, msg: Union[bytes, str]) -> None:
        data = msg.encode("utf-8") if isinstance(msg, str) else bytes(msg)
        self._write_bytes(data, f"{self._logs_new}{time.time_ns():020d}-{os.urandom(6).hex()}")

    def read_logs(self, callback: Callable[[IO[bytes]], Any], read_all: bool = False) -> int:
        """Pass a readable binary handle on each unread blob to ``callback`` (oldest first),
        then move the blob to ``logs/read``. With ``read_all``, blobs read before are passed
        first. A blob whose callback raised stays unread. Returns the number of blobs passed."""
        count = 0
        if read_all:
            for name in self._listdir(self._logs_read):
                handle = self._open_if_present(self._logs_read + name)
                if handle is not None:
                    with handle:
                        callback(handle)
                    count += 1
        for name in self._listdir(self._logs_new):
            path = self._logs_new + name
            handle = self._open_if_present(path)
            if handle is None:
                continue  # consumed by another reader
            with handle:
                callback(handle)
            try:
                os.replace(path, self._logs_read + name)
            except FileNotFoundError:
                pass
            count += 1
        return count

    def _open_if_present(self, path: str) -> Optional[IO[bytes]]:
        try:
            return self._open_read(path, None, None)
        except FileNotFoundError:
            return None

