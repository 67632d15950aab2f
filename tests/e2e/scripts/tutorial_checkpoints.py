# Section 12.15 "Checkpoints".
#
# The manual only shows ``Job(checkpoint=True)``; this script makes the
# described behaviour observable: "A checkpoint job is rerun if one or more of
# its successors fails its retry attempts, until it itself has exhausted its
# retry attempts. Upon restarting a checkpoint job all its existing successors
# are first deleted, and then the job is rerun to define new successors."
#
# The checkpoint job defines its successor inside its run method (checkpoints
# must have no successors when first defined).  The successor fails for as
# long as the checkpoint job has run only once, so the workflow only succeeds
# if the checkpoint job is rerun.  Each run of the checkpoint job is recorded
# in ``checkpointRuns.txt`` in the directory the workflow is launched from.
import os

from toil.common import Toil
from toil.job import Job


def countRuns(counterFile):
    with open(counterFile) as fh:
        return len(fh.readlines())


def checkpointed(job, counterFile):
    with open(counterFile, "a") as fh:
        fh.write("run\n")
    runs = countRuns(counterFile)
    job.log(f"Checkpoint job run number {runs}")
    job.addChildJobFn(successor, counterFile, runs)


def successor(job, counterFile, checkpointRun):
    if countRuns(counterFile) < 2:
        raise RuntimeError("Successor fails until its checkpoint job has been rerun")
    job.log(f"Successor defined by checkpoint run {checkpointRun} succeeded")


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    options = parser.parse_args()
    options.logLevel = "INFO"
    options.clean = "always"

    counterFile = os.path.abspath("checkpointRuns.txt")
    open(counterFile, "w").close()

    with Toil(options) as toil:
        toil.start(Job.wrapJobFn(checkpointed, counterFile, checkpoint=True))

    print(f"The checkpoint job ran {countRuns(counterFile)} times")
