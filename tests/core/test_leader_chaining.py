"""Job chaining (FEATURES 4.4): a worker runs the single next job itself when it fits."""
from __future__ import annotations

from workflows.harness import FAST, events, ok, run


def _pids(tmp_path, mode, *extra):
    out = tmp_path / "out"
    out.mkdir()
    ok(run("chaining.py", tmp_path / "js", "--out", out, "--mode", mode, "--maxCores", "2", *FAST, *extra,
           tmp_path=tmp_path))
    evts = events(out)
    ran = [e[1] for e in evts]
    assert len(ran) == len(set(ran)), evts  # every job ran once
    return {e[1]: int(e[2]) for e in evts}, ran


def test_chain_of_follow_ons_runs_in_one_process(tmp_path):
    pids, order = _pids(tmp_path, "followons")
    assert order == ["j0", "j1", "j2", "j3", "j4"]
    assert len(set(pids.values())) == 1, pids


def test_disable_chaining_uses_a_process_per_job(tmp_path):
    pids, order = _pids(tmp_path, "followons", "--disableChaining")
    assert order == ["j0", "j1", "j2", "j3", "j4"]
    assert len(set(pids.values())) == 5, pids


def test_single_children_made_at_run_time_are_chained(tmp_path):
    pids, order = _pids(tmp_path, "children")
    assert order == ["c0", "c1", "c2", "c3"]
    assert len(set(pids.values())) == 1, pids


def test_successor_needing_more_memory_is_not_chained(tmp_path):
    pids, order = _pids(tmp_path, "bigger")
    assert order == ["j0", "j1", "j2", "j3"]
    assert pids["j0"] == pids["j1"]
    assert pids["j2"] != pids["j1"]
    assert pids["j3"] == pids["j2"]


def test_job_with_two_children_is_not_chained(tmp_path):
    pids, _ = _pids(tmp_path, "two_children")
    assert pids["a"] != pids["root"] and pids["b"] != pids["root"] and pids["a"] != pids["b"]
    assert pids["a_followon"] == pids["a"]
    assert pids["b_followon"] == pids["b"]


def _ran(tmp_path, mode, *extra):
    out = tmp_path / "out"
    out.mkdir()
    proc = ok(run("chaining.py", tmp_path / "js", "--out", out, "--mode", mode, "--retryCount", "1", *FAST,
                  *extra, tmp_path=tmp_path))
    return proc, [(e[1], int(e[2])) for e in events(out)]


def test_failure_inside_a_chain_retries_only_the_failed_job(tmp_path):
    proc, ran = _ran(tmp_path, "raise_in_chain")
    assert [name for name, _ in ran] == ["j0", "j1", "j2", "j2", "j3"]
    assert ran[0][1] == ran[1][1] == ran[2][1]  # j0..j2 chained in one worker
    assert ran[3][1] != ran[2][1]  # the retry is a new worker
    assert ran[4][1] == ran[3][1]  # which chains on to j3
    assert "failing the first try of j2" in proc.stderr  # the failed chained job's log


def test_worker_dying_inside_a_chain_charges_the_running_job(tmp_path):
    proc, ran = _ran(tmp_path, "die_in_chain")
    assert [name for name, _ in ran] == ["j0", "j1", "j2", "j2", "j3"]
    assert ran[3][1] != ran[2][1]


def test_worker_dying_inside_a_chain_with_no_retries_fails_the_workflow(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    proc = run("chaining.py", tmp_path / "js", "--out", out, "--mode", "die_in_chain", "--retryCount", "0",
               *FAST, tmp_path=tmp_path)
    assert proc.returncode == 1
    assert [e[1] for e in events(out)] == ["j0", "j1", "j2"]
    end = next(line for line in proc.stderr.splitlines() if "Failed jobs at end of the run" in line)
    assert "flaky" in end, end
