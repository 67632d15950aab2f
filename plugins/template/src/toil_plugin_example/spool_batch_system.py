"""The example_spool batch system: jobs go to an external scheduler that is polled.

Everything that does not depend on the scheduler (a queue of jobs waiting for ``--maxJobs``,
one background thread submitting and polling all jobs in one call at most every
``--statePollingWait`` seconds, exit reasons, kills, ``--doubleMem``, shutdown) comes from
``SubmitAndPollBatchSystem`` in ``toil_core.plugin_api``; this class only says how to submit,
query and kill (here through :mod:`toil_plugin_example.spool`). The base class also hands
``submit`` the worker command with an absolute path, since nodes of a real scheduler need not
have the leader's virtual environment on their PATH.
"""
from __future__ import annotations

import os
import tempfile
from typing import Any, Dict, List

from toil_core.plugin_api import JOB_DONE, JOB_PENDING, JOB_RUNNING, SchedulerJobStatus, SubmitAndPollBatchSystem
from toil_core.plugin_api import SubmittedJob, settings_from

from toil_plugin_example.plugin import ExampleSpoolSettings
from toil_plugin_example.spool import Spool

_STATES = {"pending": JOB_PENDING, "running": JOB_RUNNING, "done": JOB_DONE}


class ExampleSpoolBatchSystem(SubmitAndPollBatchSystem):
    """Submits each job to the example spool and polls it."""

    scheduler_label = "the example spool"
    #: A job whose runner vanished without a status is reported LOST after this many seconds.
    lost_after = 10.0

    def __init__(self, config: Any, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        self.settings = settings_from(config, ExampleSpoolSettings)
        root = self.settings.example_spool_dir or tempfile.mkdtemp(prefix="toil-example-spool-")
        self.spool = Spool(os.path.abspath(root), shell=self.settings.example_spool_shell)
        super().__init__(config, maxCores, maxMemory, maxDisk)  # starts the polling thread

    def submit(self, job: SubmittedJob) -> str:
        return self.spool.submit(job.command, job.env)

    def query_jobs(self, scheduler_ids: List[str]) -> Dict[str, SchedulerJobStatus]:
        return {job_id: SchedulerJobStatus(_STATES[state], exit_code, elapsed=elapsed)
                for job_id, (state, exit_code, elapsed) in self.spool.query(scheduler_ids).items()}

    def kill_jobs(self, scheduler_ids: List[str]) -> None:
        self.spool.kill(scheduler_ids)
