"""Delete the job store of a workflow and everything stored in it.

``toil clean JOBSTORE`` removes every artifact of the job store (for the ``file:`` job store, its
directory). A job store that does not exist is not an error: there is nothing to delete.
"""
from __future__ import annotations

import argparse
import logging
from typing import List

from toil_core.cli._common import CommandError, command, make_store
from toil_core.jobstores.errors import NoSuchJobStoreException
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
    try:
        store.resume()
        existed = True
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
    if existed:
        logger.info("Successfully deleted the job store: %s", options.jobStore)
    else:
        logger.info("The job store '%s' does not exist, so there is nothing to delete.", options.jobStore)
    return 0
