# Section 12.5 "Resuming a Workflow".
#
# The manual describes resuming without printing a script, so this one follows
# the pattern of section 12.3 (explicit start/restart branches on
# toil.options.restart).  The root job has two children: ``steady`` always
# succeeds, ``fragile`` fails ("programmatic error") until the marker file
# ``fixed.marker`` exists in the directory the workflow is launched from; once
# it exists the workflow can be resumed with --restart.
#
# Every job run is appended to ``jobRuns.log`` (same directory) so that one can
# see which jobs were rerun when the workflow was resumed.
import os

from toil.common import Toil
from toil.job import Job


def recordRun(runLog, name):
    with open(runLog, "a") as fh:
        fh.write(name + "\n")


def setup(job, markerFile, runLog):
    recordRun(runLog, "setup")
    job.addChildJobFn(steady, runLog)
    return job.addChildJobFn(fragile, markerFile, runLog).rv()


def steady(job, runLog):
    recordRun(runLog, "steady")


def fragile(job, markerFile, runLog):
    recordRun(runLog, "fragile")
    if not os.path.exists(markerFile):
        raise RuntimeError("Deliberate failure: marker file %s does not exist" % os.path.basename(markerFile))
    return "The resumed workflow finished"


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    options = parser.parse_args()

    markerFile = os.path.abspath("fixed.marker")
    runLog = os.path.abspath("jobRuns.log")

    with Toil(options) as toil:
        if not toil.options.restart:
            output = toil.start(Job.wrapJobFn(setup, markerFile, runLog))
        else:
            output = toil.restart()
    print(output)
