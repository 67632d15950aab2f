"""Python-version shims upstream exposed as ``toil.lib.compatibility`` (nothing is needed on 3.9+)."""
from __future__ import annotations

from typing import Any, Callable


def deprecated(new_function_name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a camelCase alias as deprecated in favour of ``new_function_name``."""
    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        function.__doc__ = f"Deprecated: use {new_function_name}. " + (function.__doc__ or "")
        return function

    return decorate
