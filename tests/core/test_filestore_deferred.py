"""Deferred functions: run at the end of a job attempt, even when its process was killed."""
import logging
import multiprocessing
import os
import signal
from collections import defaultdict

import pytest

from toil_core.filestores import DeferredFunction, DeferredFunctionManager


def append_line(path, text):
    with open(path, "a") as handle:
        handle.write(text + "\n")


def explode():
    raise RuntimeError("deferred boom")


def lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return handle.read().splitlines()


def state_files(base):
    return os.listdir(os.path.join(base, DeferredFunctionManager.STATE_DIR_STEM))


def test_deferred_function_object():
    df = DeferredFunction.create(defaultdict, None, {"x": 1}, y=2)
    assert repr(df) == "DeferredFunction(defaultdict, ...)" == str(df)
    assert df.invoke() == defaultdict(None, x=1, y=2)
    assert df.name == "defaultdict" and df.module == "collections"


def test_constants():
    assert DeferredFunctionManager.STATE_DIR_STEM == "deferred"
    assert DeferredFunctionManager.PREFIX == "func"
    assert DeferredFunctionManager.WIP_SUFFIX == ".tmp"


def test_runs_on_success_in_order(tmp_path):
    out = str(tmp_path / "out")
    manager = DeferredFunctionManager(str(tmp_path))
    with manager.open() as register:
        register(append_line, out, "first")
        register(append_line, out, text="second")
        assert lines(out) == []
        assert len(state_files(tmp_path)) == 1
    assert lines(out) == ["first", "second"]
    assert state_files(tmp_path) == []


def test_runs_on_exception(tmp_path):
    out = str(tmp_path / "out")
    manager = DeferredFunctionManager(str(tmp_path))
    with pytest.raises(ValueError):
        with manager.open() as register:
            register(append_line, out, "cleanup")
            raise ValueError("job failed")
    assert lines(out) == ["cleanup"]
    assert state_files(tmp_path) == []


def test_registered_twice_runs_twice(tmp_path):
    out = str(tmp_path / "out")
    manager = DeferredFunctionManager(str(tmp_path))
    with manager.open() as register:
        register(append_line, out, "again")
        register(append_line, out, "again")
    assert lines(out) == ["again", "again"]
    # The manager can be used for the next job attempt.
    with manager.open() as register:
        register(append_line, out, "next job")
    assert lines(out) == ["again", "again", "next job"]


def test_failing_function_does_not_stop_the_others(tmp_path, caplog):
    out = str(tmp_path / "out")
    manager = DeferredFunctionManager(str(tmp_path))
    with caplog.at_level(logging.ERROR):
        with manager.open() as register:
            register(explode)
            register(append_line, out, "still runs")
    assert lines(out) == ["still runs"]
    assert "deferred boom" in caplog.text


def _register_and_die(base, out):
    manager = DeferredFunctionManager(base)
    with manager.open() as register:
        register(append_line, out, "from the dead")
        register(append_line, out, "twice")
        os.kill(os.getpid(), signal.SIGKILL)


def _kill_child(base, out):
    ctx = multiprocessing.get_context("fork")
    child = ctx.Process(target=_register_and_die, args=(base, out))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    assert lines(out) == []  # nothing ran in the killed process
    assert len(state_files(base)) == 1


def test_killed_process_functions_run_at_cleanup_worker(tmp_path):
    base, out = str(tmp_path), str(tmp_path / "out")
    _kill_child(base, out)
    DeferredFunctionManager.cleanupWorker(base)
    assert lines(out) == ["from the dead", "twice"]
    assert state_files(base) == []
    DeferredFunctionManager.cleanupWorker(base)  # nothing left: runs nothing
    assert lines(out) == ["from the dead", "twice"]


def test_killed_process_functions_adopted_by_next_worker(tmp_path):
    base, out = str(tmp_path), str(tmp_path / "out")
    _kill_child(base, out)
    manager = DeferredFunctionManager(base)
    with manager.open() as register:
        assert lines(out) == ["from the dead", "twice"]  # adopted on entry
        register(append_line, out, "mine")
    assert lines(out) == ["from the dead", "twice", "mine"]
    assert state_files(base) == []


def _hold_open(base, out, ready, release):
    manager = DeferredFunctionManager(base)
    with manager.open() as register:
        register(append_line, out, "live worker")
        ready.set()
        release.wait(60)


def test_live_worker_functions_are_not_adopted(tmp_path):
    base, out = str(tmp_path), str(tmp_path / "out")
    ctx = multiprocessing.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_hold_open, args=(base, out, ready, release))
    child.start()
    try:
        assert ready.wait(60)
        DeferredFunctionManager.cleanupWorker(base)
        with DeferredFunctionManager(base).open():
            pass
        assert lines(out) == []
    finally:
        release.set()
        child.join(60)
    assert child.exitcode == 0
    assert lines(out) == ["live worker"]
    assert state_files(base) == []


def test_cleanup_worker_without_state_dir(tmp_path):
    DeferredFunctionManager.cleanupWorker(str(tmp_path / "missing"))


def test_batch_system_shutdown_sees_the_orphaned_state(tmp_path):
    """The single-machine shutdown imports the file stores only when this check says there is state."""
    from toil_core.batch.single_machine import _has_deferred_state

    base, out = str(tmp_path), str(tmp_path / "out")
    assert not _has_deferred_state(base)
    _kill_child(base, out)
    assert _has_deferred_state(base)
