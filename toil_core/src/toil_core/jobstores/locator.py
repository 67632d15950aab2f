"""Job store locators: ``file:/path`` (or a bare path), ``aws:region:prefix``, ``google:project:name``."""
from __future__ import annotations

import os
import re
from typing import Any, Tuple

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+_-]*):(.*)$")


def parse_locator(locator: str) -> Tuple[str, str]:
    """(scheme, rest) of a locator; anything without a scheme is a file job store path."""
    if not isinstance(locator, str) or not locator.strip():
        raise ValueError("Invalid job store locator syntax. Give a path such as ./my-jobstore or file:/tmp/js.")
    if locator.startswith("/") or locator.startswith("."):
        return "file", locator
    match = _SCHEME.match(locator)
    if match is None:
        return "file", locator
    scheme, rest = match.group(1).lower(), match.group(2)
    if len(scheme) == 1 and os.name == "nt":  # pragma: no cover - drive letters
        return "file", locator
    if not rest:
        raise ValueError(f"Invalid job store locator syntax: {locator!r} has nothing after '{scheme}:'.")
    return scheme, rest


def build_locator(name: str, rest: str) -> str:
    return f"{name}:{rest}"


def normalize_locator(locator: str) -> str:
    """Make file job store paths absolute (the leader does this so workers agree)."""
    scheme, rest = parse_locator(locator)
    if scheme == "file":
        return f"file:{os.path.abspath(rest)}"
    return locator


def job_store_class(scheme: str) -> Any:
    # lazy: workers parse locators; the plugin registry is slow to import
    from toil_core.plugins.registry import get_job_store_class

    return get_job_store_class(scheme)


def make_job_store(locator: str) -> Any:
    """An (uninitialized) job store object for ``locator``."""
    scheme, rest = parse_locator(locator)
    return job_store_class(scheme)(rest)


def open_job_store(locator: str) -> Any:
    """An existing job store, resumed (config loaded)."""
    store = make_job_store(locator)
    store.resume()
    return store
