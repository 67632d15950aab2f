"""The leader's compact form of the job descriptions it holds.

The leader may hold a million pending descriptions (a fan-out's children wait in the ready queue
until a slot frees). Parsed from JSON, each has its own copy of what nearly all of them share:
six empty lists (56 bytes each), its requirement numbers (a float and two large ints, 24-28
bytes each). :func:`compact` makes the descriptions the leader keeps share these: every empty
list field becomes :data:`SHARED_EMPTY`, one frozen empty list, and equal requirement numbers
become one object. The leader never changes a description's list in place (it assigns new
lists), and :data:`SHARED_EMPTY` refuses in-place changes loudly rather than letting one
description's change appear in all of them.
"""
from __future__ import annotations

from typing import Any, Dict, NoReturn

from toil_core.job.description import JobDescription

__all__ = ["SHARED_EMPTY", "SharedEmptyList", "compact"]

#: The list fields of a description.
LIST_FIELDS = ("accelerators", "children", "followOns", "services", "filesToDelete", "created")
#: The numeric fields whose values recur across jobs.
NUMBER_FIELDS = ("memory", "disk", "cores")
#: At most this many distinct numbers are shared (a workflow giving every job its own memory
#: size should not grow the table without bound).
_MAX_NUMBERS = 4096


class SharedEmptyList(list):  # type: ignore[type-arg]
    """An empty list that refuses in-place changes (it is shared by many descriptions):
    assign a new list instead. ``+=`` works, giving a new list."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("this empty list is shared by the leader's job descriptions: "
                        "assign a new list to the field instead of changing it in place")

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse  # type: ignore[assignment]
    __setitem__ = __delitem__ = __imul__ = _refuse  # type: ignore[assignment]

    def __iadd__(self, other: Any) -> Any:  # type: ignore[override,misc]
        return list(other)

    def __reduce__(self) -> Any:  # a copy or an unpickled one is an ordinary empty list
        return (list, ())


SHARED_EMPTY = SharedEmptyList()
_numbers: Dict[Any, Any] = {}


def _share_number(value: Any) -> Any:
    """The shared object equal to ``value`` (``value`` itself if it is the first, or the table
    is full)."""
    numbers = _numbers
    shared = numbers.get(value)
    if shared is None:
        if len(numbers) >= _MAX_NUMBERS:
            return value
        numbers[value] = shared = value
    return shared if type(shared) is type(value) else value


def _make_compact() -> Any:
    """The body of :func:`compact`, one statement per field: a leader restarted on a million
    pending jobs compacts a million descriptions, and a loop over the field names with
    ``getattr``/``setattr`` costs several times as much."""
    lines = ["def compact(desc):"]
    for name in LIST_FIELDS:
        lines += [f"    value = desc.{name}",
                  f"    if not value and value is not SHARED_EMPTY and type(value) is list:",
                  f"        desc.{name} = SHARED_EMPTY"]
    for name in NUMBER_FIELDS:
        lines += [f"    value = desc.{name}",
                  f"    shared = numbers.get(value)",
                  f"    if shared is not value:",
                  f"        desc.{name} = share(value)"]
    lines.append("    return desc")
    env: Dict[str, Any] = {"SHARED_EMPTY": SHARED_EMPTY, "list": list, "type": type, "numbers": _numbers,
                           "share": _share_number}
    exec(compile("\n".join(lines) + "\n", "<compact>", "exec"), env)
    return env["compact"]


_compact = _make_compact()


def compact(desc: JobDescription) -> JobDescription:
    """Make ``desc`` share its empty lists and requirement numbers (see the module docstring);
    returns it."""
    return _compact(desc)  # type: ignore[no-any-return]
