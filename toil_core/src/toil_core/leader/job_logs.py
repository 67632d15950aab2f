"""The leader's part for job logs: failed jobs' worker output between the upstream markers,
--writeLogs / --writeLogsGzip files, and messages jobs sent with log() / logToMaster."""
from __future__ import annotations

import gzip
import json
import logging
import os
import re
import time
from typing import Any, Dict, List, Set

from toil_core.common.config import Config
from toil_core.job.description import JobDescription
from toil_core.jobstores.abstract import AbstractJobStore

logger = logging.getLogger("toil_core.leader.leader")

LOG_MARKER = "---TOIL WORKER OUTPUT LOG---"
#: Timestamps in log lines, ignored when comparing the logs of two attempts of a job.
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:[+-]\d{4}|Z)?")


class JobLogs:
    """The leader's job logs: which failure logs it printed, the last log of each failed job,
    and the log blobs workers send (messages, logs of jobs that succeeded)."""

    def __init__(self, config: Config, job_store: AbstractJobStore) -> None:
        self.config = config
        self.job_store = job_store
        #: Failure logs (job-store file IDs) already printed.
        self.printed: Set[str] = set()
        #: job ID -> the text of its latest failure log.
        self.failure_logs: Dict[str, str] = {}
        self._last_read = 0.0

    def has_new_failure_log(self, desc: JobDescription) -> bool:
        """Whether ``desc`` holds a failure log not printed yet (one the worker recorded)."""
        return bool(desc.logJobStoreFileID) and desc.logJobStoreFileID not in self.printed

    def print_new_failure_log(self, desc: JobDescription) -> None:
        """Print ``desc``'s failure log unless it was printed already."""
        if self.has_new_failure_log(desc):
            self.print_job_log(desc)

    def logs_of(self, job_ids: Set[str]) -> List[str]:
        """The failure logs of these jobs, each headed by its job ID (for FailedJobsException)."""
        return [f"Log from job {job_id}:\n{text}" for job_id, text in self.failure_logs.items()
                if job_id in job_ids]

    def print_job_log(self, desc: JobDescription) -> None:
        """Log the failure log of ``desc`` between the upstream markers (once per distinct text)."""
        file_id = desc.logJobStoreFileID
        if not file_id:
            return
        self.printed.add(file_id)
        try:
            with self.job_store.read_file_stream(file_id) as stream:
                text = stream.read().decode("utf-8", errors="replace")
        except Exception:
            return
        previous = self.failure_logs.get(desc.stored_id)
        self.failure_logs[desc.stored_id] = text
        self.write_log_file(desc, text)
        if previous is not None and _TIMESTAMP.sub("", previous) == _TIMESTAMP.sub("", text):
            logger.warning("Job %s failed again, with the same log as its previous attempt.", desc)
            return
        prefix = f"{desc.stored_id}"
        lines = [f"{prefix}    {LOG_MARKER}"] + [f"{prefix}    {line}" for line in text.splitlines()]
        lines.append(f"{prefix}    {LOG_MARKER}")
        logger.warning("Log from job %s follows:\n%s", desc, "\n".join(lines))

    def write_log_file(self, desc: JobDescription, text: str) -> None:
        self._write_log_text(desc.jobName, str(desc.stored_id), text)

    def _write_log_text(self, job_name: str, job_id: str, text: str) -> None:
        write_log_text(self.config, job_name, job_id, text)

    def _received_worker_log(self, worker_log: Dict[str, Any]) -> None:
        """The output of jobs that succeeded (sent with --writeLogsFromAllJobs or at DEBUG level)."""
        jobs = worker_log.get("jobs") or [["job", "unknown"]]
        job_name, job_id = jobs[0]
        text = str(worker_log.get("text", ""))
        if logger.isEnabledFor(logging.DEBUG):
            lines = [f"{job_id}    {line}" for line in text.splitlines()]
            logger.debug("Received Toil worker log. Disable debug level logging to hide this output\n%s",
                         "\n".join(lines))
        self._write_log_text(job_name, job_id, text)

    def read(self, force: bool = False) -> None:
        """Handle the log blobs workers sent (at most every ``log_poll_interval`` of the store, half a
        second by default, unless ``force``)."""
        now = time.time()
        # A store where looking for logs costs a request may ask for a longer pause between looks
        # (``log_poll_interval``, seconds); the final, forced read always looks.
        interval = float(getattr(self.job_store, "log_poll_interval", 0.5) or 0.5)
        if not force and now - self._last_read < interval:
            return
        self._last_read = now

        def handle(blob: Any) -> None:  # a stream, or the bytes of one
            try:
                data = json.loads(blob if isinstance(blob, (str, bytes)) else blob.read())
            except Exception:
                return
            for message in data.get("logs", []):
                logger.log(int(message.get("level", logging.INFO)),
                           "Got message from job at time %s: %s", time.strftime("%m-%d-%Y %H:%M:%S"),
                           message.get("text"))
            if data.get("worker_log"):
                self._received_worker_log(data["worker_log"])

        try:
            self.job_store.read_logs(handle)
        except Exception:
            logger.debug("Could not read job logs", exc_info=True)


def write_log_text(config: Config, job_name: str, job_id: str, text: str) -> None:
    """With --writeLogs/--writeLogsGzip: one file per received job log (retries get a number)."""
    directory = config.writeLogs or config.writeLogsGzip
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    name = f"{job_name}_{job_id}".replace("/", "_").replace(" ", "-")
    extension = ".log.gz" if config.writeLogsGzip else ".log"
    path = os.path.join(directory, name + extension)
    attempt = 1
    while os.path.exists(path):  # a retried job: keep every attempt's log
        attempt += 1
        path = os.path.join(directory, f"{name}_{attempt}{extension}")
    if extension == ".log.gz":
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        with open(path, "w") as handle:
            handle.write(text)
