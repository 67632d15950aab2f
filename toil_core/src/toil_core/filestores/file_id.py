"""FileID: a job store file ID (a ``str``) that also knows the file's size and executable bit."""
from __future__ import annotations

import os
import stat
from typing import Any, Tuple

__all__ = ["FileID"]


class FileID(str):
    """A job store file ID string carrying ``size`` (bytes) and ``executable``.

    ``FileID("abc", 12, True) == "abc"``: it compares, hashes and formats exactly like the bare ID,
    so bare strings and FileIDs are interchangeable wherever an ID is expected.
    """

    size: int
    executable: bool

    def __new__(cls, fileStoreID: str, *args: Any, **kwargs: Any) -> "FileID":
        return super().__new__(cls, fileStoreID)

    def __init__(self, fileStoreID: str, size: int, executable: bool = False) -> None:
        # str.__init__ takes no arguments; the value was set by __new__.
        super().__init__()
        self.size = size
        self.executable = bool(executable)

    def pack(self) -> str:
        """``"<size>:<0|1>:<id>"``, parsed back by :meth:`unpack`."""
        return f"{self.size}:{'1' if self.executable else '0'}:{str(self)}"

    @classmethod
    def unpack(cls, packedFileStoreID: str) -> "FileID":
        """Inverse of :meth:`pack` (also accepts the older ``"<size>:<id>"`` form)."""
        parts = packedFileStoreID.split(":", 2)
        if len(parts) == 3 and parts[1] in ("0", "1") and parts[0].isdigit():
            return cls(parts[2], int(parts[0]), parts[1] == "1")
        size, _, file_id = packedFileStoreID.partition(":")
        if not size.isdigit() or not file_id:
            raise ValueError(f"Not a packed FileID: {packedFileStoreID!r}")
        return cls(file_id, int(size), False)

    @classmethod
    def forPath(cls, fileStoreID: str, filePath: str) -> "FileID":
        """A FileID whose size and executable bit are taken from the local file ``filePath``."""
        st = os.stat(filePath)
        return cls(fileStoreID, st.st_size, bool(st.st_mode & stat.S_IXUSR))

    for_path = forPath

    def __reduce__(self) -> Tuple[Any, ...]:
        return (FileID, (str(self), self.size, self.executable))

    def __repr__(self) -> str:
        return f"FileID({str(self)!r}, size={self.size}, executable={self.executable})"
