"""``_toil_worker JOBNAME LOCATOR JOBID``: run one Toil job (used by non-local batch systems)."""
from __future__ import annotations

import logging
import os
import pickle
import sys
from typing import List, Optional

from toil_core.jobstores.locator import open_job_store
from toil_core.worker.worker import run_worker


def main(argv: Optional[List[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3:
        sys.stderr.write("usage: _toil_worker JOBNAME JOBSTORE_LOCATOR JOBSTORE_ID\n")
        return 2
    _job_name, locator, job_id = args
    logging.basicConfig(level=logging.INFO,
                        format="[%(asctime)s] [%(threadName)s] [%(levelname).1s] [%(name)s] %(message)s")

    job_store = open_job_store(locator)
    _emulate_leader_environment(job_store)
    code = run_worker(job_store, job_id)
    sys.exit(code) if argv is None else None
    return code


#: Variables that describe this host or session, never copied from the leader.
_HOST_SPECIFIC = {"HOSTNAME", "HOME", "PWD", "OLDPWD", "SHLVL", "TMPDIR", "TMP", "TEMP", "USER", "LOGNAME",
                  "DISPLAY", "XDG_RUNTIME_DIR", "SSH_AUTH_SOCK", "SSH_CLIENT", "SSH_CONNECTION", "SSH_TTY",
                  "TERM", "_", "MAIL", "SHELL", "LANG"}


def _emulate_leader_environment(job_store) -> None:  # type: ignore[no-untyped-def]
    """Apply the leader's environment (saved at start) except host-specific variables."""
    try:
        with job_store.read_shared_file_stream("environment.pickle") as stream:
            leader_env = pickle.load(stream)
    except Exception:
        return
    for name, value in leader_env.items():
        if name not in _HOST_SPECIFIC and not name.startswith(("SLURM_", "PBS_", "SGE_", "LSB_", "_CONDOR")):
            os.environ[name] = value


def workerScript(jobStore, config, jobName, jobStoreID, redirectOutputToLogFile=True):  # type: ignore[no-untyped-def]
    """Upstream-compatible name: run ``jobStoreID`` from ``jobStore``; returns 0 or 1."""
    return run_worker(jobStore, jobStoreID, capture_output=redirectOutputToLogFile)


if __name__ == "__main__":  # pragma: no cover
    main()
