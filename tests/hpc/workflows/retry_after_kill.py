"""A one-job workflow whose first attempt waits to be killed by the scheduler; the retry succeeds.

Each attempt leaves ``attempt-N.json`` in --markerDir with the scheduler's ID for the job, so a
test can kill it with the scheduler's own command (scancel, qdel, condor_rm...).
"""
import json
import os
import re
import time

from toil.common import Toil
from toil.job import Job


def scheduler_job_id():
    for name in ("SLURM_JOB_ID", "JOB_ID", "PBS_JOBID", "LSB_JOBID"):
        if os.environ.get(name):
            return os.environ[name]
    ad = os.environ.get("_CONDOR_JOB_AD")
    if ad and os.path.exists(ad):
        match = re.search(r"^ClusterId\s*=\s*(\d+)", open(ad).read(), re.MULTILINE)
        if match:
            return match.group(1)
    return None


def attempt(job, marker_dir):
    number = len([f for f in os.listdir(marker_dir) if f.startswith("attempt-")]) + 1
    path = os.path.join(marker_dir, f"attempt-{number}.json")
    with open(path + ".tmp", "w") as handle:
        json.dump({"scheduler_id": scheduler_job_id(), "pid": os.getpid()}, handle)
    os.rename(path + ".tmp", path)
    if number == 1:
        time.sleep(600)
    return number


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--markerDir", required=True)
    options = parser.parse_args()
    options.clean = "always"
    with Toil(options) as toil:
        tries = toil.start(Job.wrapJobFn(attempt, options.markerDir, cores=1, memory="300M", disk="10M"))
    print(f"finished after {tries} attempts")
