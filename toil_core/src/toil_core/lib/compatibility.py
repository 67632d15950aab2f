"""Python-version shims upstream exposed as ``toil.lib.compatibility`` (nothing is needed on 3.9+)."""
from __future__ import annotations

from typing import Any, Callable


def deprecated(new_function_name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a camelCase alias as deprecated in favour of ``new_function_name``."""
    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        function.__doc__ = f"Deprecated: use {new_function_name}. " + (function.__doc__ or "")
        return function

    return decorate


def compat_bytes(s: Any) -> Any:
    """``s`` as text when it is bytes (decoded as UTF-8), else ``s`` unchanged."""
    return s.decode("utf-8") if isinstance(s, bytes) else s


def compat_bytes_recursive(data: Any) -> Any:
    """``data`` with every bytes value inside dicts, lists, tuples and sets turned into text."""
    if isinstance(data, dict):
        return {compat_bytes_recursive(k): compat_bytes_recursive(v) for k, v in data.items()}
    if isinstance(data, (list, tuple, set)):
        return type(data)(compat_bytes_recursive(item) for item in data)
    return compat_bytes(data)
