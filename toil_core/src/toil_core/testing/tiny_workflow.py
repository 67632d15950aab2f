"""A tiny Toil workflow for checking a backend end to end with real Toil workers.

``python -c "import sys; from toil_core.testing.tiny_workflow import main; sys.exit(main())" JOBSTORE
[toil options]`` (or :func:`toil_core.testing.run_tiny_workflow`). The root job runs a child that
stores a file through the file store and returns its ID; a follow-on reads the file back and
returns twice the number in it. Prints ``tiny workflow result: 42`` and exits 0 on success.

The job functions live in this importable module (not ``__main__``), so any worker that has
toil-core installed can load them.
"""
from __future__ import annotations

import sys
from typing import Any, List, Optional

from toil.common import Toil
from toil.job import Job


def store_number(job: Any, number: int) -> Any:
    with job.fileStore.writeGlobalFileStream(encoding="utf-8") as (handle, file_id):
        handle.write(str(number))
    return file_id


def double_stored_number(job: Any, file_id: Any) -> int:
    with job.fileStore.readGlobalFileStream(file_id, encoding="utf-8") as handle:
        return 2 * int(handle.read())


def root(job: Any, number: int) -> Any:
    child = job.addChildJobFn(store_number, number, cores=0.5, memory="50M", disk="10M")
    follow_on = job.addFollowOnJobFn(double_stored_number, child.rv(), cores=0.5, memory="50M", disk="10M")
    return follow_on.rv()


def main(argv: Optional[List[str]] = None) -> int:
    parser = Job.Runner.getDefaultArgumentParser()
    options = parser.parse_args(argv)
    options.clean = "always"
    with Toil(options) as toil:
        result = toil.start(Job.wrapJobFn(root, 21, cores=0.5, memory="50M", disk="10M"))
    print(f"tiny workflow result: {result}", flush=True)
    return 0 if result == 42 else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
