"""Real-time logging from jobs to the leader over UDP (``toil.realtimeLogger``).

In a job, ``RealtimeLogger.info("...")`` sends the record as one JSON datagram to the leader.
The leader runs a small UDP server (``with RealtimeLogger.start_server("INFO"):`` or the
upstream-style ``with RealtimeLogger(batchSystem, level):``) and re-emits what it receives
through its own logging under the logger name ``toil-rt``. The server's address and level reach
workers through the ``TOIL_RT_LOGGING_ADDRESS`` / ``TOIL_RT_LOGGING_LEVEL`` environment
variables; when they are absent, real-time messages are silently dropped.
"""
from __future__ import annotations

import json
import logging
import logging.handlers
import os
import socketserver
import threading
from types import TracebackType
from typing import Any, Dict, Optional, Tuple, Type

logger = logging.getLogger(__name__)

LOGGER_NAME = "toil-rt"
#: Attribute set on records re-emitted by the leader so they are never sent out again.
_RELAYED = "_toil_rt_relayed"
_RECORD_FIELDS = ("name", "levelname", "levelno", "pathname", "filename", "module", "lineno", "funcName",
                  "created", "msecs", "relativeCreated", "thread", "threadName", "processName", "process")


class LoggingDatagramHandler(socketserver.BaseRequestHandler):
    """Leader side: turn each received JSON datagram back into a log record under ``toil-rt``."""

    def handle(self) -> None:
        data = self.request[0]
        try:
            fields = json.loads(data.decode("utf-8"))
            if not isinstance(fields, dict):
                raise ValueError("not a JSON object")
        except (UnicodeDecodeError, ValueError) as e:
            logger.debug("Ignoring malformed real-time log datagram from %s: %s", self.client_address, e)
            return
        fields.update({"name": LOGGER_NAME, "args": None, "exc_info": None, _RELAYED: True})
        logging.getLogger(LOGGER_NAME).handle(logging.makeLogRecord(fields))


class JSONDatagramHandler(logging.handlers.DatagramHandler):
    """Worker side: send records as bare JSON datagrams (keep each under ~64 KiB)."""

    def makePickle(self, record: logging.LogRecord) -> bytes:
        fields: Dict[str, Any] = {k: getattr(record, k, None) for k in _RECORD_FIELDS}
        fields["msg"] = record.getMessage()
        if record.exc_info:
            fields["exc_text"] = logging.Formatter().formatException(record.exc_info)
        elif record.exc_text:
            fields["exc_text"] = record.exc_text
        return json.dumps(fields, default=str).encode("utf-8")

    def emit(self, record: logging.LogRecord) -> None:
        if not getattr(record, _RELAYED, False):
            super().emit(record)


class RealtimeLoggerMetaclass(type):
    """Let ``RealtimeLogger.<attr>`` fall back to the real-time :class:`logging.Logger`."""

    def __getattr__(cls, name: str) -> Any:
        return getattr(cls.getLogger(), name)


