"""A workflow script WITHOUT the ``__main__`` guard that builds its options in code (a bad input)."""
from toil.common import Toil
from toil.job import Job


def f():
    return 1


options = Job.Runner.getDefaultOptions("./js")
options.retryCount = 0
with Toil(options) as toil:
    print("RESULT:", toil.start(Job.wrapFn(f)))
