"""The text tables of ``toil stats``, under upstream ``toil.utils.toilStats``'s helper names.

A *tag* is the summary of one block of the report (the workers, all jobs, or one job type): how
many there were, and min/median/average/max/total of four categories (``time``, ``clock``,
``wait``, ``memory``). Two shapes are accepted: this engine's summaries (a dict with ``count``
and ``{category: {"min", "med", "ave", "max", "total"}}``, from
:func:`toil_core.cli.stats.processData`) and upstream's (an object with ``total_number``,
``min_time``, ``median_time``, ``average_time`` ... attributes, as :func:`buildElement` makes).

:func:`sprintTag` prints one block: a header naming the categories, a sub-header naming the
fields, and the row. Columns are as wide as the widest value of any block
(:func:`computeColumnWidths`), and the column the job types are sorted on is marked with ``*``.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Iterable, List, Optional

from toil_core.lib.expando import Expando

__all__ = [
    "CATEGORIES", "FIELDS", "ColumnWidths", "buildElement", "computeColumnWidths", "createSummary",
    "decorateSubHeader", "decorateTitle", "get", "padStr", "prettyMemory", "prettyTime", "reportMemory",
    "reportNumber", "reportTime", "sprintTag", "tag_count", "tag_value", "updateColumnWidths",
]

CATEGORIES = ["time", "clock", "wait", "memory"]
FIELDS = ["min", "med", "ave", "max", "total"]
#: Upstream's attribute prefix for each field (``median_time`` is the ``med`` of ``time``).
_LONG = {"min": "min", "med": "median", "ave": "average", "max": "max", "total": "total"}
_TITLES = {"time": "Time", "clock": "Clock", "wait": "Wait", "memory": "Memory"}
_DEFAULT_WIDTH = 8


# ------------------------------------------------------------------------------ reading tags
def tag_value(tag: Any, category: str, field: str) -> float:
    """The ``field`` statistic of ``category`` in a tag of either shape."""
    if isinstance(tag, dict) and category in tag:
        return float(tag[category][field])
    return float(getattr(tag, f"{_LONG[field]}_{category}"))


def tag_count(tag: Any) -> float:
    """How many items the tag summarizes."""
    if isinstance(tag, dict) and "count" in tag:
        return float(tag["count"])
    return float(getattr(tag, "total_number"))


def _per_worker(tag: Any, field: str) -> float:
    if isinstance(tag, dict) and "worker_jobs" in tag:
        return float(tag["worker_jobs"][field])
    return float(getattr(tag, f"{_LONG[field]}_number_per_worker"))


# ------------------------------------------------------------------------------ formatting
def padStr(s: str, field: Optional[int] = None) -> str:
    """``s`` right-aligned in ``field`` characters (unchanged without a field, or if longer)."""
    return s if field is None else s.rjust(field)


def prettyTime(t: float, field: Optional[int] = None) -> str:
    """Seconds as a short human-readable duration (``0.25s``, ``3m12s``, ``2h05m``, ``1d3h``)."""
    if t < 60:
        text = f"{t:.2f}s"
    elif t < 3600:
        text = f"{int(t // 60)}m{int(t % 60):02d}s"
    elif t < 86400:
        text = f"{int(t // 3600)}h{int(t % 3600 // 60):02d}m"
    else:
        text = f"{int(t // 86400)}d{int(t % 86400 // 3600)}h"
    return padStr(text, field)


def prettyMemory(k: float, field: Optional[int] = None, isBytes: bool = False) -> str:
    """Kibibytes (or bytes, with ``isBytes``) as a short size such as ``512K`` or ``1.5G``."""
    value = k / 1024.0 if isBytes else float(k)
    text = f"{value:.0f}K"
    for unit in ("M", "G", "T", "P"):
        if value < 1024:
            break
        value /= 1024.0
        text = f"{value:.1f}{unit}"
    return padStr(text, field)


def reportTime(t: float, options: Any, field: Optional[int] = None) -> str:
    """A time for the table: human units with ``--pretty``, else seconds with two decimals."""
    if options.pretty:
        return prettyTime(t, field=field)
    return padStr(f"{t:.2f}", field)


def reportMemory(k: float, options: Any, field: Optional[int] = None, isBytes: bool = False) -> str:
    """A memory size for the table: human units with ``--pretty``, else whole kibibytes and ``K``."""
    if options.pretty:
        return prettyMemory(k, field=field, isBytes=isBytes)
    kib = k / 1024.0 if isBytes else k
    return padStr(f"{int(kib)}K", field)


def reportNumber(n: float, field: Optional[int] = None) -> str:
    """A count in its shortest form (``4``, ``2.5``)."""
    return padStr(f"{n:g}", field)


def _report(category: str, value: float, options: Any, field: Optional[int] = None) -> str:
    if category == "memory":
        return reportMemory(value, options, field=field)
    return reportTime(value, options, field=field)


# ------------------------------------------------------------------------------ column widths
class ColumnWidths:
    """The printed width of every (category, field) column, shared by all blocks of a report."""

    def __init__(self) -> None:
        self.categories = list(CATEGORIES)
        self.fields_count = ["count"] + FIELDS
        self.fields = list(FIELDS)
        self.data: Dict[str, int] = {}
        for category in self.categories:
            for field in self.fields_count:
                self.setWidth(category, field, _DEFAULT_WIDTH)

    def title(self, category: str) -> int:
        """The width of a category's whole header cell (its fields' widths together)."""
        return sum(self.getWidth(category, field) for field in self.fields)

    def getWidth(self, category: str, field: str) -> int:
        return self.data[f"{category.lower()}_{field}"]

    def setWidth(self, category: str, field: str, width: int) -> None:
        self.data[f"{category.lower()}_{field}"] = width

    def report(self) -> None:
        """Print every width (for debugging a layout)."""
        for category in self.categories:
            for field in self.fields:
                print(f"{category} {field} {self.getWidth(category, field)}")


def updateColumnWidths(tag: Any, cw: ColumnWidths, options: Any) -> None:
    """Widen the columns of ``cw`` so that every value of ``tag`` fits, with a space before it."""
    for category in CATEGORIES:
        if category not in options.categories:
            continue
        for field in FIELDS:
            text = _report(category, tag_value(tag, category, field), options).strip()
            if len(text) >= cw.getWidth(category, field):
                cw.setWidth(category, field, len(text) + 1)


def computeColumnWidths(job_types: Iterable[Any], worker: Any, job: Any, options: Any) -> ColumnWidths:
    """Column widths that fit every job type's tag and the worker and job tags."""
    cw = ColumnWidths()
    for tag in list(job_types) + [worker, job]:
        updateColumnWidths(tag, cw, options)
    return cw


