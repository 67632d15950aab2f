"""Compatibility module: upstream name ``toil.lib.conversions``; everything lives in toil_core."""
from toil_core.lib.conversions import *  # noqa: F401,F403

__all__ = [
    "BINARY_PREFIXES", "DECIMAL_PREFIXES", "VALID_PREFIXES", "b_to_mib", "bytes2human", "bytes_in_unit",
    "convert_units", "hms_duration_to_seconds", "human2bytes", "mib_to_b", "parse_memory_string",
]
