"""single_machine through whole workflows: --badWorker, --debugWorker, --maxCores, oversized jobs."""
import json
import os
import sys
from pathlib import Path

import pytest

from batch_support import result_of, run_script

PYTHON = sys.executable


MANY_JOBS_SCRIPT = """
    import json, os
    from toil.common import Toil
    from toil.job import Job

    def leaf(job, i):
        return i * i

    def total(job, values):
        return sum(values)

    def root(job, n):
        leaves = [job.addChildJobFn(leaf, i, cores=0.1, memory="20M", disk="1M") for i in range(n)]
        return job.addFollowOnJobFn(total, [l.rv() for l in leaves], cores=0.1, memory="20M", disk="1M").rv()

    if __name__ == "__main__":
        parser = Job.Runner.getDefaultArgumentParser()
        parser.add_argument("--n", type=int, default=20)
        options = parser.parse_args()
        options.logLevel = "WARNING"
        with Toil(options) as toil:
            value = toil.start(Job.wrapJobFn(root, options.n, cores=0.1, memory="20M", disk="1M"))
        print("RESULT " + json.dumps({"value": value, "leader_pid": os.getpid()}))
"""


def test_bad_worker_workflow_still_completes(tmp_path):
    proc = run_script(tmp_path, MANY_JOBS_SCRIPT, tmp_path / "js", "--n", "20", "--badWorker", "0.5",
                      "--badWorkerFailInterval", "0.01", "--retryCount", "20")
    assert proc.returncode == 0, proc.stderr[-6000:]
    assert result_of(proc)["value"] == sum(i * i for i in range(20))
    assert not (tmp_path / "js").exists()


def test_bad_worker_really_kills_workers(tmp_path):
    # With every worker killed and no retries the workflow must fail.
    proc = run_script(tmp_path, MANY_JOBS_SCRIPT, tmp_path / "js", "--n", "2", "--badWorker", "1.0",
                      "--badWorkerFailInterval", "0.001", "--retryCount", "0")
    assert proc.returncode != 0
    assert "failed jobs" in proc.stderr


DEBUG_WORKER_SCRIPT = """
    import json, os
    from toil.common import Toil
    from toil.job import Job

    def child(job):
        return os.getpid()

    def root(job):
        return {"root": os.getpid(), "child": job.addChildJobFn(child).rv()}

    if __name__ == "__main__":
        options = Job.Runner.getDefaultArgumentParser().parse_args()
        options.logLevel = "WARNING"
        with Toil(options) as toil:
            pids = toil.start(Job.wrapJobFn(root))
        print("RESULT " + json.dumps({"jobs": pids, "leader": os.getpid()}))
"""


def test_debug_worker_runs_jobs_in_the_leader_process(tmp_path):
    proc = run_script(tmp_path, DEBUG_WORKER_SCRIPT, tmp_path / "js", "--debugWorker")
    assert proc.returncode == 0, proc.stderr[-6000:]
    result = result_of(proc)
    assert result["jobs"] == {"root": result["leader"], "child": result["leader"]}


def test_without_debug_worker_jobs_run_in_other_processes(tmp_path):
    proc = run_script(tmp_path, DEBUG_WORKER_SCRIPT, tmp_path / "js")
    assert proc.returncode == 0, proc.stderr[-6000:]
    result = result_of(proc)
    assert result["leader"] not in result["jobs"].values()


# Each job notes its start, waits (with a deadline) until two jobs have started, holds a moment and
# returns its (start, end): the first two must overlap, and no more than two may.
PARALLEL_SCRIPT = """
    import json, os, time
    from toil.common import Toil
    from toil.job import Job

    def sleeper(job, directory, i):
        start = time.time()
        open(os.path.join(directory, "start.%d" % i), "w").close()
        deadline = time.time() + 120
        while len(os.listdir(directory)) < 2:
            if time.time() > deadline:
                raise RuntimeError("a second job never started")
            time.sleep(0.02)
        time.sleep(0.3)
        return [start, time.time()]

    def root(job, directory):
        return [job.addChildJobFn(sleeper, directory, i, cores=1, memory="20M", disk="1M").rv() for i in range(4)]

    if __name__ == "__main__":
        options = Job.Runner.getDefaultArgumentParser().parse_args()
        options.logLevel = "WARNING"
        directory = os.path.abspath("started")
        os.makedirs(directory)
        with Toil(options) as toil:
            spans = toil.start(Job.wrapJobFn(root, directory, cores=0.1, memory="20M", disk="1M"))
        print("RESULT " + json.dumps(spans))
"""


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs at least 2 CPU cores")
def test_max_cores_bounds_a_workflow(tmp_path):
    proc = run_script(tmp_path, PARALLEL_SCRIPT, tmp_path / "js", "--maxCores", "2")
    assert proc.returncode == 0, proc.stderr[-6000:]
    spans = result_of(proc)
    assert len(spans) == 4
    most_at_once = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert most_at_once == 2, spans


TOO_BIG_SCRIPT = """
    from toil.common import Toil
    from toil.job import Job
    from toil.batchSystems.abstractBatchSystem import InsufficientSystemResources

    def hungry(job):
        return 1

    if __name__ == "__main__":
        options = Job.Runner.getDefaultArgumentParser().parse_args()
        options.logLevel = "WARNING"
        try:
            with Toil(options) as toil:
                toil.start(Job.wrapJobFn(hungry, memory="500M"))
        except InsufficientSystemResources as error:
            print("RESULT " + __import__("json").dumps(str(error)))
"""


def test_oversized_job_in_a_workflow_names_the_option(tmp_path):
    proc = run_script(tmp_path, TOO_BIG_SCRIPT, tmp_path / "js", "--maxMemory", "100M")
    message = result_of(proc)
    assert '"--maxMemory"' in message
