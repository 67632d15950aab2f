"""A workflow script WITHOUT the ``if __name__ == "__main__":`` guard (a bad input, issue 14).

It parses its command line as the manual's scripts do; run by a worker, the module would start
the workflow again. Toil must refuse it with one message naming the guard.
"""
from toil.common import Toil
from toil.job import Job


def f():
    return 1


parser = Job.Runner.getDefaultArgumentParser()
options = parser.parse_args()
with Toil(options) as toil:
    print("RESULT:", toil.start(Job.wrapFn(f)))
