"""Dictionaries with attribute access (``toil.lib.expando``).

Handy for JSON-like configuration: ``Expando(foo=42).foo == 42`` while the object stays a plain
``dict`` for serialisation. :class:`MagicExpando` also creates missing children on access, so
``o.a.b = 1`` works on an empty object.
"""
from __future__ import annotations

from typing import Any


class Expando(dict):
    """A ``dict`` whose keys can also be read, set and deleted as attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def copy(self) -> "Expando":
        """Return a shallow copy of the same class."""
        return type(self)(self)


class MagicExpando(Expando):
    """An :class:`Expando` that materialises a child ``MagicExpando`` for any missing attribute."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            # Leave protocol lookups (pickle, copy, IPython...) alone.
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            child = type(self)()
            self[name] = child
            return child
