"""URL access handlers: file:// URLs and bare paths, http(s) against a local http.server."""
from __future__ import annotations

import io
import os
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from toil_core.jobstores import url_access
from toil_core.jobstores.abstract import AbstractJobStore, _builtin_url_access, get_url_access_for
from toil_core.jobstores.errors import InvalidImportExportUrlException
from toil_core.jobstores.url_access import FileURLAccess, HTTPURLAccess, url_scheme

CONTENT = b"served over http\n" * 100


class Handler(BaseHTTPRequestHandler):
    failures = {}  # path -> remaining failures (status codes to send first)
    hits = {}

    def log_message(self, *args):
        pass

    def _respond(self, body):
        path = self.path
        Handler.hits[path] = Handler.hits.get(path, 0) + 1
        pending = Handler.failures.get(path)
        if pending:
            code = pending.pop(0)
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path.startswith("/missing"):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        if path.startswith("/nolength"):
            self.send_header("Connection", "close")
            self.end_headers()
            if body:
                self.wfile.write(CONTENT)
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(CONTENT)))
        self.end_headers()
        if body:
            self.wfile.write(CONTENT)

    def do_GET(self):
        self._respond(True)

    def do_HEAD(self):
        if self.path.startswith("/nohead"):
            self.send_response(405)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._respond(False)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setattr(HTTPURLAccess, "retry_intervals", (0.01, 0.01, 0.01))
    Handler.failures.clear()
    Handler.hits.clear()


# ------------------------------------------------------------------------ schemes
def test_url_scheme():
    assert url_scheme("/abs/path") == "file"
    assert url_scheme("relative/x") == "file"
    assert url_scheme("file:///x") == "file"
    assert url_scheme("HTTPS://h/x") == "https"
    assert url_scheme("s3://b/k") == "s3"
    assert url_scheme("./a:b") == "file"


def test_builtin_lookup():
    assert _builtin_url_access("file") is FileURLAccess
    assert _builtin_url_access("http") is HTTPURLAccess
    assert _builtin_url_access("https") is HTTPURLAccess
    assert _builtin_url_access("s3") is None
    assert get_url_access_for("file:///x", export=True) is FileURLAccess
    assert get_url_access_for("/plain/path", export=False) is FileURLAccess
    assert get_url_access_for("https://h/x", export=False) is HTTPURLAccess


def test_no_handler_messages():
    with pytest.raises(RuntimeError) as info:
        get_url_access_for("nosuch://x/y", export=False)
    assert str(info.value).startswith("No job store implementation supports importing for URL "
                                      "'nosuch://x/y'")
    with pytest.raises(RuntimeError) as info:
        get_url_access_for("http://h/y", export=True)
    assert str(info.value) == "No job store implementation supports exporting for URL 'http://h/y'"


# ------------------------------------------------------------------------ file://
def test_file_local_path_forms(tmp_path):
    p = str(tmp_path / "a b")
    assert FileURLAccess.local_path(p) == p
    assert FileURLAccess.local_path("file://" + p.replace(" ", "%20")) == p
    assert FileURLAccess.local_path("file://localhost" + p) == p
    assert FileURLAccess.local_path("file:" + p) == p
    with pytest.raises(InvalidImportExportUrlException) as info:
        FileURLAccess.local_path("file://otherhost/x")
    assert str(info.value) == "The URL 'file://otherhost/x' is invalid."
    with pytest.raises(InvalidImportExportUrlException):
        FileURLAccess.local_path("http://x/y")


def test_file_queries(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "sub").mkdir()
    (tmp_path / "d" / "f 1.txt").write_bytes(b"12345")
    url = "file://" + str(tmp_path / "d")
    assert FileURLAccess.get_is_directory(url) is True
    assert FileURLAccess.get_is_directory(url + "/f%201.txt") is False
    assert FileURLAccess.get_size(url + "/f%201.txt") == 5
    assert FileURLAccess.list_url(url) == ["f%201.txt", "sub/"]
    assert FileURLAccess.list_url(url + "/") == ["f%201.txt", "sub/"]
    assert AbstractJobStore.list_url(url) == ["f%201.txt", "sub/"]
    assert AbstractJobStore.get_is_directory(url) is True
    assert AbstractJobStore.get_size(url + "/f%201.txt") == 5
    assert AbstractJobStore.getSize(url + "/f%201.txt") == 5
    with pytest.raises(NotADirectoryError):
        FileURLAccess.list_url(url + "/f%201.txt")


def test_file_missing_names_url(tmp_path):
    url = "file://" + str(tmp_path / "gone.txt")
    for call in (FileURLAccess.get_size, FileURLAccess.get_is_directory, FileURLAccess.list_url,
                 FileURLAccess.open_url, lambda u: FileURLAccess.read_from_url(u, io.BytesIO())):
        with pytest.raises(FileNotFoundError) as info:
            call(url)
        assert url in str(info.value)


def test_file_read_and_executable(tmp_path):
    script = tmp_path / "run.sh"
    script.write_bytes(b"#!/bin/sh\n")
    script.chmod(0o755)
    sink = io.BytesIO()
    assert FileURLAccess.read_from_url(str(script), sink) == (10, True)
    assert sink.getvalue() == b"#!/bin/sh\n"
    script.chmod(0o644)
    assert AbstractJobStore.read_from_url("file://" + str(script), io.BytesIO()) == (10, False)
    with AbstractJobStore.open_url(str(script)) as handle:
        assert handle.read() == b"#!/bin/sh\n"
    with pytest.raises(IsADirectoryError):
        FileURLAccess.open_url(str(tmp_path))


