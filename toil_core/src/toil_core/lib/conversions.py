"""Size, unit and duration conversions (``toil.lib.conversions``).

Job requirements such as ``memory="2G"`` or ``disk="1024 Mib"`` are turned into byte counts
here. As in Toil 5.10, binary prefixes carry an ``i`` (``Ki``, ``MiB``, ``Gi`` = powers of
1024) and bare or ``B``-suffixed prefixes are decimal (``K``, ``KB``, ``G``, ``GB`` = powers
of 1000); the unit is case-insensitive and may be separated from the number by spaces.
"""
from __future__ import annotations

import functools
import re
from typing import Dict, SupportsInt, Tuple, Union

BINARY_PREFIXES = ["ki", "mi", "gi", "ti", "pi", "ei", "kib", "mib", "gib", "tib", "pib", "eib"]
DECIMAL_PREFIXES = ["b", "k", "m", "g", "t", "p", "e", "kb", "mb", "gb", "tb", "pb", "eb"]
VALID_PREFIXES = BINARY_PREFIXES + DECIMAL_PREFIXES

#: Bytes per unit, keyed by lower-case unit name ("" means plain bytes).
_UNIT_BYTES: Dict[str, int] = {"": 1, "b": 1}
for _power, _letter in enumerate("kmgtpe", start=1):
    _UNIT_BYTES[_letter] = _UNIT_BYTES[_letter + "b"] = 1000 ** _power
    _UNIT_BYTES[_letter + "i"] = _UNIT_BYTES[_letter + "ib"] = 1024 ** _power

#: Compiled on first use (``re`` caches it): ``import toil.job`` loads this module, few scripts parse sizes.
_SIZE_PATTERN = r"^\s*([0-9][0-9_]*(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+]?[0-9]+)?\s*([a-zA-Z]*)\s*$"
_EXAMPLES = "expected a non-negative number with an optional unit, e.g. '2G', '100k', '1024 Mib', '1.5Gi'"


def bytes_in_unit(unit: str = "B") -> int:
    """Return how many bytes one ``unit`` holds (e.g. ``'Ki'`` -> 1024, ``'k'`` -> 1000)."""
    try:
        return _UNIT_BYTES[unit.strip().lower()]
    except KeyError:
        raise ValueError(f"{unit!r} is not a valid unit; valid units are {VALID_PREFIXES}") from None


def convert_units(num: float, src_unit: str, dst_unit: str = "B") -> float:
    """Convert ``num`` expressed in ``src_unit`` into ``dst_unit``, as a float."""
    return (num * bytes_in_unit(src_unit)) / bytes_in_unit(dst_unit)


def parse_memory_string(string: str) -> Tuple[float, str]:
    """Split a size like ``'1024 Mib'`` into ``(1024.0, 'Mib')``; no unit gives ``'b'``."""
    match = re.match(_SIZE_PATTERN, string) if isinstance(string, str) else None
    if match is None:
        raise ValueError(f"Could not parse size {string!r}: {_EXAMPLES}")
    unit = match.group(2)
    if unit.lower() not in _UNIT_BYTES:
        raise ValueError(f"Could not parse size {string!r}: unknown unit {unit!r}; {_EXAMPLES} "
                         f"(valid units: {', '.join(VALID_PREFIXES)})")
    number = string.strip()[: len(string.strip()) - len(unit)].strip()
    return float(number), unit or "b"


@functools.lru_cache(maxsize=4096)
def _parse_size_string(string: str) -> int:
    value, unit = parse_memory_string(string)
    return int(value * _UNIT_BYTES[unit.lower()])


def human2bytes(string: Union[str, int, float]) -> int:
    """Return the integer number of bytes in a size like ``'2G'``, ``'100k'`` or ``'1024 Mib'``.

    Numbers (int/float) are taken as bytes. Results for strings are cached because this is
    called for every job's requirements.
    """
    if isinstance(string, bool):
        raise ValueError(f"Could not parse size {string!r}: {_EXAMPLES}")
    if isinstance(string, (int, float)):
        if string < 0:
            raise ValueError(f"Could not parse size {string!r}: sizes cannot be negative")
        return int(string)
    if not isinstance(string, str):
        raise ValueError(f"Could not parse size {string!r}: {_EXAMPLES}")
    return _parse_size_string(string)


def bytes2human(n: SupportsInt) -> str:
    """Render a byte count with a binary unit, e.g. ``2147483648`` -> ``'2.0 Gi'``."""
    n = int(n)
    if n < 0:
        raise ValueError(f"Cannot express a negative size ({n}) in human-readable form")
    units = ("b", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
    level = 0
    while level < len(units) - 1 and n >= 1024 ** (level + 1):
        level += 1
    return f"{n / 1024 ** level:.1f} {units[level]}"


def b_to_mib(n: Union[int, float]) -> float:
    """Convert bytes to mebibytes."""
    return float(n) / (1 << 20)


def mib_to_b(n: Union[int, float]) -> float:
    """Convert mebibytes to bytes."""
    return float(n) * (1 << 20)


def hms_duration_to_seconds(hms: str) -> float:
    """Turn ``'H:MM:SS'`` (or ``'MM:SS'`` / ``'SS'``, seconds may be fractional) into seconds."""
    parts = hms.strip().split(":")
    if not 1 <= len(parts) <= 3 or any(not p.strip() for p in parts):
        raise ValueError(f"Could not parse duration {hms!r}: expected hours:minutes:seconds, e.g. '1:02:03'")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"Could not parse duration {hms!r}: expected hours:minutes:seconds, "
                         f"e.g. '1:02:03'") from None
    if any(v < 0 for v in values):
        raise ValueError(f"Could not parse duration {hms!r}: negative components are not allowed")
    total = 0.0
    for value in values:
        total = total * 60 + value
    return total
