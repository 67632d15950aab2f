"""Tests for toil_core.lib.threading."""
import multiprocessing
import os
import time

import pytest

from toil_core.lib import threading as toil_threading
from toil_core.lib.threading import ExceptionalThread, LastProcessStandingArena, cpu_count, global_mutex


def test_join_reraises_target_exception():
    def f():
        raise KeyError("inside")
    t = ExceptionalThread(target=f)
    t.start()
    with pytest.raises(KeyError, match="inside"):
        t.join()


def test_join_reraises_try_run_exception():
    class MyThread(ExceptionalThread):
        def tryRun(self):
            assert 0, "nope"
    t = MyThread()
    t.start()
    with pytest.raises(AssertionError):
        t.join()


def test_exception_raised_only_once():
    t = ExceptionalThread(target=lambda: 1 / 0)
    t.start()
    with pytest.raises(ZeroDivisionError):
        t.join()
    t.join()  # second join is quiet


def test_successful_thread_joins_quietly():
    results = []
    t = ExceptionalThread(target=results.append, args=(1,))
    t.start()
    t.join()
    assert results == [1]


def test_cpu_count_positive_and_not_above_affinity():
    assert 1 <= cpu_count() <= len(os.sched_getaffinity(0))


def test_cgroup_v2_quota_rounds_up(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert toil_threading._cgroup_cpu_limit(str(tmp_path), str(tmp_path / "missing")) == 2


def test_cgroup_v2_unlimited(tmp_path):
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert toil_threading._cgroup_cpu_limit(str(tmp_path), str(tmp_path / "missing")) is None


def test_cgroup_v2_uses_own_cgroup_path(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "cpu.max").write_text("300000 100000\n")
    (tmp_path / "proc").write_text("0::/sub\n")
    assert toil_threading._cgroup_cpu_limit(str(tmp_path), str(tmp_path / "proc")) == 3


def test_cgroup_v1_quota(tmp_path):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("50000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert toil_threading._cgroup_cpu_limit(str(tmp_path), str(tmp_path / "missing")) == 1


def _hold_mutex(base_dir, log_path, tag):
    with global_mutex(base_dir, "m"):
        with open(log_path, "a") as log:
            log.write(f"start {tag}\n")
        time.sleep(0.2)
        with open(log_path, "a") as log:
            log.write(f"end {tag}\n")


def test_global_mutex_serialises_processes(tmp_path):
    log = tmp_path / "log"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_hold_mutex, args=(str(tmp_path), str(log), i)) for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(10)
    lines = log.read_text().split()
    # Every "start" is immediately followed by its own "end".
    pairs = list(zip(lines[0::4], lines[1::4], lines[2::4], lines[3::4]))
    assert len(pairs) == 3 and all(s == "start" and e == "end" and a == b for s, a, e, b in pairs)


def test_global_mutex_removes_lock_file(tmp_path):
    with global_mutex(str(tmp_path), "x"):
        assert os.listdir(tmp_path)
    assert os.listdir(tmp_path) == []


def test_global_mutex_rejects_path_names(tmp_path):
    with pytest.raises(ValueError):
        with global_mutex(str(tmp_path), "a/b"):
            pass


def test_arena_single_member_is_last(tmp_path):
    arena = LastProcessStandingArena(str(tmp_path), "a")
    arena.enter()
    assert list(arena.leave()) == [True]


def test_arena_not_last_while_other_member_present(tmp_path):
    first, second = LastProcessStandingArena(str(tmp_path), "a"), LastProcessStandingArena(str(tmp_path), "a")
    first.enter()
    second.enter()
    assert list(first.leave()) == []
    assert list(second.leave()) == [True]


def _enter_and_die(base_dir):
    LastProcessStandingArena(base_dir, "a").enter()
    os._exit(0)


def test_arena_ignores_dead_members(tmp_path):
    ctx = multiprocessing.get_context("fork")
    p = ctx.Process(target=_enter_and_die, args=(str(tmp_path),))
    p.start()
    p.join(10)
    arena = LastProcessStandingArena(str(tmp_path), "a")
    arena.enter()
    assert list(arena.leave()) == [True]
