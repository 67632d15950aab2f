"""Iterable helpers scripts import from upstream ``toil.lib.iterables``."""
from __future__ import annotations

from typing import Any, Iterable, Iterator, TypeVar

__all__ = ["IT", "concat", "flatten"]

IT = TypeVar("IT")


def flatten(iterables: Iterable[Iterable[IT]]) -> Iterator[IT]:
    """Chain the elements one level deep; a string element is yielded whole, not by character."""
    for item in iterables:
        if isinstance(item, str):
            yield item  # type: ignore[misc]
        else:
            yield from item


class concat:
    """An iterable joining single values and iterables: ``concat(-1, (x for x in xs), -1)``.

    Iterable arguments are chained one level deep, other arguments are yielded as they are, and a
    string counts as a single value. Wrapping one argument as ``concat(arg)`` protects it from being
    chained (``concat(1, concat([2]), 3)`` yields ``1, [2], 3``).
    """

    def __init__(self, *args: Any) -> None:
        self.args = args

    def __iter__(self) -> Iterator[Any]:
        for arg in self.args:
            if isinstance(arg, concat):
                if len(arg.args) == 1:
                    yield arg.args[0]
                else:
                    yield from arg
            elif isinstance(arg, (str, bytes)) or not _is_iterable(arg):
                yield arg
            else:
                yield from arg


def _is_iterable(value: Any) -> bool:
    try:
        iter(value)
    except TypeError:
        return False
    return True
