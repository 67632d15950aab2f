"""Leader crashes (issue 5, part 1): SIGKILL the leader at many instants, resume with --restart.

The workflow (workflows/faultflow.py) uses children, follow-ons, promises, global files, a
service and a checkpoint job; every job records each execution in a counter file outside the
job store. For each seed the suite starts it, SIGKILLs the whole process group the test started
(leader and fork server; the jobs die with them) at instants chosen by the seed, restarts it
with --restart, kills again, ..., and finally lets it finish (when the workflow ends before the
next instant, a new round starts on a fresh store). The instants are spread over the run by five
kinds of trigger, all found by polling (no inotify, no hook in the engine): a time after the
leader started (while it starts up or repairs the store), a time after its first job started,
the N-th change of the job store's ``tmp/`` directory (every job store write passes through it),
the N-th time a file is seen being written there (a kill in the middle of a write), and the N-th
job that reported its end (its worker is committing it).

After every kill the suite checks that the job processes died, that every stored job
description is readable, and notes which jobs' completion was recorded (see
``faultkit.completion_recorded``: the job wrote its ``done`` line and the store no longer lists
it as one to run). At the end: the result equals a clean run's, no job whose completion was
recorded ran again, every global file a job read had its true content, and the store
(--clean never, --stats) holds exactly what a clean run's store holds.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import attrs
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "workflows"))

import faultkit  # noqa: E402
from faultkit import Trigger  # noqa: E402

WIDTH = 6
SIZE = 256 * 1024
BIG = 8 * 1024 * 1024
SIZES = faultkit.file_sizes(SIZE, BIG, WIDTH)
faultflow_names = faultkit.faultflow.job_names(WIDTH)
JOBS = len(faultflow_names)
TOIL = Path(sys.executable).parent / "toil"


def _args(seed: int) -> List[object]:
    return [*faultkit.QUICK, "--clean", "never", "--stats", "--width", WIDTH, "--size", SIZE,
            "--big", BIG, "--seed", seed]


@attrs.define
class Reference:
    result: str
    listing: Dict[str, int]
    #: Seconds from the leader's start to its first job, and from there to the end.
    startup: float
    work: float


_REFERENCES: Dict[int, Reference] = {}


def _reference(seed: int, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """A clean run of the same workflow (cached per seed)."""
    if seed not in _REFERENCES:
        base = tmp_path_factory.mktemp(f"clean-{seed}")
        out = base / "out"
        out.mkdir()
        began = time.time()
        proc = faultkit.start(base / "js", out, _args(seed), base, "clean")
        assert proc.wait(timeout=120) == 0, (base / "clean.err").read_text()[-5000:]
        ended = time.time()
        result = faultkit.result_line(base / "clean.out")
        assert result == faultkit.expected_result(seed, WIDTH, SIZE, BIG)
        lines = faultkit.counter(out)
        assert sorted(faultkit.runs(lines)) == sorted(faultflow_names)
        first_job = min(float(line.fields[2]) for line in lines if line.kind == "run")
        listing = dict(faultkit.normalized_listing(base / "js"))
        # What a finished store keeps: the marker, shared files, the user module, return values
        # (promises' files) and the one global file nobody deleted; no job, no partial write.
        assert not [path for path in listing if path.startswith(("jobs/", "tmp/"))], listing
        assert {path.rsplit("-", 1)[-1]: n for path, n in listing.items() if "-g-" in path} == {"summary": 1}
        _REFERENCES[seed] = Reference(result, listing, first_job - began, ended - first_job)
    return _REFERENCES[seed]


def _next_trigger(rng: random.Random, remaining: int, reference: Reference) -> Trigger:
    """A kill instant drawn from the seed's generator, scaled to the work still to do
    (``remaining`` of the workflow's jobs)."""
    share = remaining / JOBS
    kind = rng.choice(["boot", "time", "time", "write", "in-write", "done"])
    if kind == "boot":  # while the leader starts, or repairs the store for --restart
        return Trigger("boot", rng.uniform(0.02, reference.startup))
    if kind == "time":
        return Trigger("time", rng.uniform(0.0, share * reference.work))
    if kind == "write":
        return Trigger("write", rng.randint(1, max(1, 3 * remaining)))
    if kind == "in-write":
        return Trigger("in-write", rng.randint(1, 2))
    return Trigger("done", rng.randint(1, max(1, remaining // 2)))


@attrs.define
class Kill:
    trigger: Trigger
    elapsed: float
    during_write: bool
    lines_before: int
    recorded: Dict[str, str]
    progress: int


def _restart_or_start_over(js: Path, out: Path, seed: int, tmp_path: Path, cycle: int,
                           fault_table) -> List[object]:
    """The options for the next leader: --restart, unless the killed leader had not saved its root
    job yet (then --restart must refuse with a clear message, and the store is removed)."""
    if (js / "shared" / "rootJobStoreID").exists():
        return [*_args(seed), "--restart"]
    if js.exists():
        proc = faultkit.start(js, out, [*_args(seed), "--restart"], tmp_path, f"refused{cycle}")
        assert proc.wait(timeout=60) != 0
        err = (tmp_path / f"refused{cycle}.err").read_text()
        assert "nothing to restart" in err, err[-3000:]
        clean = subprocess.run([str(TOIL), "clean", str(js)], capture_output=True, text=True, timeout=60)
        assert clean.returncode == 0, clean.stderr
        fault_table.record("leader crash", f"seed {seed}: killed before the root job was saved",
                           "--restart refused clearly; store removed with toil clean; started again")
    assert not js.exists()
    return _args(seed)


def _crash_run(seed: int, kills: int, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
               fault_table) -> List[Kill]:
    """Kill, restart, kill, ... until ``kills`` kills happened. When the workflow ends before the
    next instant, that round is checked and a new one starts on a fresh job store."""
    reference = _reference(seed, tmp_path_factory)
    rng = random.Random(seed)
    done: List[Kill] = []
    round_number = 0
    while len(done) < kills:
        done.extend(_crash_round(seed, rng, kills - len(done), tmp_path / f"round{round_number}", reference,
                                 fault_table))
        round_number += 1
    return done


def _crash_round(seed: int, rng: random.Random, budget: int, tmp_path: Path, reference: Reference,
                 fault_table) -> List[Kill]:
    tmp_path.mkdir()
    js = tmp_path / "js"
    out = tmp_path / "out"
    out.mkdir()
    done: List[Kill] = []
    args = _args(seed)
    cycle = 0
    while True:
        remaining = JOBS - len({line.name for line in faultkit.counter(out) if line.kind == "done"})
        trigger = _next_trigger(rng, remaining, reference) if len(done) < budget else None
        name = f"leader{cycle}"
        proc = faultkit.start(js, out, args, tmp_path, name)
        if trigger is None:
            assert proc.wait(timeout=180) == 0, (tmp_path / f"{name}.err").read_text()[-5000:]
            break
        info = faultkit.watch_and_kill(proc, js, out, trigger)
        if info is None:  # the workflow finished before this instant
            assert proc.returncode == 0, (tmp_path / f"{name}.err").read_text()[-5000:]
            fault_table.record("leader crash", f"seed {seed}: {trigger.describe()}", "workflow ended first; no kill")
            break
        lines = faultkit.counter(out)
        survivors = faultkit.wait_gone(faultkit.job_pids(lines), timeout=20)
        assert not survivors, f"job processes outlived the killed leader: {survivors}"
        assert faultkit.wait_group_gone(proc.pid, timeout=20), "the fork server outlived the killed leader"
        lines = faultkit.counter(out)  # nothing can append any more
        jobs = faultkit.stored_jobs(js)  # raises if a stored description is damaged
        recorded = faultkit.completion_recorded(lines, jobs)
        done.append(Kill(trigger, info["elapsed"], info["during_write"], len(lines), recorded,
                         len({line.name for line in lines if line.kind == "done"})))
        args = _restart_or_start_over(js, out, seed, tmp_path, cycle, fault_table)
        cycle += 1
    lines = faultkit.counter(out)

    # The result equals a clean run's, and every global file read had its true content.
    assert faultkit.result_line(tmp_path / f"{name}.out") == reference.result
    assert not faultkit.bad_reads(lines, seed, SIZES)
    # No job whose completion was recorded at a kill ran again afterwards.
    for kill in done:
        again = {line.name for line in lines[kill.lines_before:] if line.kind == "run"} & set(kill.recorded)
        assert not again, f"{sorted(again)} ran again after their completion was recorded ({kill.trigger.describe()})"
    # Every job ran to the end at least once.
    assert {line.name for line in lines if line.kind == "done"} == set(faultflow_names)
    # The store holds what a clean run's store holds: no job left, no stray or partial file.
    assert faultkit.stored_jobs(js) == {}
    assert faultkit.tmp_files(js) == []
    assert dict(faultkit.normalized_listing(js)) == reference.listing
    for blob in faultkit.log_blobs(js):
        json.loads(blob.read_bytes())

    reruns = sum(faultkit.runs(lines).values()) - JOBS
    for kill in done:
        where = "mid-write, " if kill.during_write else ""
        fault_table.record("leader crash",
                           f"seed {seed}: SIGKILL {kill.trigger.describe()} ({where}{kill.progress}/{JOBS} jobs done)",
                           f"resumed; {len(kill.recorded)} recorded jobs kept")
    fault_table.record("leader crash", f"seed {seed}: {len(done)} kills, final run",
                       f"same result as a clean run; {reruns} reruns of unrecorded work; store clean")
    return done


#: The quick tier: 5 seeds x 5 kills = 25 kill instants.
QUICK_SEEDS = [1, 2, 3, 4, 5]
KILLS_PER_SEED = 5


@pytest.mark.parametrize("seed", QUICK_SEEDS)
def test_leader_killed_repeatedly_resumes_without_redoing_work(seed, tmp_path, tmp_path_factory, fault_table):
    _crash_run(seed, KILLS_PER_SEED, tmp_path, tmp_path_factory, fault_table)


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(100, 160))
def test_soak_leader_killed_repeatedly(seed, tmp_path, tmp_path_factory, fault_table):
    _crash_run(seed, 10, tmp_path, tmp_path_factory, fault_table)


# ------------------------------------------------------------------------------------ what --restart repairs
def _plant_partial_write(js: Path) -> Path:
    """What a process killed while writing leaves: a half-written file in tmp/."""
    partial = js / "tmp" / "0123456789abcdef01234567"
    partial.write_bytes(b"half of a file")
    return partial


def _plant_file_of_a_job_never_created(js: Path) -> Path:
    """A file written for a new job whose creator's worker died before storing the job."""
    path = js / "files" / "job" / "ee" / "work-000000000000000000ee" / "00000000000000000000-stream"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"the body of a job nobody will run")
    return path


def test_restart_removes_what_killed_processes_left_behind(tmp_path, tmp_path_factory, fault_table):
    seed = 7
    reference = _reference(seed, tmp_path_factory)
    js, out = tmp_path / "js", tmp_path / "out"
    out.mkdir()
    proc = faultkit.start(js, out, _args(seed), tmp_path, "first")
    assert faultkit.watch_and_kill(proc, js, out, Trigger("done", 3)) is not None
    planted = [_plant_partial_write(js), _plant_file_of_a_job_never_created(js)]
    proc = faultkit.start(js, out, [*_args(seed), "--restart"], tmp_path, "second")
    assert proc.wait(timeout=120) == 0, (tmp_path / "second.err").read_text()[-5000:]
    assert faultkit.result_line(tmp_path / "second.out") == reference.result
    assert not [p for p in planted if p.exists()]
    assert dict(faultkit.normalized_listing(js)) == reference.listing
    fault_table.record("leader crash", "partial file in tmp/ and files of a job never created, then --restart",
                       "both deleted; finished store as a clean run's")


def test_restart_of_a_workflow_whose_leader_died_at_the_very_end(tmp_path, tmp_path_factory, fault_table):
    """Killed after it deleted the root job (all work done) but before it wrote its last files."""
    seed = 7
    reference = _reference(seed, tmp_path_factory)
    js, out = tmp_path / "js", tmp_path / "out"
    out.mkdir()
    proc = faultkit.start(js, out, _args(seed), tmp_path, "first")
    assert proc.wait(timeout=120) == 0
    (js / "shared" / "succeeded.log").unlink()
    partial = _plant_partial_write(js)
    runs_before = faultkit.runs(faultkit.counter(out))
    proc = faultkit.start(js, out, [*_args(seed), "--restart"], tmp_path, "second")
    assert proc.wait(timeout=120) == 0, (tmp_path / "second.err").read_text()[-5000:]
    assert "already been completed" in (tmp_path / "second.err").read_text()
    assert faultkit.result_line(tmp_path / "second.out") == reference.result
    assert not partial.exists()
    assert (js / "shared" / "succeeded.log").exists()
    assert faultkit.runs(faultkit.counter(out)) == runs_before  # nothing ran again
    assert dict(faultkit.normalized_listing(js)) == reference.listing
    fault_table.record("leader crash", "killed after the last job, before the success marker; --restart",
                       "nothing rerun; same result; success recorded; partial write deleted")


def _private_tmp_env(tmp_path: Path) -> Dict[str, str]:
    import os

    env = dict(os.environ)
    (tmp_path / "tmpdir").mkdir(exist_ok=True)
    env["TMPDIR"] = str(tmp_path / "tmpdir")
    for var in ("TOIL_WORKDIR", "TOIL_COORDINATION_DIR", "TOIL_WORKDIR_OVERRIDE", "TOIL_COORDINATION_DIR_OVERRIDE"):
        env.pop(var, None)
    return env


def test_what_a_killed_leader_leaves_in_tmpdir_goes_with_restart_and_clean(tmp_path, fault_table):
    """Issue 14: the messages file and node directory of a SIGKILLed leader do not stay forever."""
    seed = 7
    env = _private_tmp_env(tmp_path)
    tmpdir = Path(env["TMPDIR"])
    js, out = tmp_path / "js", tmp_path / "out"
    out.mkdir()
    proc = faultkit.start(js, out, _args(seed), tmp_path, "first", env=env)
    assert faultkit.watch_and_kill(proc, js, out, Trigger("done", 3)) is not None
    first_messages = set(tmpdir.glob("toil-messages-*.txt"))
    assert first_messages and list(tmpdir.glob("toil-*-*-*-*-*")), sorted(p.name for p in tmpdir.iterdir())
    # The next run of the workflow removes the killed leader's messages file...
    proc = faultkit.start(js, out, [*_args(seed), "--restart"], tmp_path, "second", env=env)
    assert faultkit.watch_and_kill(proc, js, out, Trigger("done", 2)) is not None
    assert not first_messages & set(tmpdir.glob("toil-messages-*.txt"))
    # ... and `toil clean` removes what the second killed leader left.
    clean = subprocess.run([str(TOIL), "clean", str(js)], cwd=str(tmp_path), env=env, capture_output=True,
                           text=True, timeout=120)
    assert clean.returncode == 0, clean.stderr
    assert not js.exists()
    assert not list(tmpdir.glob("toil-messages-*.txt")), sorted(p.name for p in tmpdir.iterdir())
    assert not [p for p in tmpdir.glob("toil-*") if p.is_dir()], sorted(p.name for p in tmpdir.iterdir())
    fault_table.record("leader crash", "SIGKILL, then --restart, SIGKILL, then toil clean",
                       "stale messages files and node directory removed")
