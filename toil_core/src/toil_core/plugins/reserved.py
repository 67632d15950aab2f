"""Names toil-core itself provides (``single_machine``, ``file``, ``http``...) are reserved: a
third-party plugin claiming one never replaces the built-in backend (read from metadata only)."""
from __future__ import annotations

import logging
from typing import List, Optional

from .metadata import CORE_DISTRIBUTION, EntryPointRecord, dist_key
from .specs import kind_info, normalize_name

__all__ = ["builtin_records", "reserved_owner", "reserved_clash_message"]

log = logging.getLogger(__name__)
_warned: set = set()


def _forget_warnings() -> None:
    _warned.clear()


def _register_reset() -> None:
    from . import discovery  # lazy: discovery.py imports this module lazily; the two use each other

    discovery.on_reset(_forget_warnings)


_register_reset()


def builtin_records(records: List[EntryPointRecord]) -> List[EntryPointRecord]:
    """The records among ``records`` that toil-core itself declares."""
    return [r for r in records if dist_key(r.distribution) == dist_key(CORE_DISTRIBUTION)]


def reserved_owner(kind: str, name: str) -> Optional[str]:
    """``toil-core VERSION`` if ``name`` is a built-in plugin of ``kind``, else None."""
    from . import discovery  # lazy: discovery.py imports this module lazily; the two use each other

    wanted = normalize_name(name)
    for record in builtin_records(discovery.entry_points(kind)):
        if record.name == wanted:
            return record.dist_label
    return None


def reserved_clash_message(kind: str, name: str, builtin: EntryPointRecord, others: List[EntryPointRecord]) -> str:
    """The warning for third-party plugins claiming a built-in name: both sides and the cure."""
    info = kind_info(kind)
    claims = ", ".join(f"{r.dist_label} ({r.raw_name} = {r.value})" for r in others)
    return (f"{info.title} name {normalize_name(name)!r} is reserved for toil-core's own backend "
            f"({builtin.dist_label}); ignoring the plugin that also claims it: {claims}. "
            f"Rename that plugin's entry point or uninstall it (pip uninstall "
            f"{' '.join(sorted({r.distribution or '?' for r in others}))}).")


def warn_clash_once(kind: str, name: str, builtin: EntryPointRecord, others: List[EntryPointRecord]) -> None:
    key = (kind, normalize_name(name))
    if key not in _warned:
        _warned.add(key)
        log.warning("%s", reserved_clash_message(kind, name, builtin, others))
