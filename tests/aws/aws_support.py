"""Helpers of the toil-aws tests: the moto server (tests/support/moto_service.py, re-exported
here) and a fault-injecting proxy to put in front of it."""
from __future__ import annotations

import random
import select
import socket
import threading
from typing import Dict, List

from moto_service import FAKE_CREDENTIALS, MotoServer, free_port

__all__ = ["FAKE_CREDENTIALS", "FaultProxy", "MotoServer", "free_port"]


class FaultProxy:
    """A TCP proxy in front of the S3 server that injects faults into chosen requests.

    Each accepted connection carries HTTP requests; the proxy reads one request at a time and,
    according to :attr:`plan` (a list consumed in order, then ``"pass"`` forever), passes it on,
    answers ``503 SlowDown`` or ``500 InternalError`` itself, or drops the connection (before
    forwarding, or after forwarding half the response). :attr:`seen` counts requests by outcome.
    With ``rate`` set, faults are drawn at random for requests beyond the plan.
    """

    def __init__(self, upstream_port: int, rate: float = 0.0, seed: int = 0) -> None:
        self.upstream_port = upstream_port
        self.plan: List[str] = []
        self.rate = rate
        self.random = random.Random(seed)
        self.seen: Dict[str, int] = {}
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _next(self) -> str:
        with self._lock:
            if self.plan:
                action = self.plan.pop(0)
            elif self.rate and self.random.random() < self.rate:
                action = self.random.choice(["503", "500", "drop", "cut"])
            else:
                action = "pass"
            self.seen[action] = self.seen.get(action, 0) + 1
            return action

    def _serve(self) -> None:
        while not self._stop:
            ready, _, _ = select.select([self._sock], [], [], 0.2)
            if not ready:
                continue
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    @staticmethod
    def _read_request(conn: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return b""
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        chunked = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
            if name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            while not body.endswith(b"0\r\n\r\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                body += chunk
        else:
            while len(body) < length:
                chunk = conn.recv(min(65536, length - len(body)))
                if not chunk:
                    break
                body += chunk
        return head + b"\r\n\r\n" + body

    @staticmethod
    def _error(code: int, name: str, head: bool = False) -> bytes:
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{name}</Code>"
                f"<Message>injected by the test proxy</Message></Error>").encode()
        reason = {503: "Slow Down", 500: "Internal Server Error", 403: "Forbidden", 404: "Not Found",
                  409: "Conflict"}.get(code, "Error")
        if head:  # a HEAD answer has no body (its length is still announced)
            return (f"HTTP/1.1 {code} {reason}\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n").encode()
        return (f"HTTP/1.1 {code} {reason}\r\nContent-Type: application/xml\r\nContent-Length: {len(body)}\r\n"
                f"Connection: keep-alive\r\n\r\n").encode() + body

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            while True:
                try:
                    request = self._read_request(conn)
                except OSError:
                    return
                if not request:
                    return
                action = self._next()
                head = request.startswith(b"HEAD ")
                if action == "503":
                    conn.sendall(self._error(503, "SlowDown", head))
                    continue
                if action == "500":
                    conn.sendall(self._error(500, "InternalError", head))
                    continue
                if ":" in action:  # "<status>:<S3 error code>", e.g. "403:AccessDenied"
                    status, _, name = action.partition(":")
                    conn.sendall(self._error(int(status), name, head))
                    continue
                if action == "drop":
                    return  # closes the connection without an answer
                response = self._forward(request)
                if action == "cut":
                    conn.sendall(response[: max(1, len(response) // 2)])
                    return
                conn.sendall(response)

    def _forward(self, request: bytes) -> bytes:
        # One upstream connection per request, asking it to close so the response ends with EOF.
        head, _, body = request.partition(b"\r\n\r\n")
        lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
        request = b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n" + body
        with socket.create_connection(("127.0.0.1", self.upstream_port)) as up:
            up.sendall(request)
            chunks = []
            while True:
                chunk = up.recv(1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        response = b"".join(chunks)
        # The client keeps its connection; say so instead of upstream's "close".
        head, _, body = response.partition(b"\r\n\r\n")
        lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
        return b"\r\n".join(lines) + b"\r\nConnection: keep-alive\r\n\r\n" + body

    def close(self) -> None:
        self._stop = True
        self._sock.close()
