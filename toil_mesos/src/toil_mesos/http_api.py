"""The wire format of the Mesos v1 HTTP APIs, shared by the scheduler driver and the executor.

Both APIs are a POST of a JSON call to ``/api/v1/scheduler`` (or ``/api/v1/executor``). A
``SUBSCRIBE`` call is answered by a chunked stream of RecordIO records (``<length>\\n<json>``),
one event each; every other call is answered ``202 Accepted``. Bytes fields (``data``, a status
update's ``uuid``) are base64 in JSON. This is the protocol pymesos speaks; it needs nothing but
:mod:`http.client`.
"""
from __future__ import annotations

import base64
import http.client
import json
import re
from typing import Any, Dict, Iterator, Optional, Tuple
from urllib.parse import urlsplit

from toil_core.plugin_api import ToilError

__all__ = ["ApiError", "EventStream", "call", "decode_data", "encode_data", "open_stream", "parse_endpoint"]

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class ApiError(ToilError):
    """A call the master or agent refused (HTTP status other than 200/202), or a broken stream."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status


def parse_endpoint(endpoint: str) -> Tuple[str, int]:
    """``(host, port)`` of ``HOST:PORT`` or ``http://HOST:PORT`` (port 5050 when left out).

    ZooKeeper URLs (``zk://``) are refused with the cure: name the leading master instead.
    """
    text = endpoint.strip()
    if text.startswith("zk://"):
        raise ValueError(f"The Mesos endpoint {endpoint!r} is a ZooKeeper URL, which toil-mesos does not read; "
                         "give the master as HOST:PORT with --mesosEndpoint (a standby master redirects to "
                         "the leading one).")
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"Cannot read the Mesos endpoint {endpoint!r}: give it as HOST:PORT, e.g. "
                         "--mesosEndpoint 10.0.0.5:5050.")
    try:
        port = parts.port or 5050
    except ValueError:
        raise ValueError(f"Cannot read the port of the Mesos endpoint {endpoint!r}: give it as HOST:PORT.") from None
    return parts.hostname, port


def encode_data(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def decode_data(value: Optional[str]) -> bytes:
    return base64.b64decode(value) if value else b""


def _post(host: str, port: int, path: str, body: Dict[str, Any], headers: Dict[str, str],
          timeout: float) -> http.client.HTTPConnection:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    connection.request("POST", path, body=json.dumps(body).encode(), headers={**JSON_HEADERS, **headers})
    return connection


def call(host: str, port: int, path: str, body: Dict[str, Any], headers: Optional[Dict[str, str]] = None,
         timeout: float = 30.0) -> Tuple[int, Dict[str, str], bytes]:
    """POST one call; returns ``(status, headers, body)``. Network errors propagate (OSError)."""
    connection = _post(host, port, path, body, headers or {}, timeout)
    try:
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


class EventStream:
    """The RecordIO event stream answering a ``SUBSCRIBE`` call."""

    def __init__(self, connection: http.client.HTTPConnection, response: http.client.HTTPResponse) -> None:
        self.connection = connection
        self.response = response
        self.stream_id = response.getheader("Mesos-Stream-Id")
        self._buffer = b""

    def set_timeout(self, seconds: Optional[float]) -> None:
        """Fail a read that waits longer than this (a missed heartbeat means a dead master)."""
        if self.connection.sock is not None:
            self.connection.sock.settimeout(seconds)

    def events(self) -> Iterator[Dict[str, Any]]:
        """Each event, until the stream ends (then :class:`ApiError`) or a read times out (OSError)."""
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                header = self._buffer[:newline]
                if not re.fullmatch(rb"\d+", header.strip()):
                    raise ApiError(f"malformed RecordIO header {header[:40]!r}")
                length = int(header)
                while len(self._buffer) < newline + 1 + length:
                    self._fill()
                record = self._buffer[newline + 1:newline + 1 + length]
                self._buffer = self._buffer[newline + 1 + length:]
                yield json.loads(record)
                continue
            self._fill()

    def _fill(self) -> None:
        try:
            chunk = self.response.read1(65536)
        except (AttributeError, ValueError, http.client.HTTPException) as error:  # closed or garbled
            raise ApiError(f"the event stream broke: {error!r}") from error
        if not chunk:
            raise ApiError("the event stream ended")
        self._buffer += chunk

    def close(self) -> None:
        try:
            self.connection.close()
        except OSError:
            pass


def open_stream(host: str, port: int, path: str, body: Dict[str, Any], timeout: float) -> EventStream:
    """POST a ``SUBSCRIBE`` call and return its event stream.

    :raises ApiError: when the call is refused (the body's text is in the message; a 307 redirect
        to the leading master is raised with ``status`` 307 and the location in the message).
    """
    connection = _post(host, port, path, body, {}, timeout)
    try:
        response = connection.getresponse()
    except BaseException:
        connection.close()
        raise
    if response.status != 200:
        text = response.read().decode(errors="replace").strip()
        location = response.getheader("Location") or ""
        connection.close()
        if response.status == 307:
            raise ApiError(location, 307)
        raise ApiError(text or f"HTTP {response.status}", response.status)
    return EventStream(connection, response)
