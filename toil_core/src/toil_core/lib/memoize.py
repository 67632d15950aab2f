"""Caching decorators and small parsers (``toil.lib.memoize``)."""
from __future__ import annotations

import functools
import re
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, Tuple, TypeVar

if TYPE_CHECKING:
    import datetime

MAT = TypeVar("MAT")
MRT = TypeVar("MRT")

#: Memoize a function on its (hashable) arguments. Concurrent first calls may both run the function.
memoize = functools.lru_cache(maxsize=None)


def sync_memoize(f: Callable[..., MRT]) -> Callable[..., MRT]:
    """Like :data:`memoize`, but the function runs at most once per arguments even across threads."""
    cache: Dict[Tuple[Any, ...], Any] = {}
    lock = threading.RLock()

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> MRT:
        key = (args, tuple(sorted(kwargs.items())))
        try:
            return cache[key]
        except KeyError:
            pass
        with lock:
            if key not in cache:
                cache[key] = f(*args, **kwargs)
            return cache[key]

    wrapper.cache_clear = cache.clear  # type: ignore[attr-defined]
    return wrapper


_ISO_UTC_RE = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?Z$")


def parse_iso_utc(s: str) -> datetime.datetime:
    """Parse ``'2016-04-27T00:28:04.000Z'`` (UTC only) into a naive :class:`datetime.datetime`."""
    import datetime  # lazy: ``import toil`` imports this module; few callers parse dates

    match = _ISO_UTC_RE.match(s)
    if match is None:
        raise ValueError(f"Not a valid ISO datetime in UTC: {s}")
    return datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")


def strict_bool(s: str) -> bool:
    """Variant of ``bool()`` accepting only the strings ``'true'`` and ``'false'``."""
    if s == "true":
        return True
    if s == "false":
        return False
    raise ValueError(f"Expected 'true' or 'false', not {s!r}")
