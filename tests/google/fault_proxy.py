"""A fault-injecting HTTP proxy in front of the GCS emulator, for the retry tests.

Each request takes the next action from a plan, then the proxy forwards it (or not):

* ``"pass"``: forward and relay the answer;
* ``"429"``, ``"503"``, ...: answer with that status and a JSON error, without forwarding;
* ``"drop"``: close the connection without answering (a dropped connection);
* ``"cut"``: forward, then relay the headers and only half of the body before closing
  (a download broken mid-way);
* ``"corrupt"``: forward, and relay the answer with one byte of its body changed.

When the plan is used up every request passes (``always`` makes one action repeat forever).
``faults`` counts the faults served.
"""
from __future__ import annotations

import http.client
import http.server
import threading
import urllib.parse
from typing import List, Optional, Tuple


class FaultProxy:
    def __init__(self, upstream: str, plan: Optional[List[str]] = None, always: Optional[str] = None,
                 only: Optional[str] = None) -> None:
        parsed = urllib.parse.urlparse(upstream)
        self.upstream: Tuple[str, int] = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.plan = list(plan or [])
        self.always = always
        #: Only requests whose "METHOD path" contains this string take actions from the plan.
        self.only = only
        self.faults = 0
        self.seen: List[str] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                action = proxy._next(f"{self.command} {self.path}")
                if action == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if action not in ("pass", "cut", "corrupt"):
                    payload = b'{"error": {"code": %s, "message": "injected fault"}}' % action.encode()
                    self.send_response(int(action))
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
                conn.close()
                if action == "corrupt" and data:
                    data = bytes([data[0] ^ 0xFF]) + data[1:]
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if action == "cut" and len(data) > 1:
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _next(self, request: str) -> str:
        with self._lock:
            self.seen.append(request)
            if self.only is not None and self.only not in request:
                return "pass"
            if self.plan:
                action = self.plan.pop(0)
            else:
                action = self.always or "pass"
            if action != "pass":
                self.faults += 1
            return action

    def __enter__(self) -> "FaultProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
