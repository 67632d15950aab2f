"""Delete the job store of a workflow and everything stored in it.

``toil clean JOBSTORE`` removes every artifact of the job store (for the ``file:`` job store, its
directory). A job store that does not exist is not an error: there is nothing to delete.

It also removes what a leader that was killed (SIGKILL, a crash) left on this machine for the
workflow: its messages files (``toil-messages-<workflow>-*.txt``) and its node directory
(``toil-<workflow>``, after running the deferred functions orphaned there), unless that
workflow's leader is still running here; and the plugin of the workflow's batch system removes
the jobs such a leader left running (hook ``toil_clean_workflow``; the kubernetes batch system
deletes the workflow's Jobs and pods).
"""
from __future__ import annotations

import argparse
import glob
import logging
import os
import shutil
from typing import List

from toil_core.cli._common import CommandError, command, local_leader_pid, make_store
from toil_core.common.config import Config
from toil_core.common.workdirs import get_coordination_dir, get_toil_work_dir
from toil_core.filestores.deferred import DeferredFunctionManager
from toil_core.jobstores.errors import NoSuchJobStoreException
from toil_core.plugins.registry import clean_workflow
from toil_core.workflow.options import parser_with_common_options, set_logging_from_options

__all__ = ["main"]

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = parser_with_common_options(jobstore_option=True, prog="toil clean")
    parser.description = "Delete the job store of a workflow and everything stored in it."
    return parser


@command
def main(argv: List[str]) -> int:
    options = build_parser().parse_args(argv)
    set_logging_from_options(options)

    store = make_store(options.jobStore)
    leftovers: List[str] = []
    try:
        store.resume()
        existed = True
        if local_leader_pid(store) is None:
            leftovers = _node_leftovers(store.config)
        clean_workflow(store.config)  # e.g. the pods a killed leader left running
    except NoSuchJobStoreException:
        existed = False
    except Exception as err:  # unreadable config: still deletable
        logger.debug("Could not read the job store's config: %s", err)
        existed = True
    logger.info("Attempting to delete the job store")
    try:
        store.destroy()
    except (OSError, RuntimeError) as err:
        raise CommandError(f"Could not delete the job store '{options.jobStore}': {err}") from err
    _remove_leftovers(leftovers)
    if existed:
        logger.info("Successfully deleted the job store: %s", options.jobStore)
    else:
        logger.info("The job store '%s' does not exist, so there is nothing to delete.", options.jobStore)
    return 0


def _node_leftovers(config: Config) -> List[str]:
    """This machine's files of the workflow that a killed leader would have left behind."""
    workflow = config.workflowID
    if not workflow:
        return []
    work_dir = get_toil_work_dir(config.workDir)
    coordination = get_coordination_dir(config.workDir, config.coordination_dir)
    found = [os.path.join(work_dir, f"toil-{workflow}")]
    for directory in dict.fromkeys([coordination, work_dir]):
        found += glob.glob(os.path.join(glob.escape(directory), f"toil-messages-{glob.escape(workflow)}-*.txt"))
    return [path for path in found if os.path.lexists(path)]


def _remove_leftovers(paths: List[str]) -> None:
    for path in paths:
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                DeferredFunctionManager.cleanupWorker(path)  # what the dead workers left to do
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.remove(path)
            logger.info("Removed %s, left behind by the workflow's last leader", path)
        except OSError as err:
            logger.warning("Could not remove %s: %s", path, err)
