# Section 12.9 "Promises": the fragment showing that promises support indexing
# of return values, made runnable with the usual command-line boilerplate.
# The workflow is expected to FAIL: raiseWrap raises RuntimeError(2).
from toil.common import Toil
from toil.job import Job


def parent(job):
    indexable = Job.wrapJobFn(fn)
    job.addChild(indexable)
    job.addFollowOnFn(raiseWrap, indexable.rv(2))


def raiseWrap(arg):
    raise RuntimeError(arg)  # raises "2"


def fn(job):
    return (0, 1, 2, 3)


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    options = parser.parse_args()
    options.logLevel = "INFO"

    with Toil(options) as toil:
        toil.start(Job.wrapJobFn(parent))
