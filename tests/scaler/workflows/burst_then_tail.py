"""A wide burst of short jobs, then one long job alone: an autoscaled cluster should grow for
the burst and shrink to one node for the tail. Writes one JSON line per job to --markers."""
import json
import os
import socket
import time
from argparse import ArgumentParser

from toil.common import Toil
from toil.job import Job


def mark(job, marker_dir, name):
    with open(os.path.join(marker_dir, f"{name}-{os.getpid()}.json"), "w") as f:
        json.dump({"name": name, "host": os.environ.get("MESOS_AGENT_ENDPOINT", socket.gethostname()),
                   "time": time.time()}, f)


def short(job, marker_dir, i, seconds):
    time.sleep(seconds)
    mark(job, marker_dir, f"short{i}")


def tail(job, marker_dir, seconds):
    time.sleep(seconds)
    mark(job, marker_dir, "tail")


def root(job, marker_dir, width, short_seconds, tail_seconds):
    # The scaler estimates a job name it has not seen finish from the mean run time of the jobs that
    # did (as upstream): the root is the only one when the burst is queued, so it runs about as
    # long as a short job, or the burst's estimate would depend on how fast this machine starts it.
    time.sleep(short_seconds)
    for i in range(width):
        job.addChildJobFn(short, marker_dir, i, short_seconds, cores=1, memory="100M", disk="10M")
    job.addFollowOnJobFn(tail, marker_dir, tail_seconds, cores=1, memory="100M", disk="10M")


if __name__ == "__main__":
    parser = ArgumentParser()
    Job.Runner.addToilOptions(parser)
    parser.add_argument("--markers", required=True)
    parser.add_argument("--width", type=int, default=6)
    parser.add_argument("--shortSeconds", type=float, default=3)
    parser.add_argument("--tailSeconds", type=float, default=12)
    options = parser.parse_args()
    with Toil(options) as toil:
        toil.start(Job.wrapJobFn(root, options.markers, options.width, options.shortSeconds, options.tailSeconds,
                                 cores=1, memory="100M", disk="10M"))
    print("burst_then_tail done")
