"""``_toil_worker JOBNAME LOCATOR JOBID``: run one Toil job (used by non-local batch systems)."""
from __future__ import annotations

import logging
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3:
        sys.stderr.write("usage: _toil_worker JOBNAME JOBSTORE_LOCATOR JOBSTORE_ID\n")
        return 2
    _job_name, locator, job_id = args
    logging.basicConfig(level=logging.INFO,
                        format="[%(asctime)s] [%(threadName)s] [%(levelname).1s] [%(name)s] %(message)s")
    from toil_core.common.locator import open_job_store
    from toil_core.worker.worker import run_worker

    code = run_worker(open_job_store(locator), job_id)
    sys.exit(code) if argv is None else None
    return code


def workerScript(jobStore, config, jobName, jobStoreID, redirectOutputToLogFile=True):  # type: ignore[no-untyped-def]
    """Upstream-compatible name: run ``jobStoreID`` from ``jobStore``; returns 0 or 1."""
    from toil_core.worker.worker import run_worker

    return run_worker(jobStore, jobStoreID, capture_output=redirectOutputToLogFile)


if __name__ == "__main__":  # pragma: no cover
    main()
