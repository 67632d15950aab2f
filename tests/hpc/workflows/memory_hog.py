"""A one-job workflow whose job uses more memory than it asked for (--hogMiB vs --jobMemory)."""
import time

from toil.common import Toil
from toil.job import Job


def hog(job, mib, seconds):
    data = bytearray(mib * 2**20)
    for i in range(0, len(data), 4096):  # touch every page so it is resident
        data[i] = 1
    time.sleep(seconds)
    return len(data) // 2**20


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--hogMiB", type=int, required=True)
    parser.add_argument("--jobMemory", required=True)
    parser.add_argument("--hogSeconds", type=float, default=20)
    options = parser.parse_args()
    options.clean = "always"
    with Toil(options) as toil:
        used = toil.start(Job.wrapJobFn(hog, options.hogMiB, options.hogSeconds, cores=1,
                                        memory=options.jobMemory, disk="10M"))
    print(f"the job held {used} MiB")
