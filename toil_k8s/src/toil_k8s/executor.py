"""``_toil_contained_executor``: the program every pod of the ``kubernetes`` batch system runs.

::

    _toil_contained_executor --worker JOBNAME LOCATOR JOBID   # a Toil job: runs _toil_worker
    _toil_contained_executor --shell 'COMMAND'                 # any other command: /bin/sh -c

It makes the work directory (``TOIL_WORKDIR_OVERRIDE``, the emptyDir or host path the batch
system mounted), runs the worker or command as a child in its own process group, and exits with
the child's exit status (128 + N for a signal), which the batch system reads back from the
container's terminated state. A SIGTERM (the pod being deleted: a kill or the end of the
workflow) is passed to the whole child process group at once, so a killed job stops within the
grace period instead of running on as an orphan. It imports nothing of the engine itself: the
worker is a separate program, so this stays a few milliseconds of start-up.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import List, Optional

USAGE = ("usage: _toil_contained_executor --worker JOBNAME LOCATOR JOBID\n"
         "       _toil_contained_executor --shell COMMAND\n")


def child_argv(args: List[str]) -> Optional[List[str]]:
    """The command line to run for the executor's arguments, or None if they are malformed."""
    if len(args) == 4 and args[0] == "--worker":
        return ["_toil_worker", *args[1:]]
    if len(args) == 2 and args[0] == "--shell":
        return ["/bin/sh", "-c", args[1]]
    return None


def exit_status(returncode: int) -> int:
    """A Popen return code as a process exit status (signals as 128 + N, like a shell)."""
    return 128 - returncode if returncode < 0 else returncode


def main(argv: Optional[List[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = child_argv(args)
    if command is None:
        sys.stderr.write(USAGE)
        return 2
    work_dir = os.environ.get("TOIL_WORKDIR_OVERRIDE")
    if work_dir:
        os.makedirs(work_dir, exist_ok=True)
    sys.stderr.write(f"_toil_contained_executor: running {' '.join(command[:1] + args[1:2])} "
                     f"in pod {os.environ.get('HOSTNAME', '?')}\n")
    sys.stderr.flush()
    try:
        child = subprocess.Popen(command, start_new_session=True)
    except OSError as exc:
        sys.stderr.write(f"_toil_contained_executor: cannot start {command[0]}: {exc}\n")
        return 127

    def forward(signum: int, _frame: object) -> None:
        try:
            os.killpg(child.pid, signum)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    while True:
        try:
            returncode = child.wait()
            break
        except InterruptedError:  # pragma: no cover - PEP 475 retries, kept for clarity
            continue
    # anything the job left in its process group goes with it
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    status = exit_status(returncode)
    sys.stderr.write(f"_toil_contained_executor: exit status {status}\n")
    sys.stderr.flush()
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
