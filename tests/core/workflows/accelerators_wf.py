"""Jobs that ask for accelerators and record the devices they were given.

``python accelerators_wf.py JOBSTORE --out DIR [--jobs N] [--request SPEC|none] [toil options]``

Each job appends ``job <i> CUDA_VISIBLE_DEVICES=<value>`` to ``DIR/devices.log``, claims each of
its devices by creating ``DIR/dev-<id>.lock`` exclusively (a second job holding the same device
at the same time records ``SHARED <id>`` in ``DIR/violations.log``), keeps them for ``--hold``
seconds so that jobs overlap, then releases them.
"""
import os
import time

from toil.common import Toil
from toil.job import Job


def use_devices(job, index, out, hold):
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    with open(os.path.join(out, "devices.log"), "a") as log:
        log.write(f"job {index} CUDA_VISIBLE_DEVICES={visible}\n")
    claimed = []
    for device in [d for d in (visible or "").split(",") if d]:
        path = os.path.join(out, f"dev-{device}.lock")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            claimed.append(path)
        except FileExistsError:
            with open(os.path.join(out, "violations.log"), "a") as log:
                log.write(f"SHARED {device} by job {index}\n")
    time.sleep(hold)  # hold the devices so that a wrongly shared one would be seen
    for path in claimed:
        os.remove(path)
    return visible


def fan_out(job, count, request, out, hold):
    extra = {} if request == "none" else {"accelerators": [request]}
    return [job.addChildJobFn(use_devices, i, out, hold, cores=0.1, memory="50M", disk="1M", **extra).rv()
            for i in range(count)]


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--request", default="cuda:1")
    parser.add_argument("--hold", type=float, default=0.5)
    options = parser.parse_args()
    with Toil(options) as toil:
        result = toil.start(Job.wrapJobFn(fan_out, options.jobs, options.request, options.out, options.hold,
                                          cores=0.1, memory="50M", disk="1M"))
    print("RESULT:", sorted(str(r) for r in result))
