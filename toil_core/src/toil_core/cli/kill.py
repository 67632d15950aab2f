"""Stop the running leader of a workflow.

``toil kill JOBSTORE``: if the workflow's leader runs on this machine it is sent SIGTERM
(SIGKILL with ``--force``); if it runs on another machine the kill flag in the job store is
set, and the leader, which polls it, shuts down within its polling interval. Either way the
leader stops its jobs. A workflow whose leader ran here and is no longer running (finished,
stopped, never started) has nothing to kill: that is an error (exit status 1).
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
from typing import List

from toil_core.cli._common import CommandError, command, leader_is_local, local_leader_pid, open_store
from toil_core.workflow.options import parser_with_common_options, set_logging_from_options

__all__ = ["main"]

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = parser_with_common_options(jobstore_option=True, prog="toil kill")
    parser.description = "Stop the running leader of a workflow (and so its jobs)."
    parser.add_argument("--force", action="store_true", default=False,
                        help="Send SIGKILL instead of SIGTERM to a leader on this machine. The leader "
                             "then gets no chance to stop its jobs or record its state.")
    return parser


@command
def main(argv: List[str]) -> int:
    options = build_parser().parse_args(argv)
    set_logging_from_options(options)
    store = open_store(options.jobStore)
    pid = local_leader_pid(store)
    if pid is not None:
        sig = signal.SIGKILL if options.force else signal.SIGTERM
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pid = None  # ended meanwhile; fall back to the flag
        except PermissionError as err:
            raise CommandError(f"Not allowed to signal the leader (process {pid}): {err}") from err
        else:
            logger.info("Sent %s to the leader, process %i", sig.name, pid)
            print("Toil process %i successfully terminated." % pid)
            return 0
    if leader_is_local(store):
        # The leader ran (or would run) here and no such process is alive: a flag would only
        # wait for a leader that never comes.
        raise CommandError(
            f"No leader is running for the workflow in job store '{options.jobStore}': it has "
            f"finished or stopped, or was never started, so there is nothing to kill. "
            f"('toil status {options.jobStore}' shows its state.)")
    store.write_kill_flag(kill=True)
    logger.info("Set the kill flag in job store %s; the leader checks it every %s seconds.",
                options.jobStore, store.config.kill_polling_interval)
    print("Asked the leader to terminate.")
    return 0
