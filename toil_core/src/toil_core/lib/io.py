"""Filesystem helpers (``toil.lib.io``): race-tolerant deletion, atomic file creation, public
scratch directories and a byte-counting stream wrapper."""
from __future__ import annotations

import logging
import os
import shutil
import stat
import tempfile
import uuid
from contextlib import contextmanager
from typing import IO, Any, Callable, Iterable, Iterator, List, Optional, Union

logger = logging.getLogger(__name__)


def robust_rmtree(path: Union[str, bytes]) -> None:
    """Delete ``path`` (file, symlink or directory tree), ignoring parts that vanish meanwhile.

    Symlinks are removed, never followed. Permission errors and file/directory type changes
    during the walk are still raised.
    """
    if not isinstance(path, bytes):
        path = os.fsencode(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        return
    try:
        children = os.listdir(path)
    except FileNotFoundError:
        return
    for child in children:
        robust_rmtree(os.path.join(path, child))
    try:
        os.rmdir(path)
    except FileNotFoundError:
        pass


def atomic_tmp_file(final_path: str) -> str:
    """Temporary name next to ``final_path`` (same extension) for use with :func:`atomic_install`.

    Paths under ``/dev`` (like ``/dev/null``) are returned unchanged.
    """
    if final_path.startswith("/dev/"):
        return final_path
    directory, name = os.path.split(final_path)
    stem, ext = os.path.splitext(name)
    return os.path.join(directory, f".{stem}.{uuid.uuid4().hex[:12]}.tmp{ext}")


def atomic_install(tmp_path: str, final_path: str) -> None:
    """Atomically move ``tmp_path`` into place as ``final_path`` (no-op for ``/dev`` paths)."""
    if tmp_path != final_path:
        os.replace(tmp_path, final_path)


@contextmanager
def AtomicFileCreate(final_path: str, keep: bool = False) -> Iterator[str]:
    """Yield a temporary path next to ``final_path``; rename it into place only if the body succeeds.

    On failure the temporary file is deleted unless ``keep`` is true.
    """
    tmp_path = atomic_tmp_file(final_path)
    try:
        yield tmp_path
        atomic_install(tmp_path, final_path)
    except BaseException:
        if not keep and tmp_path != final_path:
            try:
                os.unlink(tmp_path)
            except FileNotFoundError:
                pass
        raise


def _set_executable(path: str, executable: bool) -> None:
    mode = os.stat(path).st_mode
    bits = stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
    os.chmod(path, (mode | bits) if executable else (mode & ~bits))


def atomic_copy(src_path: str, dest_path: str, executable: Optional[bool] = None) -> None:
    """Copy a file so ``dest_path`` appears complete or not at all.

    ``executable`` None keeps the source's mode; True/False sets or clears the execute bits.
    """
    with AtomicFileCreate(dest_path) as tmp_path:
        shutil.copyfile(src_path, tmp_path)
        shutil.copymode(src_path, tmp_path)
        if executable is not None:
            _set_executable(tmp_path, executable)


def atomic_copyobj(src_fh: IO[bytes], dest_path: str, length: int = 16384, executable: bool = False) -> None:
    """Copy an open binary file object to ``dest_path`` with atomic-creation semantics."""
    with AtomicFileCreate(dest_path) as tmp_path:
        with open(tmp_path, "wb") as dest_fh:
            shutil.copyfileobj(src_fh, dest_fh, length)
        if executable:
            _set_executable(tmp_path, True)


def make_public_dir(in_directory: Optional[str] = None) -> str:
    """Create a world-writable (0o777) directory with a short random name and return its path.

    Names start at 4 characters and grow (up to 32) on collisions, keeping paths short.
    """
    parent = in_directory if in_directory is not None else tempfile.gettempdir()
    os.makedirs(parent, exist_ok=True)
    for length in range(4, 33):
        candidate = os.path.join(parent, uuid.uuid4().hex[:length])
        try:
            os.mkdir(candidate)
        except FileExistsError:
            continue
        os.chmod(candidate, 0o777)
        return candidate
    candidate = os.path.join(parent, str(uuid.uuid4()))
    os.mkdir(candidate)
    os.chmod(candidate, 0o777)
    return candidate


def try_path(path: str) -> Optional[str]:
    """Return ``path`` if it exists (or can be created) and is writable, else None."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK | os.X_OK) else None


def mkdtemp(suffix: Optional[str] = None, prefix: Optional[str] = None, dir: Optional[str] = None) -> str:
    """Like :func:`tempfile.mkdtemp`, but creates ``dir`` if needed and returns an absolute path."""
    if dir is not None:
        os.makedirs(dir, exist_ok=True)
    return os.path.abspath(tempfile.mkdtemp(suffix=suffix, prefix=prefix, dir=dir))


class WriteWatchingStream:
    """Wrap a writable stream and report the size of every write to ``onWrite`` listeners.

    Used to track how many bytes a job wrote to the file store. Not seekable.
    """

    def __init__(self, backingStream: IO[Any]) -> None:
        self.backingStream = backingStream
        self.writeListeners: List[Callable[[int], None]] = []

    def onWrite(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(n_bytes)`` after every write."""
        self.writeListeners.append(listener)

    def write(self, data: Any) -> int:
        """Write ``data`` to the backing stream and notify listeners."""
        written = self.backingStream.write(data)
        count = len(data) if written is None else written
        for listener in self.writeListeners:
            listener(count)
        return count

    def writelines(self, datas: Iterable[Any]) -> None:
        """Write each item in turn (no newlines added)."""
        for data in datas:
            self.write(data)

    def flush(self) -> None:
        """Flush the backing stream."""
        self.backingStream.flush()

    def close(self) -> None:
        """Close the backing stream."""
        self.backingStream.close()

    @property
    def closed(self) -> bool:
        return bool(getattr(self.backingStream, "closed", False))

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def __enter__(self) -> "WriteWatchingStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def remove_trees(paths: Iterable[str], workers: int = 8) -> None:
    """Delete each directory tree in ``paths`` (missing ones are fine): files one by one, then
    the directories, deepest first, ``workers`` at a time.

    Why not ``shutil.rmtree``: on some file systems (ext4 on this project's virtual machines) an
    ``rmdir`` waits several milliseconds for the disk, so a store with a few hundred fan-out
    directories took most of a second to delete, one directory after the other; concurrent
    ``rmdir`` calls share those waits. Symbolic links are removed, never followed.
    """
    levels: List[List[str]] = []

    def walk(path: str, depth: int) -> None:
        try:
            entries = os.scandir(path)
        except FileNotFoundError:
            return
        except NotADirectoryError:
            _unlink_missing_ok(path)
            return
        with entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path, depth + 1)
                else:
                    _unlink_missing_ok(entry.path)
        while len(levels) <= depth:
            levels.append([])
        levels[depth].append(path)

    for path in paths:
        walk(path, 0)
    failures: List[OSError] = []
    for level in reversed(levels):
        _rmdir_all(level, workers, failures)
        if failures:
            raise failures[0]


def _unlink_missing_ok(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _rmdir_all(paths: List[str], workers: int, failures: List[OSError]) -> None:
    """``rmdir`` every path (missing ones are fine), ``workers`` calls at a time."""
    pending = iter(paths)  # shared by the threads: a list iterator hands each item out once

    def work() -> None:
        for path in pending:
            try:
                os.rmdir(path)
            except FileNotFoundError:
                pass
            except OSError as error:
                failures.append(error)

    count = min(workers, len(paths))
    if count <= 1:
        work()
        return
    import threading  # lazy: only a store with directories to delete starts threads

    threads = [threading.Thread(target=work, name="remove-trees", daemon=True) for _ in range(count - 1)]
    for thread in threads:
        thread.start()
    work()
    for thread in threads:
        thread.join()
