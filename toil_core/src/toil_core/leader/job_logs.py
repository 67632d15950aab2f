"""The leader's part for job logs: failed jobs' worker output between the upstream markers,
--writeLogs / --writeLogsGzip files, and messages jobs sent with log() / logToMaster."""
from __future__ import annotations

import gzip
import json
import logging
import os
import re
import time
from typing import Any, Dict

from toil_core.job.description import JobDescription

logger = logging.getLogger("toil_core.leader.leader")

LOG_MARKER = "---TOIL WORKER OUTPUT LOG---"
#: Timestamps in log lines, ignored when comparing the logs of two attempts of a job.
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:[+-]\d{4}|Z)?")


class JobLogsMixin:
    """Methods of :class:`~toil_core.leader.leader.Leader` about job logs."""

    def _print_job_log(self, desc: JobDescription) -> None:
        file_id = desc.logJobStoreFileID
        self.printed_logs.add(file_id)
        try:
            with self.job_store.read_file_stream(file_id) as stream:
                text = stream.read().decode("utf-8", errors="replace")
        except Exception:
            return
        previous = self.failure_logs.get(desc.jobStoreID)
        self.failure_logs[desc.jobStoreID] = text
        self._write_log_file(desc, text)
        if previous is not None and _TIMESTAMP.sub("", previous) == _TIMESTAMP.sub("", text):
            logger.warning("Job %s failed again, with the same log as its previous attempt.", desc)
            return
        prefix = f"{desc.jobStoreID}"
        lines = [f"{prefix}    {LOG_MARKER}"] + [f"{prefix}    {line}" for line in text.splitlines()]
        lines.append(f"{prefix}    {LOG_MARKER}")
        logger.warning("Log from job %s follows:\n%s", desc, "\n".join(lines))

    def _write_log_file(self, desc: JobDescription, text: str) -> None:
        self._write_log_text(desc.jobName, str(desc.jobStoreID), text)

    def _write_log_text(self, job_name: str, job_id: str, text: str) -> None:
        """With --writeLogs/--writeLogsGzip: one file per received job log (retries get a number)."""
        directory = self.config.writeLogs or self.config.writeLogsGzip
        if not directory:
            return
        os.makedirs(directory, exist_ok=True)
        name = f"{job_name}_{job_id}".replace("/", "_").replace(" ", "-")
        extension = ".log.gz" if self.config.writeLogsGzip else ".log"
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

    def _read_logs(self, force: bool = False) -> None:
        now = time.time()
        # A store where looking for logs costs a request may ask for a longer pause between looks
        # (``log_poll_interval``, seconds); the final, forced read always looks.
        interval = float(getattr(self.job_store, "log_poll_interval", 0.5) or 0.5)
        if not force and now - self._last_logs < interval:
            return
        self._last_logs = now

        def handle(blob: Any) -> None:
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
