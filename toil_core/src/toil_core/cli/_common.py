"""Helpers shared by the ``toil`` subcommands: error reporting and opening job stores.

A subcommand's ``main(argv)`` returns its exit code. Errors meant for the user are raised as
:class:`CommandError` and turned into one message on stderr by :func:`command`.
"""
from __future__ import annotations

import functools
import logging
import os
import sys
from typing import Any, Callable, List, Optional, Sequence

from toil_core.jobstores.abstract import get_node_id
from toil_core.jobstores.errors import JobStoreError, NoSuchFileException, NoSuchJobStoreException
from toil_core.jobstores.locator import make_job_store
from toil_core.lib.errors import ToilError
from toil_core.plugins.errors import PluginError

__all__ = [
    "CommandError", "command", "leader_is_local", "local_leader_pid", "make_store", "open_store",
    "pid_is_alive", "store_exists",
]

log = logging.getLogger(__name__)


class CommandError(ToilError):
    """A failure to report as ``message`` on stderr, exiting with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _plugin_error_types() -> tuple:
    """Errors whose message is the whole story (a plugin's, a job store's: a missing key...)."""
    return (PluginError, JobStoreError)


def command(func: Callable[[List[str]], Optional[int]]) -> Callable[..., int]:
    """Wrap a subcommand body ``func(argv)``: ``argv`` defaults to ``sys.argv[1:]``, the result
    becomes an int exit code, and user-facing errors become one stderr message."""

    @functools.wraps(func)
    def wrapper(argv: Optional[Sequence[str]] = None) -> int:
        args = list(sys.argv[1:] if argv is None else argv)
        try:
            result = func(args)
        except CommandError as err:
            print(str(err), file=sys.stderr)
            return err.exit_code
        except _plugin_error_types() as err:  # type: ignore[misc]
            print(str(err), file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("Interrupted.", file=sys.stderr)
            return 130
        except BrokenPipeError:  # e.g. `toil stats JOBSTORE | head`
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            return 1
        return 0 if result is None else int(result)

    return wrapper


def make_store(locator: str) -> Any:
    """The (not yet opened) job store object for ``locator``."""
    try:
        return make_job_store(locator)
    except ValueError as err:
        raise CommandError(str(err)) from err


def open_store(locator: str, missing_message: Optional[str] = None) -> Any:
    """Resume the job store at ``locator``; CommandError if there is none."""
    store = make_store(locator)
    try:
        store.resume()
    except NoSuchJobStoreException:
        raise CommandError(missing_message or f"No job store found at '{locator}'.") from None
    except JobStoreError as err:  # e.g. an encrypted store's key missing or wrong: its message says which
        raise CommandError(str(err)) from None
    return store


def store_exists(locator: str) -> bool:
    """True if a (complete) job store exists at ``locator``."""
    try:
        make_store(locator).resume()
    except NoSuchJobStoreException:
        return False
    return True


def pid_is_alive(pid: int) -> bool:
    """True if a process with this pid exists on this machine (zombies count as dead)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return True


def leader_is_local(store: Any) -> bool:
    """True unless the store records a leader node that is not this machine."""
    try:
        recorded = store.read_leader_node_id()
    except NoSuchFileException:
        return True  # older stores: assume this machine
    return recorded == get_node_id()


def _process_start_time(pid: int) -> Optional[float]:
    """When process ``pid`` started (seconds since the epoch), where /proc tells (Linux)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            ticks = int(handle.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith("btime "))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _pid_file_time(store: Any) -> Optional[float]:
    """When the leader pid was recorded, for job stores kept in a local directory."""
    root = getattr(store, "jobStoreDir", None)
    if root is None:
        return None
    try:
        return os.stat(os.path.join(root, "shared", "pid.log")).st_mtime
    except OSError:
        return None


def local_leader_pid(store: Any) -> Optional[int]:
    """The leader pid recorded in ``store`` if that process runs on this machine right now.

    A process that started after the pid was recorded is not the leader but a later process that
    reused its pid (the leader has ended); it is never returned.
    """
    try:
        pid = store.read_leader_pid()
    except (NoSuchFileException, ValueError):
        return None
    if pid == os.getpid() or not leader_is_local(store) or not pid_is_alive(pid):
        return None
    started, recorded = _process_start_time(pid), _pid_file_time(store)
    if started is not None and recorded is not None and started > recorded + 1.0:
        return None
    return pid
