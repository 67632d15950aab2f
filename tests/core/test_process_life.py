"""process_life: the parent-death signal is armed without searching for the C library."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) exists only on Linux")
def test_a_forked_child_arms_the_parent_death_signal() -> None:
    from toil_core.batch.process_life import die_with_parent

    parent = os.getpid()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether the kernel will kill it with its parent
        try:
            os.write(write_fd, b"1" if die_with_parent(parent) else b"0")
        finally:
            os._exit(0)
    os.close(write_fd)
    try:
        answer = os.read(read_fd, 1)
    finally:
        os.close(read_fd)
        os.waitpid(pid, 0)
    assert answer == b"1"


def test_loading_prctl_runs_no_library_search() -> None:
    """ctypes.util.find_library runs ``ldconfig -p`` in a subprocess; the leader and the fork server
    import this module at every start."""
    code = "import sys, toil_core.batch.process_life as p; print(p._PRCTL is not None, 'ctypes.util' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [str(sys.platform.startswith("linux")), "False"]


def test_the_fork_server_exit_still_runs_exit_handlers() -> None:
    """The server skips the interpreter's teardown when its input closes, not the atexit handlers."""
    code = ("import atexit; atexit.register(lambda: print('handler ran', flush=True))\n"
            "from toil_core.batch.fork_server import main; main()")
    done = subprocess.run([sys.executable, "-c", code], input="", capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["handler ran"]
