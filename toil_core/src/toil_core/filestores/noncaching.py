"""NonCachingFileStore: every read fetches from the job store, every write goes straight to it."""
from __future__ import annotations

import logging
import os
import shutil
import stat
from typing import Any, Optional, Union

from .abstract import AbstractFileStore
from .file_id import FileID

logger = logging.getLogger(__name__)


def make_private_copy(path: str) -> None:
    """Make ``path`` a writable regular file of its own (not a symlink or a shared hard link)."""
    st = os.lstat(path)
    if stat.S_ISREG(st.st_mode) and st.st_nlink == 1:
        if not st.st_mode & stat.S_IWUSR:
            os.chmod(path, stat.S_IMODE(st.st_mode) | stat.S_IWUSR)
        return
    source_mode = stat.S_IMODE(os.stat(path).st_mode)
    tmp = f"{path}.copy-{os.getpid()}"
    shutil.copyfile(path, tmp)
    os.chmod(tmp, source_mode | stat.S_IWUSR)
    os.replace(tmp, path)


class NonCachingFileStore(AbstractFileStore, caching=False):
    """A file store without a node cache: reads copy (or symlink), writes upload directly."""

    def writeGlobalFile(self, localFileName: str, cleanup: bool = False,
                        executable: bool = False) -> FileID:
        file_id, path = self._upload(localFileName, cleanup, executable)
        if self._in_temp_dir(path):
            self._record_local(file_id, path)
        return file_id

    def readGlobalFile(self, fileStoreID: Union[FileID, str], userPath: Optional[str] = None,
                       cache: bool = True, mutable: bool = False, symlink: bool = False) -> str:
        mutable = self._mutable(mutable)
        dest = self._read_destination(fileStoreID, userPath)
        self.jobStore.read_file(str(fileStoreID), dest, symlink=symlink and not mutable)
        if mutable:
            make_private_copy(dest)
        self._record_local(fileStoreID, dest)
        self.logAccess(fileStoreID, dest)
        return dest

    @classmethod
    def shutdown(cls, shutdown_info: Any) -> None:
        """Nothing is kept on the node between jobs, so there is nothing to remove."""
