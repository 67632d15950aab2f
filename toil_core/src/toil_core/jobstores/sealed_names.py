"""Names that a sealed (client-side encrypted) job store must not show: file and shared file names.

A clear store names a stored file after the file it was written from (``<token>-<basename>``) and a
shared file by its name, so that a listing reads well. A sealed store cannot: the names are the
user's data. There, the name part of an object's path or key is the name encrypted (deterministic
authenticated encryption, SIV style: the nonce is a keyed hash of the context and the name), written
in lower-case base 32 so that it is a valid file name and object key everywhere. So:

* the store can still give back the name (``readGlobalFile``'s default file name, ``toil debug-file``)
  from the file ID alone, without reading the object;
* a name sealed under one file's token does not open under another's (the token is authenticated);
* the same shared file name always maps to the same object, so shared files need no index;
* names are padded to a multiple of :data:`PAD` bytes, so their length shows only coarsely; names
  longer than :data:`MAX_NAME_BYTES` keep their last bytes (the extension), as object names must
  stay under 255 bytes.

Random IDs (job IDs, file tokens) need no sealing: a sealed store simply leaves the job's name out
of its ID (the name is in the sealed job description).
"""
from __future__ import annotations

import base64
import binascii
from typing import Any, Optional

__all__ = ["NameSealer", "MAX_NAME_BYTES", "PAD"]

#: Longest name kept whole (bytes of UTF-8); 12 + 112 + 16 bytes give 224 base-32 characters.
MAX_NAME_BYTES = 112
#: Names are padded with NUL bytes to a multiple of this many bytes before sealing.
PAD = 16
_NONCE = 12
_TAG = 16


def _encode(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def _decode(text: str) -> Optional[bytes]:
    if not text or not text.isascii():
        return None
    try:
        return base64.b32decode(text.upper() + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        return None


def _clip(name: str) -> bytes:
    """``name`` as bytes, its start dropped (whole characters) until it fits MAX_NAME_BYTES."""
    raw = name.encode("utf-8", "surrogateescape")
    while len(raw) > MAX_NAME_BYTES:
        name = name[1:]
        raw = name.encode("utf-8", "surrogateescape")
    return raw


class NameSealer:
    """Seals and opens names under keys derived from a store's cipher.

    :param cipher: the store's :class:`~toil_core.lib.aead_stream.ObjectCipher`.
    """

    def __init__(self, cipher: Any) -> None:
        self._aead = cipher.aead(cipher.derive(b"toil sealed names v1"))
        self._nonce_key = cipher.derive(b"toil sealed name nonces v1")

    def _nonce(self, context: bytes, padded: bytes) -> bytes:
        import hmac  # lazy: every file job store imports this module, only a sealed one uses it

        return hmac.digest(self._nonce_key, context + b"\0" + padded, "sha256")[:_NONCE]

    def seal(self, name: str, context: str = "") -> str:
        """The sealed form of ``name`` (``[a-z2-7]+``, at most 224 characters). ``context`` (a
        file's random token; empty for shared file names) is authenticated: the result opens only
        with the same context, and the same name and context always give the same result."""
        raw = _clip(name)
        padded = raw + b"\0" * (-len(raw) % PAD if raw else PAD)
        ctx = context.encode("utf-8")
        nonce = self._nonce(ctx, padded)
        return _encode(nonce + self._aead.encrypt(nonce, padded, ctx))

    def open(self, sealed: str, context: str = "") -> Optional[str]:
        """The name ``sealed`` holds, or None if it is not a name sealed with this key and context."""
        blob = _decode(sealed)
        if blob is None or len(blob) < _NONCE + _TAG + PAD:
            return None
        nonce, body = blob[:_NONCE], blob[_NONCE:]
        ctx = context.encode("utf-8")
        try:
            padded = self._aead.decrypt(nonce, body, ctx)
        except Exception:  # cryptography's InvalidTag: not ours
            return None
        import hmac  # lazy: see _nonce

        if not hmac.compare_digest(nonce, self._nonce(ctx, padded)):
            return None
        try:
            return padded.rstrip(b"\0").decode("utf-8", "surrogateescape")
        except UnicodeDecodeError:  # pragma: no cover - sealed by us from a str
            return None
