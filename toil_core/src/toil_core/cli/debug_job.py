"""Debug tool for running a toil job locally.

``toil debug-job JOBSTORE JOBID`` runs one job of a workflow in this process, with the same
worker code a batch system would start, but with its output shown on the terminal (and a
debugger usable). The job store is updated as if a worker had run the job: on success its
successors are stored; on failure one try is charged and the log saved. Successors are never run
here. ``--printJobInfo`` only shows the job's stored description and files.
"""
from __future__ import annotations

import argparse
import logging
import os
from typing import Any, List

from toil_core.cli._common import CommandError, command, open_store
from toil_core.jobstores.errors import NoSuchJobException
from toil_core.worker.worker import run_worker
from toil_core.workflow.options import parser_with_common_options, set_logging_from_options

__all__ = ["main", "print_job_info", "find_job"]

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = parser_with_common_options(jobstore_option=True, prog="toil debug-job")
    parser.description = "Run one job of a workflow in this process, for debugging."
    parser.add_argument("jobID", nargs="?", default=None,
                        help="The job store ID of the job to run (see `toil status --printPerJobStats`); "
                             "a job's display name or job name works when it names a single job.")
    parser.add_argument("--printJobInfo", nargs="?", const=True, default=None, metavar="JOBID",
                        help="Print the stored description and files of the job (given here or as "
                             "jobID) instead of running it.")
    return parser


def find_job(store: Any, wanted: str) -> Any:
    """The description of job ``wanted``: an ID, or a name that matches exactly one job."""
    try:
        return store.load_job(wanted)
    except NoSuchJobException:
        pass
    matches = [j for j in store.jobs() if wanted in (j.displayName, j.jobName)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        ids = ", ".join(j.jobStoreID for j in matches)
        raise CommandError(f"Several jobs are named '{wanted}': {ids}. Give a job ID.")
    raise CommandError(f"Job '{wanted}' is not in the job store (it finished, or never existed).")


def _job_files(store: Any, desc: Any) -> List[str]:
    """Paths of the files a (file) job store keeps for the job."""
    root = getattr(store, "jobStoreDir", None)
    if root is None:
        return []
    found: List[str] = []
    job_dir = os.path.join(root, "files", "job", desc.jobStoreID[-2:], desc.jobStoreID)
    for directory, _, names in os.walk(job_dir):
        found.extend(os.path.join(directory, n) for n in sorted(names))
    for file_id in (desc.body_id, desc.checkpoint_body_id, desc.logJobStoreFileID, desc.rv_file_id,
                    desc.startJobStoreID, desc.terminateJobStoreID, desc.errorJobStoreID):
        if file_id:
            path = os.path.join(root, "files", str(file_id))
            if os.path.exists(path) and path not in found:
                found.append(path)
    return found


def print_job_info(store: Any, desc: Any) -> None:
    """Print every field of the job's description and the files stored for it."""
    print(f"Job {desc}")
    for name, value in desc.to_dict().items():
        if name != "schema":
            text = repr(value)
            if len(text) > 120:
                text = f"{text[:100]}... ({len(text)} characters)"
            print(f"    {name}: {text}")
    files = _job_files(store, desc)
    print(f"Files of job {desc.jobStoreID} in the job store ({len(files)}):")
    for path in files:
        print(f"    {path}")


@command
def main(argv: List[str]) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    set_logging_from_options(options)
    if isinstance(options.printJobInfo, str):
        wanted = options.printJobInfo
    elif options.jobID is not None:
        wanted = options.jobID
    else:
        parser.error("give the ID of a job (jobID or --printJobInfo JOBID)")
    store = open_store(options.jobStore)
    desc = find_job(store, wanted)
    if options.printJobInfo is not None:
        print_job_info(store, desc)
        return 0
    if desc.body_id is None:
        print(f"Job {desc} has already run; there is nothing to run.")
        return 0

    # Only this job: never chain on to its successors here.
    store.config.disableChaining = True
    logger.info("Running job %s in this process", desc)
    exit_code = run_worker(store, desc.jobStoreID, capture_output=False)
    if exit_code != 0:
        raise CommandError(f"Job {desc} failed (worker exit code {exit_code}); its traceback is above.",
                           exit_code)
    logger.info("Job %s succeeded", desc)
    return 0
