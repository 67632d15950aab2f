"""Upstream's ``StatsAndLogging`` thread, on this engine's :class:`~toil_core.leader.job_logs.JobLogs`.

The leader reads the log blobs workers leave in the job store (messages jobs sent with ``log()``,
the output of jobs under ``--writeLogsFromAllJobs``) from its main loop. Code written against
upstream starts a separate thread for this with ``StatsAndLogging(jobStore, config).start()``;
this class is that thread, doing the same reading through a :class:`JobLogs`, plus upstream's
class methods for formatting and writing job logs.
"""
from __future__ import annotations

import logging
import threading
from typing import IO, Callable, List, Optional, Union

from toil_core.common.config import Config
from toil_core.jobstores.abstract import AbstractJobStore
from toil_core.leader.job_logs import LOG_MARKER, JobLogs, write_log_text

__all__ = ["StatsAndLogging"]

logger = logging.getLogger("toil_core.leader.stats_and_logging")

#: Seconds between two reads of the job store's log blobs.
POLL_SECONDS = 0.5


class StatsAndLogging:
    """A thread that keeps handling the log blobs workers write to ``jobStore`` until shut down."""

    def __init__(self, jobStore: AbstractJobStore, config: Config) -> None:
        self.jobStore = jobStore
        self.config = config
        self._stop = threading.Event()
        self._failure: Optional[BaseException] = None
        self._worker = threading.Thread(target=self._run, name="StatsAndLogging", daemon=True)

    def _run(self) -> None:
        try:
            self.statsAndLoggingAggregator(self.jobStore, self._stop, self.config)
        except BaseException as err:  # reported by check()
            self._failure = err

    def start(self) -> None:
        """Start the thread."""
        self._worker.start()

    def check(self) -> None:
        """Raise RuntimeError if the thread has quit before :meth:`shutdown`."""
        if not self._worker.is_alive() and not self._stop.is_set():
            raise RuntimeError(f"The stats and logging thread has quit: {self._failure!r}")

    def shutdown(self) -> None:
        """Stop the thread after a last read of the logs, and wait for it."""
        self._stop.set()
        if self._worker.is_alive():
            self._worker.join()

    @classmethod
    def statsAndLoggingAggregator(cls, jobStore: AbstractJobStore, stop: threading.Event, config: Config) -> None:
        """Handle the log blobs in ``jobStore`` (logging jobs' messages, writing ``--writeLogs``
        files) until ``stop`` is set, then once more."""
        logs = JobLogs(config, jobStore)
        while not stop.wait(POLL_SECONDS):
            logs.read(force=True)
        logs.read(force=True)

    @classmethod
    def formatLogStream(cls, stream: Union[IO[str], IO[bytes]], job_name: Optional[str] = None) -> str:
        """The text of a job's log read from ``stream``, headed and closed by the worker-log
        markers and each line indented under the job's name, as the leader prints it."""
        data = stream.read()
        text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
        prefix = f"{job_name}    " if job_name is not None else "    "
        lines = [f"Log from job \"{job_name}\" follows:", f"{prefix}{LOG_MARKER}"]
        lines += [f"{prefix}{line}" for line in text.splitlines()]
        lines.append(f"{prefix}{LOG_MARKER}")
        return "\n".join(lines)

    @classmethod
    def logWithFormatting(cls, jobStoreID: str, jobLogs: Union[IO[str], IO[bytes]],
                          method: Callable[[str], None] = logger.debug, message: Optional[str] = None) -> None:
        """Pass the formatted log of job ``jobStoreID`` (after ``message``, if given) to ``method``."""
        if message is not None:
            method(message)
        method(cls.formatLogStream(jobLogs, jobStoreID))

    @classmethod
    def writeLogFiles(cls, jobNames: List[str], jobLogList: List[str], config: Config, failed: bool = False) -> None:
        """With ``--writeLogs``/``--writeLogsGzip``, write one log file for the job named first in
        ``jobNames`` holding the lines ``jobLogList`` (files of retried jobs get a number)."""
        name = jobNames[0] if jobNames else "job"
        text = "".join(line if line.endswith("\n") else line + "\n" for line in jobLogList)
        write_log_text(config, name, "FAILED" if failed else "log", text)

