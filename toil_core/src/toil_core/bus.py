"""The leader's message bus: typed events about jobs, for ``--writeMessages`` and ``toil status``.

Messages are small named tuples. The bus delivers them synchronously to subscribers and, when
connected to an output file, appends one line per message (``TypeName<TAB>json-fields``) so
another process (``toil status --printStatus``) can replay the run's job states.
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
from typing import IO, Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Type


class JobIssuedMessage(NamedTuple):
    job_type: str
    job_id: str
    toil_batch_id: int


class JobUpdatedMessage(NamedTuple):
    job_id: str
    result_status: int


class JobCompletedMessage(NamedTuple):
    job_type: str
    job_id: str
    exit_code: int


class JobFailedMessage(NamedTuple):
    job_type: str
    job_id: str


class JobMissingMessage(NamedTuple):
    job_id: str


class JobAnnotationMessage(NamedTuple):
    job_id: str
    annotation_name: str
    annotation_value: str


class ExternalBatchIdMessage(NamedTuple):
    toil_batch_id: int
    external_batch_id: str
    batch_system: str


class QueueSizeMessage(NamedTuple):
    queue_size: int


class ClusterSizeMessage(NamedTuple):
    instance_type: str
    current_size: int


class ClusterDesiredSizeMessage(NamedTuple):
    instance_type: str
    desired_size: int


MESSAGE_TYPES: Dict[str, Type[Any]] = {
    cls.__name__: cls
    for cls in (JobIssuedMessage, JobUpdatedMessage, JobCompletedMessage, JobFailedMessage,
                JobMissingMessage, JobAnnotationMessage, ExternalBatchIdMessage, QueueSizeMessage,
                ClusterSizeMessage, ClusterDesiredSizeMessage)
}


def message_to_bytes(message: Any) -> bytes:
    return f"{type(message).__name__}\t{json.dumps(list(message))}".encode()


def bytes_to_message(data: bytes) -> Any:
    name, _, fields = data.decode().rstrip("\n").partition("\t")
    cls = MESSAGE_TYPES.get(name)
    if cls is None:
        raise ValueError(f"Unknown message type {name!r}")
    return cls(*json.loads(fields))


class MessageBus:
    """Synchronous publish/subscribe of the message types above."""

    def __init__(self) -> None:
        self._subscribers: Dict[Type[Any], List[Callable[[Any], None]]] = {}
        self._lock = threading.Lock()
        self._outputs: List[IO[bytes]] = []

    def publish(self, message: Any) -> None:
        with self._lock:
            handlers = list(self._subscribers.get(type(message), ()))
            for output in self._outputs:
                output.write(message_to_bytes(message) + b"\n")
                output.flush()
        for handler in handlers:
            handler(message)

    def subscribe(self, message_type: Type[Any], handler: Callable[[Any], None]) -> Callable[[], None]:
        """Call ``handler`` for each message of ``message_type``; returns an unsubscribe function."""
        with self._lock:
            self._subscribers.setdefault(message_type, []).append(handler)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers.get(message_type, []).remove(handler)

        return unsubscribe

    def connect(self, message_types: List[Type[Any]]) -> "MessageInbox":
        inbox = MessageInbox()
        for message_type in message_types:
            self.subscribe(message_type, inbox._add)
        return inbox

    def connect_output_file(self, path: str) -> None:
        """Also append every message to ``path`` (for ``--writeMessages``)."""
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        with self._lock:
            self._outputs.append(open(path, "ab"))

    def close(self) -> None:
        with self._lock:
            for output in self._outputs:
                output.close()
            self._outputs = []

    def check(self) -> None:
        """Kept for upstream compatibility: delivery here is synchronous."""

    @staticmethod
    def scan_bus_messages(stream: IO[bytes], message_types: List[Type[Any]]) -> Iterator[Any]:
        wanted = {cls.__name__ for cls in message_types}
        for line in stream:
            name = line.split(b"\t", 1)[0].decode(errors="replace")
            if name in wanted:
                try:
                    yield bytes_to_message(line)
                except (ValueError, TypeError):
                    continue


class MessageInbox:
    """Collected messages for one connection."""

    def __init__(self) -> None:
        self._messages: List[Any] = []
        self._lock = threading.Lock()

    def _add(self, message: Any) -> None:
        with self._lock:
            self._messages.append(message)

    def count(self, message_type: Type[Any]) -> int:
        with self._lock:
            return sum(1 for m in self._messages if isinstance(m, message_type))

    def empty(self) -> bool:
        with self._lock:
            return not self._messages

    def for_each(self, message_type: Type[Any]) -> Iterator[Any]:
        with self._lock:
            selected = [m for m in self._messages if isinstance(m, message_type)]
            self._messages = [m for m in self._messages if not isinstance(m, message_type)]
        return iter(selected)


class JobStatus(NamedTuple):
    job_store_id: str
    name: str
    exit_code: int
    annotations: Dict[str, str]
    toil_batch_id: int
    external_batch_id: str
    batch_system: str

    def is_running(self) -> bool:
        return self.exit_code < 0


def replay_message_bus(path: str) -> Dict[str, JobStatus]:
    """Each job's last known state from a ``--writeMessages`` file."""
    states: Dict[str, JobStatus] = {}
    by_batch: Dict[int, str] = {}
    try:
        stream = open(path, "rb")
    except FileNotFoundError:
        return states
    with stream:
        for message in MessageBus.scan_bus_messages(stream, list(MESSAGE_TYPES.values())):
            if isinstance(message, JobIssuedMessage):
                states[message.job_id] = JobStatus(message.job_id, message.job_type, -1, {},
                                                   message.toil_batch_id, "", "")
                by_batch[message.toil_batch_id] = message.job_id
            elif isinstance(message, (JobCompletedMessage, JobUpdatedMessage)):
                code = message.exit_code if isinstance(message, JobCompletedMessage) else message.result_status
                state = states.get(message.job_id)
                if state is not None:
                    states[message.job_id] = state._replace(exit_code=code)
            elif isinstance(message, JobFailedMessage):
                state = states.get(message.job_id)
                if state is not None:
                    states[message.job_id] = state._replace(exit_code=max(state.exit_code, 1))
            elif isinstance(message, JobAnnotationMessage):
                state = states.get(message.job_id)
                if state is not None:
                    state.annotations[message.annotation_name] = message.annotation_value
            elif isinstance(message, ExternalBatchIdMessage):
                job_id = by_batch.get(message.toil_batch_id)
                if job_id in states:
                    states[job_id] = states[job_id]._replace(external_batch_id=message.external_batch_id,
                                                             batch_system=message.batch_system)
    return states


def gen_message_bus_path(directory: Optional[str] = None) -> str:
    """A fresh file path for a run's messages."""
    handle, path = tempfile.mkstemp(prefix="toil-messages-", suffix=".txt", dir=directory)
    os.close(handle)
    return path
