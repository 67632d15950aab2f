"""A small workflow for the toil-mesos tests: ``--jobs`` children under a root, each recording
every attempt (the agent it ran on, its pid) as a JSON file in ``--markerDir``.

``--holdFirst`` keeps each child's first attempt running until ``release`` appears in the marker
directory (so a test can kill its agent, or restart the master, while it runs); later attempts end
at once. ``--jobCores`` / ``--jobMemory`` / ``--preemptible`` set the children's requirements.
"""
import json
import os
import time

from toil.common import Toil
from toil.job import Job


def child(job, index, marker_dir, hold_first):
    attempts = sorted(n for n in os.listdir(marker_dir) if n.startswith(f"job{index}-"))
    attempt = len(attempts) + 1
    record = {"job": index, "attempt": attempt, "pid": os.getpid(),
              "agent": os.environ.get("MESOS_AGENT_ENDPOINT", ""), "sandbox": os.environ.get("MESOS_SANDBOX", "")}
    path = os.path.join(marker_dir, f"job{index}-{attempt}.json")
    with open(path + ".tmp", "w") as out:
        json.dump(record, out)
    os.rename(path + ".tmp", path)
    if hold_first and attempt == 1:
        deadline = time.time() + 120
        while not os.path.exists(os.path.join(marker_dir, "release")) and time.time() < deadline:
            time.sleep(0.1)
    return index * 10


def root(job, options):
    results = [job.addChildJobFn(child, i, options.markerDir, options.holdFirst, cores=options.jobCores,
                                 memory=options.jobMemory, disk="10M", preemptible=options.preemptible).rv()
               for i in range(options.jobs)]
    return job.addFollowOnJobFn(total, results, cores=0.1, memory="50M", disk="10M").rv()


def total(job, results):
    return sum(results)


def main():
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--markerDir", required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--jobCores", type=float, default=0.5)
    parser.add_argument("--jobMemory", default="100M")
    parser.add_argument("--preemptible", action="store_true")
    parser.add_argument("--holdFirst", action="store_true")
    options = parser.parse_args()
    with Toil(options) as toil:
        result = toil.restart() if options.restart else toil.start(
            Job.wrapJobFn(root, options, cores=0.1, memory="50M", disk="10M"))
    print(f"mesos workflow result: {result}")


if __name__ == "__main__":
    main()
