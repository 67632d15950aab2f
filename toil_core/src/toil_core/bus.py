"""The leader's message bus: typed events about jobs, for ``--writeMessages`` and ``toil status``.

Messages are small named tuples. The bus delivers them synchronously to subscribers and, when
connected to an output file, appends one line per message (``TypeName<TAB>json-fields``) so
another process (``toil status --printStatus``) can replay the run's job states.

Publishing is on the leader's per-job path, so it stays cheap: no plugin hooks, a dictionary
lookup for subscribers, and for files a hand-made JSON line into a buffer that :meth:`MessageBus.check`
flushes (the leader calls it once per scheduling loop), not one system call per message.
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
from json.encoder import encode_basestring_ascii as _json_string
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


def message_to_line(message: Any) -> str:
    """One output-file line (with its newline): ``TypeName<TAB>[json, fields]``."""
    fields = []
    for value in message:  # the JSON of the usual field types without json.dumps' overhead
        kind = value.__class__
        if kind is str:
            fields.append(_json_string(value))
        else:
            fields.append(repr(value) if kind is int else json.dumps(value))
    return f"{message.__class__.__name__}\t[{', '.join(fields)}]\n"


def message_to_bytes(message: Any) -> bytes:
    return message_to_line(message)[:-1].encode()


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
        self._outputs: List[IO[str]] = []
        self._unflushed = False

    def publish(self, message: Any) -> None:
        """Deliver ``message`` to its type's subscribers and append it to the output files."""
        if self._outputs:
            line = message_to_line(message)
            with self._lock:
                for output in self._outputs:
                    output.write(line)
                self._unflushed = True
        handlers = self._subscribers.get(message.__class__)
        if handlers:
            for handler in tuple(handlers):
                handler(message)

    def subscribe(self, message_type: Type[Any], handler: Callable[[Any], None]) -> Callable[[], None]:
        """Call ``handler`` for each message of ``message_type``; returns an unsubscribe function."""
        with self._lock:
            self._subscribers.setdefault(message_type, []).append(handler)

        def unsubscribe() -> None:
            with self._lock:
                handlers = self._subscribers.get(message_type, [])
                if handler in handlers:
                    handlers.remove(handler)

        return unsubscribe

    def connect(self, message_types: List[Type[Any]]) -> "MessageBusConnection":
        """A two-way connection that collects the messages of ``message_types`` from now on (read
        them with ``count``/``empty``/``for_each``) and can ``publish``."""
        connection = MessageBusConnection()
        connection._set_bus(self)
        for message_type in message_types:
            connection._unsubscribers.append(self.subscribe(message_type, connection._add))
        return connection

    def outbox(self) -> "MessageOutbox":
        """A connection that can only publish to this bus."""
        outbox = MessageOutbox()
        outbox._set_bus(self)
        return outbox

    def connect_output_file(self, path: str) -> None:
        """Also append every message to ``path`` (for ``--writeMessages``); written out by
        :meth:`check` and :meth:`close`."""
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        handle = open(path, "a", encoding="ascii", newline="\n", buffering=1 << 16)
        with self._lock:
            self._outputs.append(handle)

    def close(self) -> None:
        """Flush and close the output files; later messages only reach subscribers."""
        with self._lock:
            outputs, self._outputs = self._outputs, []
            for output in outputs:
                output.close()
            self._unflushed = False

    def check(self) -> None:
        """Write out the messages published since the last call (delivery to subscribers is
        synchronous; upstream's name for the leader's periodic call)."""
        if not self._unflushed:
            return
        with self._lock:
            for output in self._outputs:
                output.flush()
            self._unflushed = False

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


class MessageBusClient:
    """What inboxes and outboxes share: the bus they are connected to (None until connected)."""

    def __init__(self) -> None:
        self._bus: Optional[MessageBus] = None
        self._unsubscribers: List[Callable[[], None]] = []

    def _set_bus(self, bus: MessageBus) -> None:
        self._bus = bus

    def close(self) -> None:
        """Stop receiving (an inbox keeps what it already holds)."""
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers = []


class MessageInbox(MessageBusClient):
    """Messages collected for one connection, until read (the order is kept per type)."""

    def __init__(self) -> None:
        super().__init__()
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


class MessageOutbox(MessageBusClient):
    """A connection that publishes to its bus, so a component keeps one object, not the bus."""

    def publish(self, message: Any) -> None:
        """Publish ``message`` on the connected bus."""
        if self._bus is None:
            raise RuntimeError("This outbox is not connected to a message bus (use MessageBus.outbox()).")
        self._bus.publish(message)


class MessageBusConnection(MessageInbox, MessageOutbox):
    """A two-way connection: collects the messages of the types it asked for, and publishes."""


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
    """Each job's last known state from a ``--writeMessages`` file ({} if there is none)."""
    try:
        stream = open(path, "rb")
    except FileNotFoundError:
        return {}
    with stream:
        return replay_message_stream(stream)


def replay_message_stream(stream: IO[bytes]) -> Dict[str, JobStatus]:
    """Each job's last known state from the message lines of a binary stream."""
    states: Dict[str, JobStatus] = {}
    by_batch: Dict[int, str] = {}
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
