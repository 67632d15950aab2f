"""Two children that sleep long enough to be killed while they run."""
from toil.common import Toil
from toil.job import Job

SMALL = {"cores": 0.2, "memory": "100M", "disk": "50M"}


def nap(job, seconds):
    import time

    time.sleep(seconds)
    return seconds


def root(job):
    return [job.addChildJobFn(nap, 300, **SMALL).rv() for _ in range(2)]


if __name__ == "__main__":
    options = Job.Runner.getDefaultArgumentParser().parse_args()
    with Toil(options) as toil:
        print(toil.start(Job.wrapJobFn(root, **SMALL)))
