"""Two children that nap for --nap seconds each and return it; prints the total."""
from toil.common import Toil
from toil.job import Job

SMALL = {"cores": 0.2, "memory": "100M", "disk": "50M"}


def nap(job, seconds):
    import time

    time.sleep(seconds)
    return seconds


def root(job, seconds):
    return [job.addChildJobFn(nap, seconds, **SMALL).rv() for _ in range(2)]


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--nap", type=float, default=15)
    options = parser.parse_args()
    with Toil(options) as toil:
        result = toil.restart() if options.restart else toil.start(Job.wrapJobFn(root, options.nap, **SMALL))
    print(f"napped: {sum(result)}")
