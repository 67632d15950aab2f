"""A spot market where bids are never met, in front of moto's EC2 (which fulfils every spot request
at once and has no setting to do otherwise).

:class:`UnmetBidProxy` is an HTTP proxy for the EC2 query API: it passes every call on to moto,
except the three spot request calls, which it answers as EC2 does for a bid below the spot price:
``RequestSpotInstances`` opens requests (state ``open``, status ``price-too-low``) that never get an
instance, ``DescribeSpotInstanceRequests`` of those ids says so, and ``CancelSpotInstanceRequests``
cancels them. The leader is given its ``url`` as ``AWS_ENDPOINT_URL``; the test's own checks
and the harness that stands agents behind instances still talk to moto directly.
"""
from __future__ import annotations

import http.server
import itertools
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Tuple

_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"


class UnmetBidProxy:
    """See the module docstring; ``opened`` / ``cancelled`` list the spot request ids."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.opened: List[str] = []
        self.cancelled: List[str] = []
        self.requests: Dict[str, Tuple[str, str]] = {}  # id -> (price, instance type)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                form = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
                answer = proxy._answer(form)
                if answer is None:
                    status, headers, data = proxy._forward(self.path, dict(self.headers), body)
                else:
                    status, headers, data = 200, {"Content-Type": "text/xml"}, answer.encode()
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, name="unmet-bid-proxy", daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _forward(self, path: str, headers: Dict[str, str], body: bytes) -> Tuple[int, Dict[str, str], bytes]:
        headers = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length", "connection")}
        request = urllib.request.Request(self.upstream + path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return reply.status, dict(reply.headers), reply.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    @staticmethod
    def _ids_of(form: Dict[str, List[str]]) -> List[str]:
        return [v[0] for k, v in sorted(form.items()) if k.startswith("SpotInstanceRequestId.")]

    def _item(self, request_id: str, state: str) -> str:
        price, instance_type = self.requests[request_id]
        return (f"<item><spotInstanceRequestId>{request_id}</spotInstanceRequestId><spotPrice>{price}</spotPrice>"
                f"<type>one-time</type><state>{state}</state><status><code>price-too-low</code><message>Your Spot "
                "request price is lower than the current Spot price.</message></status><launchSpecification>"
                f"<instanceType>{instance_type}</instanceType></launchSpecification></item>")

    def _answer(self, form: Dict[str, List[str]]) -> Any:
        action = (form.get("Action") or [""])[0]
        with self._lock:
            if action == "RequestSpotInstances":
                count = int((form.get("InstanceCount") or ["1"])[0])
                price = f"{float((form.get('SpotPrice') or ['0'])[0] or 0):.6f}"
                instance_type = (form.get("LaunchSpecification.InstanceType") or [""])[0]
                made = []
                for _ in range(count):
                    request_id = f"sir-unmet{next(self._ids):07d}"
                    self.requests[request_id] = (price, instance_type)
                    self.opened.append(request_id)
                    made.append(self._item(request_id, "open"))
                return self._response(action, "".join(made))
            ids = self._ids_of(form)
            if not ids or not all(i in self.requests for i in ids):
                return None  # not ours (or a filter by tag): moto answers
            if action == "DescribeSpotInstanceRequests":
                return self._response(action, "".join(
                    self._item(i, "cancelled" if i in self.cancelled else "open") for i in ids))
            if action == "CancelSpotInstanceRequests":
                self.cancelled.extend(i for i in ids if i not in self.cancelled)
                return self._response(action, "".join(
                    f"<item><spotInstanceRequestId>{i}</spotInstanceRequestId><state>cancelled</state></item>"
                    for i in ids))
        return None

    @staticmethod
    def _response(action: str, items: str) -> str:
        return (f'<?xml version="1.0" encoding="UTF-8"?><{action}Response xmlns="{_NS}"><requestId>'
                f"unmet-bid</requestId><spotInstanceRequestSet>{items}</spotInstanceRequestSet></{action}Response>")
