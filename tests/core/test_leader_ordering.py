"""Job ordering (FEATURES A.3, 4.1), checked with real workflows run as subprocesses."""
from __future__ import annotations

from workflows.harness import FAST, events, index, names, ok, result_line, run


def _run(tmp_path, mode, *extra):
    out = tmp_path / "out"
    out.mkdir()
    proc = ok(run("ordering.py", tmp_path / "js", "--out", out, "--mode", mode, "--retryCount", "0",
                  *FAST, *extra, tmp_path=tmp_path))
    return proc, events(out)


def test_children_run_in_parallel_after_parent(tmp_path):
    # Each child waits for the other's marker file: both succeed only if they run at the same time.
    proc, evts = _run(tmp_path, "parallel", "--maxCores", "2")
    assert result_line(proc) == "left+right"
    assert sorted(names(evts, "end")) == ["after", "left", "right", "root"]
    for child in ("left", "right"):
        assert index(evts, "start", child) > index(evts, "end", "root")
        assert index(evts, "start", "after") > index(evts, "end", child)
    # Each child started before the other one ended.
    assert index(evts, "start", "left") < index(evts, "end", "right")
    assert index(evts, "start", "right") < index(evts, "end", "left")


def test_follow_on_waits_for_whole_child_subtree(tmp_path):
    proc, evts = _run(tmp_path, "subtree", "--maxCores", "2")
    assert result_line(proc) == "subtree done"
    assert sorted(names(evts, "start")) == sorted(["root", "A", "A1", "A2", "A_followon", "B", "F"])
    assert len(names(evts, "start")) == 7  # every job ran once
    # Children (and grandchildren) start after their parent ended.
    assert index(evts, "start", "A") > index(evts, "end", "root")
    assert index(evts, "start", "B") > index(evts, "end", "root")
    assert index(evts, "start", "A1") > index(evts, "end", "A")
    assert index(evts, "start", "A2") > index(evts, "end", "A1")
    # A's follow-on waits for A's grandchild A2 (which sleeps longest).
    assert index(evts, "start", "A_followon") > index(evts, "end", "A2")
    # The root's follow-on waits for everything below the root's children.
    f_start = index(evts, "start", "F")
    for job in ("A", "A1", "A2", "A_followon", "B"):
        assert f_start > index(evts, "end", job), job


def test_job_with_two_predecessors_runs_once_after_both(tmp_path):
    proc, evts = _run(tmp_path, "diamond", "--maxCores", "2")
    assert result_line(proc) == "root"
    assert names(evts, "start").count("C") == 1
    assert index(evts, "start", "C") > index(evts, "end", "A")
    assert index(evts, "start", "C") > index(evts, "end", "B")  # B sleeps longer than A
    assert index(evts, "start", "F") > index(evts, "end", "C")
    assert len(names(evts, "start")) == 5


def test_job_with_two_predecessors_made_at_run_time(tmp_path):
    proc, evts = _run(tmp_path, "diamond_dynamic", "--maxCores", "2")
    assert names(evts, "start").count("C") == 1
    assert index(evts, "start", "C") > index(evts, "end", "A")  # A sleeps longer than B
    assert index(evts, "start", "C") > index(evts, "end", "B")
    assert index(evts, "start", "F") > index(evts, "end", "C")


def test_diamond_join_with_one_core(tmp_path):
    # With one core the jobs run one at a time; the join must still wait for both parents.
    proc, evts = _run(tmp_path, "diamond", "--maxCores", "1")
    assert names(evts, "start").count("C") == 1
    assert index(evts, "start", "C") > max(index(evts, "end", "A"), index(evts, "end", "B"))
    # With one core no two jobs overlap.
    depth = 0
    for e in evts:
        depth += 1 if e[0] == "start" else -1
        assert depth <= 1, evts


def test_join_with_a_child_and_a_follow_on_edge(tmp_path):
    # C is A's child and B's follow-on: it waits for A, for B and for B's child B1.
    proc, evts = _run(tmp_path, "mixed_join", "--maxCores", "2")
    assert names(evts, "start").count("C") == 1
    c_start = index(evts, "start", "C")
    for job in ("A", "B", "B1"):
        assert c_start > index(evts, "end", job), job


def test_join_waits_for_failed_parent_until_restart(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    args = ("--out", out, "--mode", "diamond_fail", "--retryCount", "0", "--maxCores", "2", *FAST)
    first = run("ordering.py", tmp_path / "js", *args, tmp_path=tmp_path)
    assert first.returncode == 1
    evts = events(out)
    assert names(evts, "end") == ["root", "B"]  # B's branch ran; C (also A's child) did not
    assert "C" not in names(evts, "start") and "F" not in names(evts, "start")
    (out / "fixed").touch()
    ok(run("ordering.py", tmp_path / "js", "--restart", *args, tmp_path=tmp_path))
    evts = events(out)
    started = names(evts, "start")
    assert started.count("root") == 1 and started.count("B") == 1  # not redone
    assert started.count("A") == 2 and started.count("C") == 1 and started.count("F") == 1
    assert index(evts, "start", "C") > index(evts, "end", "A")
    assert index(evts, "start", "F") > index(evts, "end", "C")
