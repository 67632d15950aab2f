"""The leader's message bus and the files it is written to, for ``--writeMessages`` and ``toil status``.

Every run writes its messages to a file: the ``--writeMessages`` file, or else a private file in the
coordination directory. The job store records where (shared file ``messages-path``), so ``toil
status --printStatus`` on the leader's machine replays the live file while the workflow runs. When
the leader stops, a copy goes into the job store (shared file ``messages.txt``) and the private file
is removed, so the status of a finished or failed run needs no file outside the job store.
"""
from __future__ import annotations

import glob
import logging
import os
import shutil
import tempfile
import time
from typing import Any, Dict, Optional, Tuple

from toil_core.bus import (
    JobCompletedMessage,
    JobFailedMessage,
    JobIssuedMessage,
    JobMissingMessage,
    JobStatus,
    JobUpdatedMessage,
    MessageBus,
    QueueSizeMessage,
    replay_message_bus,
    replay_message_stream,
)
from toil_core.common.workdirs import get_coordination_dir
from toil_core.jobstores.errors import NoSuchFileException

__all__ = ["LeaderMessages", "MESSAGES_COPY", "MESSAGES_PATH_RECORD", "read_run_messages"]

logger = logging.getLogger(__name__)

#: Shared file naming the live messages file of the latest leader.
MESSAGES_PATH_RECORD = "messages-path"
#: Shared file holding the messages of the latest leader once it stopped.
MESSAGES_COPY = "messages.txt"
#: Seconds between writes of the buffered messages to the file (one system call each).
FLUSH_INTERVAL = 0.5


def _default_path(config: Any) -> str:
    directory = get_coordination_dir(config.workDir, config.coordination_dir)
    workflow = str(config.workflowID or "workflow")
    if config.workflowID and config.restart:
        # This leader holds the job store's lock: files of the workflow's earlier leaders here are
        # theirs, left behind if they were killed. (A new workflow has a new ID: nothing to look
        # for, and the directory, often /tmp, may hold thousands of files.)
        for stale in glob.glob(os.path.join(glob.escape(directory), f"toil-messages-{glob.escape(workflow)}-*.txt")):
            try:
                os.remove(stale)
            except OSError:
                pass
    handle, path = tempfile.mkstemp(prefix=f"toil-messages-{workflow}-", suffix=".txt", dir=directory)
    os.close(handle)
    return path


class LeaderMessages:
    """Publishes the leader's job events on a :class:`MessageBus` written to the run's messages file.

    The per-job methods only build a message and append one line to a buffer; :meth:`tick`
    (once per scheduling loop) writes the buffer out.
    """

    def __init__(self, config: Any, job_store: Any, batch_system: Any = None) -> None:
        self.bus = MessageBus()
        self.job_store = job_store
        self.path: Optional[str] = None
        self._private = False
        self._queue_size = -1
        self._flushed = 0.0
        #: With --clean always the job store goes away at the end: no copy of the messages then.
        self._keep_copy = config.clean != "always"
        self._connect(config.write_messages, config)
        set_bus = getattr(batch_system, "set_message_bus", None)
        if set_bus is not None:
            set_bus(self.bus)

    def _connect(self, requested: Optional[str], config: Any) -> None:
        try:
            path = requested or _default_path(config)
            self.bus.connect_output_file(path)
        except OSError as error:
            if requested:
                raise RuntimeError(f"Cannot write the leader's messages to --writeMessages {requested}: "
                                   f"{error}. Give a file in a writable directory.") from error
            logger.warning("Not keeping the leader's messages for 'toil status --printStatus': %s", error)
            return
        self.path, self._private = path, not requested
        try:
            with self.job_store.write_shared_file_stream(MESSAGES_PATH_RECORD) as stream:
                stream.write(path.encode("utf-8"))
        except Exception:
            logger.debug("Could not record the messages file in the job store", exc_info=True)

    # ------------------------------------------------------------------ per-job events
    def issued(self, job_type: str, job_id: str, batch_id: int) -> None:
        self.bus.publish(JobIssuedMessage(job_type, job_id, batch_id))

    def updated(self, job_type: str, job_id: str, exit_status: int) -> None:
        """The batch system reported the job's end (any exit status)."""
        self.bus.publish(JobUpdatedMessage(job_id, exit_status))
        self.bus.publish(JobCompletedMessage(job_type, job_id, exit_status))

    def failed(self, job_type: str, job_id: str) -> None:
        """The job has no tries left."""
        self.bus.publish(JobFailedMessage(job_type, job_id))

    def missing(self, job_id: str) -> None:
        """The batch system no longer knows the job."""
        self.bus.publish(JobMissingMessage(job_id))

    def tick(self, queue_size: int) -> None:
        """Once per scheduling loop: the number of issued jobs if it changed, and the messages
        written out if the last write was :data:`FLUSH_INTERVAL` ago (the loop runs at least once a
        second, so a reader lags at most about 1.5 s behind)."""
        if queue_size != self._queue_size:
            self._queue_size = queue_size
            self.bus.publish(QueueSizeMessage(queue_size))
        now = time.monotonic()
        if now - self._flushed >= FLUSH_INTERVAL:
            self._flushed = now
            self.bus.check()

    # ------------------------------------------------------------------ end of the run
    def close(self) -> None:
        """Close the file, keep a copy in the job store and remove a private file."""
        self.bus.close()
        if self.path is None:
            return
        if not self._keep_copy:
            self._remove_private()
            return
        try:
            with open(self.path, "rb") as source, \
                    self.job_store.write_shared_file_stream(MESSAGES_COPY) as target:
                shutil.copyfileobj(source, target)
        except Exception:
            logger.debug("Could not copy the leader's messages into the job store", exc_info=True)
            return
        self._remove_private()

    def _remove_private(self) -> None:
        if self._private and self.path is not None:
            try:
                os.unlink(self.path)
            except OSError:
                pass


def read_run_messages(job_store: Any) -> Tuple[Optional[str], Dict[str, JobStatus]]:
    """Where the latest run's messages are and each job's last state from them.

    The live file of a running leader on this machine comes first, then the copy the leader left
    in the job store. ``(None, {})`` if there is neither (a run before messages were kept, or a
    leader on another machine that is still running).
    """
    try:
        with job_store.read_shared_file_stream(MESSAGES_PATH_RECORD) as stream:
            live = stream.read().decode("utf-8").strip()
    except NoSuchFileException:
        live = ""
    if live and os.path.isfile(live):
        return live, replay_message_bus(live)
    try:
        with job_store.read_shared_file_stream(MESSAGES_COPY) as stream:
            return f"{MESSAGES_COPY} in the job store", replay_message_stream(stream)
    except NoSuchFileException:
        return None, {}
