"""Parsing and checking of workflow option values, shared by the Config and the option table.

Each function turns what a user typed (or a value a script set) into the value a
:class:`~toil_core.common.config.Config` field holds: sizes such as ``"2G"`` become ints,
``--setEnv`` items become a dict, node types become ``(instance types, bid)`` tuples.  They raise
ValueError with a message naming the fix; :class:`OptionError` is what the Config raises with it.
"""
import logging
import math
import os
import re
import sys
import urllib.parse
from typing import Any, Dict, List, Optional, Set, Tuple, Union

from toil_core.lib.accelerators import parse_accelerator_list as parse_list
from toil_core.lib.conversions import human2bytes as shared_human2bytes
from toil_core.lib.errors import ToilError

SYS_MAX_SIZE = sys.maxsize
DEFAULT_MAX_LOG_FILE_SIZE = 64000
CLEAN_CHOICES = ("always", "onError", "never", "onSuccess")
#: Log level names accepted by ``--logLevel`` (any case) and what they mean for :mod:`logging`.
LOG_LEVEL_NAMES = {
    "OFF": "CRITICAL",
    "CRITICAL": "CRITICAL",
    "ERROR": "ERROR",
    "WARN": "WARNING",
    "WARNING": "WARNING",
    "INFO": "INFO",
    "DEBUG": "DEBUG",
}


class OptionError(ToilError, ValueError, RuntimeError):
    """A workflow option has a bad value or contradicts another option.

    It is a ValueError (a bad value) and, like the errors upstream Toil raises for the same
    checks, a RuntimeError, so callers catching either keep working.
    """


# --------------------------------------------------------------------------------------------
# Parsing primitives (re-exported by toil_core.common.config and toil_core.workflow.options)
# --------------------------------------------------------------------------------------------

_TRUE_WORDS = frozenset({"true", "t", "yes", "y", "on", "1"})
_FALSE_WORDS = frozenset({"false", "f", "no", "n", "off", "0"})


def parseBool(val: Union[str, bool, int]) -> bool:
    """Parse a boolean word: true/t/yes/y/on/1 or false/f/no/n/off/0 (any case)."""
    if isinstance(val, bool):
        return val
    if isinstance(val, int) and val in (0, 1):
        return bool(val)
    word = str(val).strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ValueError(f"Could not interpret {val!r} as a boolean: use one of "
                     "true/t/yes/y/on/1 or false/f/no/n/off/0.")


def parseSetEnv(items: Any) -> Dict[str, Optional[str]]:
    """Turn ``--setEnv`` items into a dict.

    ``NAME=VALUE`` sets VALUE, ``NAME=`` sets the empty string and a bare ``NAME`` maps to None,
    meaning "take the value from the leader's environment".  The last setting of a name wins.
    An empty name raises ValueError.
    """
    if items is None:
        return {}
    if isinstance(items, dict):
        items = [k if v is None else f"{k}={v}" for k, v in items.items()]
    elif isinstance(items, str):
        items = [items]
    env: Dict[str, Optional[str]] = {}
    for item in items:
        name, sep, value = str(item).partition("=")
        if not name:
            raise ValueError(f"Empty name in --setEnv item {item!r}; use NAME=VALUE or NAME.")
        env[name] = value if sep else None
    return env