# ------------------------------------------------------------------------------ headers and rows
def decorateTitle(title: str, options: Any) -> str:
    """``title`` with a ``*`` when the job types are sorted on it."""
    return f"{title}*" if title.lower() == options.sortCategory else title


def decorateSubHeader(title: str, columnWidths: ColumnWidths, options: Any) -> str:
    """The field names of one category, each in its column; the sorted field gets a ``*``."""
    category = title.lower()
    cells = []
    for field in FIELDS:
        width = columnWidths.getWidth(category, field)
        if category == options.sortCategory and field == options.sortField:
            cells.append(f"{field}*".rjust(width))
        else:
            cells.append(field.rjust(width))
    return "| " + "".join(cells) + " "


def sprintTag(key: str, tag: Any, options: Any, columnWidths: Optional[ColumnWidths] = None) -> str:
    """One block of the report: for ``key == "job"`` first the jobs-per-worker line, then the
    header, the sub-header and the row of ``tag`` (each line ending in a newline)."""
    cw = columnWidths if columnWidths is not None else ColumnWidths()
    out: List[str] = []
    if key == "job":
        out.append(" Worker Jobs  |" + "".join(f.rjust(7) for f in ("min", "med", "ave", "max")))
        out.append("              |" + "".join(reportNumber(_per_worker(tag, f), field=7)
                                               for f in ("min", "med", "ave", "max")))
    header = ["  " + decorateTitle("Count", options).rjust(7) + " "]
    sub_header = ["  " + "n".rjust(7) + " "]
    row = ["  " + reportNumber(tag_count(tag), field=7) + " "]
    for category in CATEGORIES:
        if category not in options.categories:
            continue
        header.append("| " + decorateTitle(_TITLES[category], options).rjust(cw.title(category)) + " ")
        sub_header.append(decorateSubHeader(_TITLES[category], cw, options))
        row.append("| " + "".join(_report(category, tag_value(tag, category, field), options,
                                          field=cw.getWidth(category, field)) for field in FIELDS) + " ")
    out += ["".join(header).rstrip(), "".join(sub_header).rstrip(), "".join(row).rstrip()]
    return "".join(line + "\n" for line in out)


# ------------------------------------------------------------------------------ building tags
def get(tree: Any, name: str) -> float:
    """The attribute or key ``name`` of ``tree`` as a float; NaN when missing or not a number."""
    value = tree.get(name, math.nan) if isinstance(tree, dict) else getattr(tree, name, math.nan)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def buildElement(element: Dict[str, Any], items: List[Dict[str, Any]], itemName: str) -> Expando:
    """Summarize ``items`` (dicts with ``time``, ``clock`` and ``memory``; a missing one counts as
    0) into an upstream-shaped tag stored as ``element[itemName]``; ``wait`` is time - clock.

    :raises RuntimeError: if an item reports a negative value.
    """
    columns: Dict[str, List[float]] = {"time": [], "clock": [], "memory": []}
    for item in items:
        for category in columns:
            value = float(item.get(category, 0))
            if value < 0:
                raise RuntimeError(f"Negative value {value} reported for {category}")
            columns[category].append(value)
    columns["wait"] = [t - c for t, c in zip(columns["time"], columns["clock"])]
    fields: Dict[str, Any] = {"total_number": float(len(items)), "name": itemName}
    for category, values in columns.items():
        ordered = sorted(values) or [0.0]
        fields[f"total_{category}"] = float(sum(ordered))
        fields[f"median_{category}"] = float(ordered[len(ordered) // 2])
        fields[f"average_{category}"] = float(sum(ordered) / len(ordered))
        fields[f"min_{category}"] = float(ordered[0])
        fields[f"max_{category}"] = float(ordered[-1])
    element[itemName] = Expando(**fields)
    return element[itemName]


def createSummary(element: Any, containingItems: List[Any], containingItemName: str,
                  getFn: Any) -> None:
    """Record in ``element`` the median/average/min/max number of items per containing item
    (``getFn(container)`` lists a container's items), as ``median_number_per_<name>`` and so on."""
    counts = sorted(len(getFn(container)) for container in containingItems) or [0]
    element[f"median_number_per_{containingItemName}"] = counts[len(counts) // 2]
    element[f"average_number_per_{containingItemName}"] = float(sum(counts) / len(counts))
    element[f"min_number_per_{containingItemName}"] = counts[0]
    element[f"max_number_per_{containingItemName}"] = counts[-1]
