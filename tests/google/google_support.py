"""Helpers shared by the toil-google tests (fixtures are in conftest.py)."""
from __future__ import annotations

import uuid
from pathlib import Path

PROJECT = "toil-test-project"


def fresh_name(tag: str = "t") -> str:
    """A job store name nobody used (the bucket is NAME--toil)."""
    return f"toil-{tag}-{uuid.uuid4().hex[:12]}"


def key_file(tmp_path: Path, key: bytes, name: str = "sse.key") -> str:
    """Write an --sseKey file holding ``key`` on its first line; returns its path."""
    path = tmp_path / name
    path.write_bytes(key + b"\n")
    return str(path)


class Recorder:
    """Every HTTP request this process sends: ``(method, url, headers, body start)``; header
    names in lower case."""

    def __init__(self) -> None:
        self.requests: list = []

    def matching(self, text: str, method: str = "") -> list:
        return [r for r in self.requests if text in r[1] and (not method or r[0] == method)]

    def clear(self) -> None:
        self.requests.clear()
