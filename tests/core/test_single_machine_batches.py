"""single_machine runs batches of small ready jobs in one forked worker, each job on its own.

While more jobs with the same requirements wait than can run at once, one forked worker runs
several of them one after the other (see ``toil_core.batch.fork_server``). These tests check,
through whole workflows, that batching happens, that a job failing or crashing its process fails
alone (the jobs its process had not begun run again, uncharged), and that --disableChaining turns
batching off.
"""
from pathlib import Path

from batch_support import result_of, run_script

BATCH_SCRIPT = """
    import json, os, signal, sys
    from toil.common import Toil
    from toil.job import Job
    from toil.leader import FailedJobsException

    REQ = dict(cores=1, memory="20M", disk="1M")

    def leaf(job, out, i, crash, fail):
        with open(os.path.join(out, "ran-%d-%d" % (i, os.getpid())), "w"):
            pass
        os.environ["LEAKED_BY_%d" % i] = "1"  # must not be seen by the next job of the batch
        seen = sorted(k for k in os.environ if k.startswith("LEAKED_BY_") and k != "LEAKED_BY_%d" % i)
        if i == crash:
            os.kill(os.getpid(), signal.SIGKILL)
        if i == fail:
            raise RuntimeError("job %d fails on purpose" % i)
        return [i, os.getpid(), seen]

    def root(job, out, n, crash, fail):
        return [job.addChildJobFn(leaf, out, i, crash, fail, **REQ).rv() for i in range(n)]

    if __name__ == "__main__":
        parser = Job.Runner.getDefaultArgumentParser()
        parser.add_argument("--n", type=int, default=40)
        parser.add_argument("--out")
        parser.add_argument("--crash", type=int, default=-1)
        parser.add_argument("--fail", type=int, default=-1)
        options = parser.parse_args()
        options.logLevel = "WARNING"
        options.maxCores = 1
        options.retryCount = 0
        try:
            with Toil(options) as toil:
                value = toil.start(Job.wrapJobFn(root, options.out, options.n, options.crash, options.fail, **REQ))
            print("RESULT " + json.dumps({"value": value}))
        except FailedJobsException as err:
            names = sorted(str(j) for j in err.failed_jobs if "leaf" in str(j))
            print("RESULT " + json.dumps({"failed": len(names)}))
"""


def _ran(out: Path):
    """(job index, pid) of every attempt, from the marker files the jobs wrote."""
    found = []
    for path in out.iterdir():
        _, index, pid = path.name.split("-")
        found.append((int(index), int(pid)))
    return found


def test_small_jobs_share_forked_workers_and_keep_their_own_environment(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    proc = run_script(tmp_path / "wf", BATCH_SCRIPT, tmp_path / "js", "--n", "40", "--out", out)
    assert proc.returncode == 0, proc.stderr[-6000:]
    value = result_of(proc)["value"]
    assert sorted(i for i, _, _ in value) == list(range(40))
    pids = {pid for _, pid, _ in value}
    assert len(pids) < 40, "every job ran in a process of its own: no batches were made"
    assert all(seen == [] for _, _, seen in value), "a job saw the environment another job changed"


def test_a_job_crashing_its_batch_fails_alone_and_the_rest_run(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    proc = run_script(tmp_path / "wf", BATCH_SCRIPT, tmp_path / "js", "--n", "40", "--out", out,
                      "--crash", "5", "--fail", "9")
    assert proc.returncode == 0, proc.stderr[-6000:]
    # retryCount 0: only the job that crashed its process and the job that raised fail; every
    # other job ran exactly once, none charged for its neighbour's crash.
    assert result_of(proc) == {"failed": 2}
    ran = _ran(out)
    assert sorted({i for i, _ in ran}) == list(range(40))
    counts = {i: sum(1 for j, _ in ran if j == i) for i in range(40)}
    assert all(count == 1 for count in counts.values()), counts


def test_disable_chaining_runs_one_job_per_process(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    proc = run_script(tmp_path / "wf", BATCH_SCRIPT, tmp_path / "js", "--n", "12", "--out", out,
                      "--disableChaining")
    assert proc.returncode == 0, proc.stderr[-6000:]
    value = result_of(proc)["value"]
    assert len({pid for _, pid, _ in value}) == 12


def test_batches_leave_no_spare_files_in_the_job_store(tmp_path):
    """A batch reuses the inodes of the descriptions its jobs delete (FileJobStore's spares);
    the worker deletes what it kept when the batch ends."""
    out = tmp_path / "out"
    out.mkdir()
    proc = run_script(tmp_path / "wf", BATCH_SCRIPT, tmp_path / "js", "--n", "40", "--out", out,
                      "--clean", "never")
    assert proc.returncode == 0, proc.stderr[-6000:]
    assert len({pid for _, pid, _ in result_of(proc)["value"]}) < 40
    assert sorted((tmp_path / "js" / "tmp").iterdir()) == []
