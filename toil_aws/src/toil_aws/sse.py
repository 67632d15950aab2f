"""SSE-C keys (``--sseKey PATH``): reading the key file and recognising the key a store was made with.

The key file holds exactly 32 bytes, the AES-256 key S3 encrypts every object with. One trailing
newline (``\\n`` or ``\\r\\n``), as editors and ``echo`` add, is stripped; anything else (31 or 33
bytes, a second line) is refused with a message saying what was found.

S3 keeps no copy of the key, and a server that does not check it (moto, some S3-compatible
services) would hand back garbage or plaintext for a wrong one, so the job store records a
salted PBKDF2 fingerprint of its key in its (unencrypted) marker object and checks the key of
every later process against it before reading anything else: a wrong or missing key fails at
once with a clear message instead of failing (or hanging) later.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from typing import Optional

from toil_core.plugin_api import ToilError

__all__ = ["KEY_BYTES", "SSEKeyError", "fingerprint", "matches", "read_key"]

KEY_BYTES = 32
_ITERATIONS = 20000


class SSEKeyError(ToilError, ValueError):
    """The --sseKey file is unusable, or the key does not match the job store's."""


def read_key(path: str) -> bytes:
    """The 32-byte key in the file at ``path`` (one trailing newline stripped).

    :raises SSEKeyError: the file cannot be read or does not hold exactly 32 bytes.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(4096)
    except OSError as err:
        raise SSEKeyError(f"Cannot read the --sseKey file '{path}': {err.strerror or err}. Give the path "
                          "of a file holding the 32-byte key.") from err
    for ending in (b"\r\n", b"\n"):
        if data.endswith(ending):
            data = data[: -len(ending)]
            break
    if len(data) != KEY_BYTES or b"\n" in data:
        lines = " on more than one line" if b"\n" in data else ""
        raise SSEKeyError(
            f"The --sseKey file '{path}' must hold exactly {KEY_BYTES} bytes (one trailing newline is "
            f"allowed), but it holds {len(data)}{lines}. "
            f"Make a key with: head -c {KEY_BYTES // 2} /dev/urandom | xxd -p | tr -d '\\n' > {path}")
    return data


def fingerprint(key: bytes, salt: Optional[bytes] = None) -> str:
    """``<salt hex>:<pbkdf2 hex>`` of ``key``: stored beside the data, it tells a right key from
    a wrong one without revealing the key."""
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", key, salt, _ITERATIONS)
    return f"{salt.hex()}:{digest.hex()}"


def matches(key: bytes, recorded: str) -> bool:
    """True if ``key`` is the key whose :func:`fingerprint` is ``recorded``."""
    salt_hex, _, _digest = recorded.partition(":")
    try:
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return hmac.compare_digest(fingerprint(key, salt), recorded)