_SIZE_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*$")
_BINARY_UNITS = {"k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}


def _human2bytes(text: str) -> int:
    """Parse a human-readable size: K/M/G/T/P/E, Ki..Ei and KiB..EiB are powers of 1024,
    kb/mb/gb/tb/pb/eb are powers of 1000, a bare number or ``b`` is bytes."""
    match = _SIZE_RE.match(str(text))
    if not match:
        raise ValueError(f"Could not parse {text!r} as a size (examples: 1024, 100k, 2G, '1024 Mib').")
    number, unit = float(match.group(1)), match.group(2).lower()
    if unit in ("", "b"):
        factor = 1
    elif len(unit) == 1 and unit in _BINARY_UNITS:
        factor = 1024 ** _BINARY_UNITS[unit]
    elif unit[0] in _BINARY_UNITS and unit[1:] in ("i", "ib"):
        factor = 1024 ** _BINARY_UNITS[unit[0]]
    elif unit[0] in _BINARY_UNITS and unit[1:] == "b":
        factor = 1000 ** _BINARY_UNITS[unit[0]]
    else:
        raise ValueError(f"Unknown size unit {match.group(2)!r} in {text!r} "
                         "(use K, Ki, KiB, kb, M, Mi, MiB, mb, G, Gi, GiB, gb, T, ...).")
    return int(round(number * factor))


def human2bytes(text: str) -> int:
    """Size parser: the job model's ``toil_core.lib.conversions.human2bytes``, so option values
    and job requirements agree."""
    return int(shared_human2bytes(text))


def parse_size(value: Any) -> int:
    """A byte count from an int or a human-readable string (no sign allowed)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a size")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError(f"{value!r} is not a whole number of bytes")
    text = str(value).strip()
    if text.startswith(("-", "+")):
        raise ValueError(f"A size may not be negative or signed: {value!r}; give a size such as 2G or 1024")
    return human2bytes(text)


def parse_signed_size(value: Any) -> int:
    """Like :func:`parse_size` but a leading ``-`` is allowed (used by ``--maxLogFileSize``)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return parse_size(abs(value)) * (-1 if value < 0 else 1)
    text = str(value).strip()
    if text.startswith("-"):
        return -parse_size(text[1:])
    return parse_size(text.lstrip("+"))


def _finite(number: float, value: Any) -> float:
    if math.isnan(number) or math.isinf(number):
        raise ValueError(f"{value!r} is not a finite number; give a number such as 1 or 2.5")
    return number


def parse_number(value: Any) -> Union[int, float]:
    """An int if the value is integral text or an int, else a (finite) float."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _finite(value, value)
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        return _finite(float(text), value)


def parse_int(value: Any) -> int:
    number = parse_number(value)
    if isinstance(number, float):
        if not number.is_integer():
            raise ValueError(f"{value!r} is not a whole number")
        number = int(number)
    return number


def parse_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    return _finite(float(value), value)


def parse_str_list(value: Any) -> List[str]:
    """Comma-separated text (or a list) to a list of non-empty stripped strings."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    return [str(v).strip() for v in value if str(v).strip()]


def parse_int_list(value: Any) -> List[int]:
    """Comma-separated integers (or a list/int) to a list of ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    return [parse_int(v) for v in parse_str_list(value)]


NodeType = Tuple[Set[str], Optional[float]]


def parse_node_types(value: Any) -> List[NodeType]:
    """``c5.4xlarge/c5a.4xlarge:0.42,t2.large`` -> ``[({'c5.4xlarge', 'c5a.4xlarge'}, 0.42),
    ({'t2.large'}, None)]``.  A bid makes the node type preemptible."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)) and all(isinstance(v, tuple) for v in value):
        return [(set(types), None if bid is None else float(bid)) for types, bid in value]
    result: List[NodeType] = []
    for spec in parse_str_list(value):
        types_text, sep, bid_text = spec.partition(":")
        types = {t.strip() for t in types_text.split("/") if t.strip()}
        if not types or (sep and not bid_text.strip()):
            raise ValueError(f"Bad node type {spec!r}: use TYPE[/TYPE...][:BID], e.g. c5.4xlarge/c5a.4xlarge:0.42")
        bid = None
        if sep:
            bid = float(bid_text)
            if bid <= 0:
                raise ValueError(f"The spot bid in node type {spec!r} must be positive")
        result.append((types, bid))
    return result


def parse_accelerator_list(value: Any) -> List[Dict[str, Any]]:
    """``gpu:2,nvidia-tesla-k80`` -> accelerator requirement dicts (count, kind, brand/api/model),
    with the job model's parser so job requirements and ``--defaultAccelerators`` agree."""
    return [dict(a) for a in parse_list(value)]


def canonical_log_level(value: Any) -> str:
    """``off``/``warn``/``Info``... -> the logging level name (OFF->CRITICAL, WARN->WARNING)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return logging.getLevelName(value)
    name = str(value).strip().upper()
    if name not in LOG_LEVEL_NAMES:
        raise ValueError(f"Unknown log level {value!r}: use one of OFF, CRITICAL, ERROR, WARN, WARNING, INFO, DEBUG.")
    return LOG_LEVEL_NAMES[name]


def canonical_clean(value: Any) -> str:
    """``ALWAYS``/``onerror``... -> one of always, onError, never, onSuccess."""
    for choice in CLEAN_CHOICES:
        if str(value).strip().lower() == choice.lower():
            return choice
    raise ValueError(f"{value!r} is not one of {', '.join(CLEAN_CHOICES)}")


def normalize_jobstore(locator: Any) -> str:
    """Make file job store locators absolute: ``./js`` -> ``file:/cwd/js``; others unchanged.

    ``file:`` with no path, and ``file://HOST/...`` naming another machine, are refused.
    """
    text = str(locator)
    if not text:
        raise ValueError("The job store locator is empty; give a path such as ./my-jobstore "
                         "or file:/tmp/my-jobstore")
    if text[0] in "/." or ":" not in text:
        return "file:" + os.path.abspath(text)
    scheme, rest = text.split(":", 1)
    if scheme == "file":
        return "file:" + os.path.abspath(_file_locator_path(text, rest))
    return text


def _file_locator_path(text: str, rest: str) -> str:
    path = rest
    if rest.startswith("//"):
        parsed = urllib.parse.urlparse(text)
        if parsed.netloc not in ("", "localhost"):
            raise ValueError(f"{text!r} names the host {parsed.netloc!r}, but a file job store is a "
                             "directory on this machine; use file:/path/to/jobstore (or "
                             "file:///path/to/jobstore)")
        path = urllib.parse.unquote(parsed.path)
    if not path:
        raise ValueError(f"{text!r} has no path after 'file:'; use file:/path/to/jobstore or a "
                         "plain path such as ./my-jobstore")
    return path


def absolute_path(value: Any) -> str:
    """An absolute path, with ``~`` expanded."""
    return os.path.abspath(os.path.expanduser(str(value)))


def parse_job_limit(value: Any) -> int:
    """``--maxJobs``/``--maxLocalJobs``: 0 means unlimited (stored as sys.maxsize)."""
    number = parse_int(value)
    if number < 0:
        raise ValueError("must be 0 (unlimited) or a positive number of jobs")
    return SYS_MAX_SIZE if number == 0 else number


def parse_bool_value(value: Any) -> bool:
    """A bool from a boolean word (see :func:`parseBool`) or any value's truth."""
    return parseBool(value) if isinstance(value, str) else bool(value)


def parse_optional_bool(value: Any) -> Optional[bool]:
    """Like :func:`parse_bool_value`, but None stays None ("not chosen")."""
    return None if value is None else parse_bool_value(value)


def local_core_count() -> int:
    """Cores this process may use (CPU affinity aware)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)
