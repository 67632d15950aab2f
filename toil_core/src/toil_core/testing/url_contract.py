"""The contract every URL access handler keeps, as a pytest suite to subclass.

::

    from toil_core.testing import URLAccessContract

    class TestMyScheme(URLAccessContract):
        url_scheme = "myscheme"

        @pytest.fixture
        def source_url(self):                   # an existing object holding self.content
            ...

Fixtures to override: ``source_url`` (an existing object whose bytes are :attr:`content`; the
default works for ``file`` only), ``missing_url``, ``directory`` (``(url, names)`` of a
directory holding those names, or None to skip listing), ``destination_url`` (for export),
``url_access`` (default: the installed plugin's class) and ``capabilities``. Export runs when the
spec declares ``export``; handlers without it must refuse export URLs.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any, FrozenSet, List, Optional, Tuple

import pytest

from toil_core.jobstores.abstract import get_url_access_for
from toil_core.plugins.registry import get_spec, get_url_access

from ._support import SubclassesAreTests

__all__ = ["URLAccessContract"]


class URLAccessContract(SubclassesAreTests):
    """Support checks, size, reads, streams, directories, missing objects and (when capable)
    export, plus routing: the job store finds this handler for its scheme."""

    __test__ = False

    #: The URL scheme; None means: override ``url_access`` (routing is then not checked).
    url_scheme: Optional[str] = None
    #: The bytes ``source_url`` must hold.
    content: bytes = b"toil URL access contract\n" * 100

    # ------------------------------------------------------------------ fixtures
    @pytest.fixture
    def spec(self) -> Any:
        if not self.url_scheme:
            return None

        return get_spec("url_access", self.url_scheme)

    @pytest.fixture
    def capabilities(self, spec: Any) -> FrozenSet[str]:
        return frozenset(spec.capabilities) if spec is not None else frozenset()

    @pytest.fixture
    def url_access(self, spec: Any) -> Any:
        if spec is None:
            pytest.fail("Set url_scheme or override the url_access fixture.")

        return get_url_access(self.url_scheme)  # type: ignore[arg-type]

    @pytest.fixture
    def source_url(self, tmp_path: Path) -> str:
        if self.url_scheme not in (None, "file"):
            pytest.fail(f"Override source_url: an existing {self.url_scheme}: URL holding self.content.")
        path = tmp_path / "source" / "object.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.content)
        return path.as_uri()

    @pytest.fixture
    def missing_url(self, source_url: str) -> str:
        return source_url + "-no-such-object"

    @pytest.fixture
    def directory(self, source_url: str) -> Optional[Tuple[str, List[str]]]:
        if self.url_scheme not in (None, "file"):
            return None
        parent = source_url.rsplit("/", 1)[0] + "/"
        return parent, [source_url.rsplit("/", 1)[1]]

    @pytest.fixture
    def destination_url(self, tmp_path: Path) -> str:
        if self.url_scheme not in (None, "file"):
            pytest.fail(f"Override destination_url: a writable {self.url_scheme}: URL that does not exist yet.")
        path = tmp_path / "destination" / "exported.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.as_uri()

    # ------------------------------------------------------------------ tests
    def test_supports_its_urls_only(self, url_access: Any, source_url: str) -> None:
        assert url_access.supports_url(source_url, False)
        assert not url_access.supports_url("toil-contract-no-such-scheme://host/x", False)

    def test_the_job_store_routes_its_scheme_here(self, url_access: Any, source_url: str) -> None:
        if not self.url_scheme:
            pytest.skip("needs url_scheme: routing goes through the installed plugin")

        assert get_url_access_for(source_url, export=False) is url_access

    def test_get_size(self, url_access: Any, source_url: str) -> None:
        assert url_access.get_size(source_url) == len(self.content)

    def test_read_from_url(self, url_access: Any, source_url: str) -> None:
        sink = io.BytesIO()
        size, executable = url_access.read_from_url(source_url, sink)
        assert sink.getvalue() == self.content
        assert size == len(self.content)
        assert isinstance(executable, bool)

    def test_open_url(self, url_access: Any, source_url: str) -> None:
        handle = url_access.open_url(source_url)
        try:
            assert handle.read() == self.content
        finally:
            handle.close()

    def test_an_object_is_not_a_directory(self, url_access: Any, source_url: str) -> None:
        assert url_access.get_is_directory(source_url) is False

    def test_reading_a_missing_object_raises(self, url_access: Any, missing_url: str) -> None:
        with pytest.raises(Exception):
            url_access.read_from_url(missing_url, io.BytesIO())

    def test_list_a_directory(self, url_access: Any, directory: Optional[Tuple[str, List[str]]]) -> None:
        if directory is None:
            pytest.skip("no directory fixture for this scheme")
        url, names = directory
        assert url_access.get_is_directory(url) is True
        assert set(names) <= set(url_access.list_url(url))

    def test_export_round_trip(self, url_access: Any, capabilities: FrozenSet[str], request: Any) -> None:
        if "export" not in capabilities:
            pytest.skip("the handler does not declare the 'export' capability")
        destination_url = request.getfixturevalue("destination_url")
        assert url_access.supports_url(destination_url, True)
        url_access.write_to_url(io.BytesIO(self.content), destination_url)
        sink = io.BytesIO()
        url_access.read_from_url(destination_url, sink)
        assert sink.getvalue() == self.content

    def test_no_export_without_the_capability(self, url_access: Any, capabilities: FrozenSet[str],
                                              source_url: str) -> None:
        if "export" in capabilities:
            pytest.skip("the handler declares the 'export' capability")
        assert not url_access.supports_url(source_url, True)