def test_file_write_atomic_creates_parents_and_modes(tmp_path):
    dest = tmp_path / "new" / "deeper" / "out.bin"
    FileURLAccess.write_to_url(io.BytesIO(b"data"), "file://" + str(dest), executable=True)
    assert dest.read_bytes() == b"data"
    assert dest.stat().st_mode & stat.S_IXUSR
    FileURLAccess.write_to_url(io.BytesIO(b"again"), str(dest))
    assert dest.read_bytes() == b"again" and not dest.stat().st_mode & stat.S_IXUSR

    class Exploding(io.BytesIO):
        def read(self, *args):
            raise OSError("source died")

    with pytest.raises(OSError, match="source died"):
        FileURLAccess.write_to_url(Exploding(), str(dest))
    assert dest.read_bytes() == b"again"  # untouched
    assert sorted(os.listdir(dest.parent)) == ["out.bin"]  # no temporary left behind
    with pytest.raises(IsADirectoryError):
        FileURLAccess.write_to_url(io.BytesIO(b"x"), str(tmp_path / "new"))


# ------------------------------------------------------------------------ http(s)
def test_http_read(server):
    url = server + "/file.txt"
    assert HTTPURLAccess.supports_url(url, export=False)
    assert not HTTPURLAccess.supports_url(url, export=True)
    assert HTTPURLAccess.supports_url("https://x/y", export=False)
    sink = io.BytesIO()
    assert HTTPURLAccess.read_from_url(url, sink) == (len(CONTENT), False)
    assert sink.getvalue() == CONTENT
    assert HTTPURLAccess.get_size(url) == len(CONTENT)
    assert HTTPURLAccess.get_is_directory(url) is False
    with HTTPURLAccess.open_url(url) as response:
        assert response.read() == CONTENT
    with pytest.raises(NotImplementedError):
        HTTPURLAccess.list_url(url)


def test_http_size_without_length_or_head(server):
    assert HTTPURLAccess.get_size(server + "/nolength") is None
    assert HTTPURLAccess.get_size(server + "/nohead") == len(CONTENT)


def test_http_retries_transient_errors(server):
    Handler.failures["/flaky"] = [503, 500, 408]
    sink = io.BytesIO()
    assert HTTPURLAccess.read_from_url(server + "/flaky", sink)[0] == len(CONTENT)
    assert sink.getvalue() == CONTENT
    assert Handler.hits["/flaky"] == 4


def test_http_retries_exhausted(server):
    import urllib.error

    Handler.failures["/down"] = [503] * 10
    with pytest.raises(urllib.error.HTTPError) as info:
        HTTPURLAccess.read_from_url(server + "/down", io.BytesIO())
    assert info.value.code == 503
    assert Handler.hits["/down"] == 4  # one try + three retries


def test_http_no_retry_on_client_error(server):
    import urllib.error

    Handler.failures["/forbidden"] = [403, 403]
    with pytest.raises(urllib.error.HTTPError):
        HTTPURLAccess.read_from_url(server + "/forbidden", io.BytesIO())
    assert Handler.hits["/forbidden"] == 1


def test_http_missing_is_file_not_found(server):
    url = server + "/missing.txt"
    with pytest.raises(FileNotFoundError) as info:
        HTTPURLAccess.read_from_url(url, io.BytesIO())
    assert url in str(info.value)


def test_http_retry_rewinds_seekable_sink(server, monkeypatch):
    """A failure mid-body is retried from the start when the destination can be rewound."""
    calls = {"n": 0}
    real_copy = url_access.copy_stream

    def flaky_copy(src, dst):
        calls["n"] += 1
        if calls["n"] == 1:
            dst.write(b"partial garbage")
            raise ConnectionResetError("dropped")
        return real_copy(src, dst)

    monkeypatch.setattr(url_access, "copy_stream", flaky_copy)
    sink = io.BytesIO()
    sink.write(b"prefix:")
    size, _ = HTTPURLAccess.read_from_url(server + "/file.txt", sink)
    assert size == len(CONTENT)
    assert sink.getvalue() == b"prefix:" + CONTENT


def test_http_export_is_refused(server):
    with pytest.raises(RuntimeError, match="can only be imported"):
        HTTPURLAccess.write_to_url(io.BytesIO(b"x"), server + "/up")


def test_http_rejects_other_schemes():
    with pytest.raises(InvalidImportExportUrlException):
        HTTPURLAccess.open_url("file:///etc/hostname")


# ------------------------------------------------------------- upstream's JobStoreSupport names
def test_job_store_support_reads_http_urls_under_upstream_names(server):
    import urllib.parse

    from toil.jobStores.abstractJobStore import JobStoreSupport

    url = f"{server}/support.txt"
    assert JobStoreSupport._supports_url(urllib.parse.urlparse(url))
    assert not JobStoreSupport._supports_url(urllib.parse.urlparse(url), export=True)
    assert not JobStoreSupport._supports_url("file:///tmp/x")
    assert JobStoreSupport.get_size(urllib.parse.urlparse(url)) == len(CONTENT)
    sink = io.BytesIO()
    assert JobStoreSupport._read_from_url(url, sink) == (len(CONTENT), False)
    assert sink.getvalue() == CONTENT
    with JobStoreSupport._open_url(url) as stream:
        assert stream.read() == CONTENT
    assert JobStoreSupport._get_is_directory(url) is False


def test_job_store_support_stores_nothing(tmp_path):
    from toil.jobStores.abstractJobStore import JobStoreSupport

    support = JobStoreSupport("http://example.invalid/")
    with pytest.raises(NotImplementedError, match="only reads http"):
        support.load_job("some-job")
