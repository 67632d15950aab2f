"""The built-in file and http URL handlers keep the URL access contract."""
from __future__ import annotations

import functools
import http.server
import threading

import pytest

from toil_core.testing import URLAccessContract


class TestFileURLs(URLAccessContract):
    url_scheme = "file"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def http_root(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class TestHTTPURLs(URLAccessContract):
    url_scheme = "http"

    @pytest.fixture
    def source_url(self, http_root):
        root, base = http_root
        (root / "object.bin").write_bytes(self.content)
        return f"{base}/object.bin"