class RealtimeLogger(metaclass=RealtimeLoggerMetaclass):
    """Logger that sends messages from jobs to the leader in real time.

    Instances are leader-side context managers that run the receiving server; the class methods
    (``info``, ``warning``, ...) are what jobs call.
    """

    envPrefix = "TOIL_RT_LOGGING_"
    defaultLevel = "INFO"
    lock = threading.RLock()
    loggingServer: Optional[socketserver.UDPServer] = None
    serverThread: Optional[threading.Thread] = None
    initialized = 0
    logger: Optional[logging.Logger] = None
    _configured_for: Optional[Tuple[Optional[str], Optional[str]]] = None
    _saved_env: Dict[str, Optional[str]] = {}

    def __init__(self, batchSystem: Any = None, level: Optional[str] = defaultLevel,
                 host: str = "127.0.0.1") -> None:
        self._batchSystem = batchSystem
        self._level = level
        self._host = host

    @classmethod
    def start_server(cls, level: Optional[str] = defaultLevel, batch_system: Any = None,
                     host: str = "127.0.0.1") -> "RealtimeLogger":
        """Return a context manager that runs the leader-side server while active.

        ``level`` None or ``'OFF'`` disables real-time logging (workers drop their messages).
        """
        return cls(batch_system, level=level, host=host)

    def __enter__(self) -> None:
        with RealtimeLogger.lock:
            if RealtimeLogger.initialized == 0:
                RealtimeLogger._start_leader(self._batchSystem, self._level, self._host)
            RealtimeLogger.initialized += 1

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc_val: Optional[BaseException],
                 exc_tb: Optional[TracebackType]) -> None:
        with RealtimeLogger.lock:
            RealtimeLogger.initialized -= 1
            if RealtimeLogger.initialized == 0:
                RealtimeLogger._stop_leader()

    @classmethod
    def _set_env(cls, batch_system: Any, name: str, value: Optional[str]) -> None:
        key = cls.envPrefix + name
        cls._saved_env.setdefault(key, os.environ.get(key))
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
            if batch_system is not None and hasattr(batch_system, "setEnv"):
                batch_system.setEnv(key, value)

    @classmethod
    def _start_leader(cls, batch_system: Any, level: Optional[str], host: str) -> None:
        if level is None or str(level).upper() == "OFF":
            cls._set_env(batch_system, "ADDRESS", None)
            cls._set_env(batch_system, "LEVEL", None)
            return
        server = socketserver.ThreadingUDPServer((host, 0), LoggingDatagramHandler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, name="toil-rt-server", daemon=True)
        thread.start()
        cls.loggingServer, cls.serverThread = server, thread
        bound = server.server_address[0]
        bound_host = bound.decode() if isinstance(bound, bytes) else str(bound)
        address = f"{bound_host}:{server.server_address[1]}"
        logger.debug("Real-time logging server listening on %s", address)
        cls._set_env(batch_system, "ADDRESS", address)
        cls._set_env(batch_system, "LEVEL", logging.getLevelName(_level_number(level)))

    @classmethod
    def _stop_leader(cls) -> None:
        if cls.loggingServer is not None:
            cls.loggingServer.shutdown()
            cls.loggingServer.server_close()
            if cls.serverThread is not None:
                cls.serverThread.join(timeout=5)
        cls.loggingServer = cls.serverThread = None
        for key, value in cls._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        cls._saved_env = {}

    @classmethod
    def getLogger(cls) -> logging.Logger:
        """The ``toil-rt`` logger, (re)configured from the environment to send to the leader.

        On the leader the message is also shown by its normal handlers, so it may appear twice.
        """
        with cls.lock:
            address = os.environ.get(cls.envPrefix + "ADDRESS")
            level = os.environ.get(cls.envPrefix + "LEVEL")
            rt_logger = logging.getLogger(LOGGER_NAME)
            if cls.logger is None or cls._configured_for != (address, level):
                for handler in [h for h in rt_logger.handlers if isinstance(h, JSONDatagramHandler)]:
                    rt_logger.removeHandler(handler)
                    handler.close()
                if address:
                    host, _, port = address.rpartition(":")
                    rt_logger.addHandler(JSONDatagramHandler(host, int(port)))
                    rt_logger.setLevel(_level_number(level or cls.defaultLevel))
                else:
                    # Not configured: drop everything, quietly.
                    rt_logger.setLevel(logging.CRITICAL + 1)
                cls.logger, cls._configured_for = rt_logger, (address, level)
            return cls.logger

    @classmethod
    def debug(cls, msg: Any, *args: Any, **kwargs: Any) -> None:
        cls.getLogger().debug(msg, *args, **kwargs)

    @classmethod
    def info(cls, msg: Any, *args: Any, **kwargs: Any) -> None:
        cls.getLogger().info(msg, *args, **kwargs)

    @classmethod
    def warning(cls, msg: Any, *args: Any, **kwargs: Any) -> None:
        cls.getLogger().warning(msg, *args, **kwargs)

    @classmethod
    def error(cls, msg: Any, *args: Any, **kwargs: Any) -> None:
        cls.getLogger().error(msg, *args, **kwargs)

    @classmethod
    def critical(cls, msg: Any, *args: Any, **kwargs: Any) -> None:
        cls.getLogger().critical(msg, *args, **kwargs)

    @classmethod
    def exception(cls, msg: Any, *args: Any, **kwargs: Any) -> None:
        cls.getLogger().exception(msg, *args, **kwargs)


def _level_number(level: Any) -> int:
    """Map 'INFO', 'warn', 20 ... to a logging level number (unknown names -> INFO)."""
    if isinstance(level, int):
        return level
    name = str(level).upper()
    name = {"WARN": "WARNING", "OFF": "CRITICAL"}.get(name, name)
    number = logging.getLevelName(name)
    return number if isinstance(number, int) else logging.INFO
