"""Jobs that send messages to the leader's log (job.log, fileStore.logToMaster) and print.

``python logging_wf.py JOBSTORE [toil options]``
"""
import logging

from toil.common import Toil
from toil.job import Job


def talker(job):
    job.log("job.log message ALPHA-1")
    job.fileStore.logToMaster("logToMaster message BETA-2")
    job.fileStore.logToMaster("warning message GAMMA-3", level=logging.WARNING)
    print("printed by a successful job DELTA-4")
    job.addChildJobFn(child_talker)


def child_talker(job):
    job.log("child message EPSILON-5")


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    options = parser.parse_args()
    with Toil(options) as toil:
        toil.start(Job.wrapJobFn(talker))
    print("RESULT: done")
