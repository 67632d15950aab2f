"""Authenticated encryption of whole objects and of streams, in fixed-size segments.

Every encrypted object starts with a clear header (format version, segment size, a random salt and
nonce prefix) and continues with segments of at most ``segment_size`` plaintext bytes, each sealed
with AES-256-GCM under a key derived for this object alone (HKDF-SHA256 of the master key and the
salt). A segment's nonce is the prefix, its index and a flag that marks the final segment, and the
header plus the object's name are authenticated with every segment. So:

* memory stays flat whatever the object's size (one segment at a time, both ways);
* a flipped byte, a truncated object (its new last segment lacks the final flag), reordered
  segments (their index is wrong) and two objects swapped under each other's names (the name is
  authenticated) all fail to decrypt instead of reading short or wrong.

This module needs the ``cryptography`` package (``pip install 'toil-core[encryption]'``) and
imports it only when a key is used.
"""
from __future__ import annotations

import io
import os
import struct
from typing import IO, Any, Iterator

from toil_core.lib.errors import ToilError

__all__ = [
    "DEFAULT_SEGMENT_SIZE",
    "HEADER_SIZE",
    "KEY_SIZE",
    "DecryptionError",
    "MissingCryptographyError",
    "ObjectCipher",
    "plaintext_size",
]

KEY_SIZE = 32
MAGIC = b"TOILENC\x01"  # the last byte is the format version
_HEADER = struct.Struct(">8sI16s7s")  # magic+version, segment size, salt, nonce prefix
HEADER_SIZE = _HEADER.size
TAG_SIZE = 16
DEFAULT_SEGMENT_SIZE = 256 * 1024
INSTALL_HINT = "pip install 'toil-core[encryption]'"


class MissingCryptographyError(ToilError, ImportError):
    """Encryption was asked for but the ``cryptography`` package is not installed."""

    def __init__(self) -> None:
        super().__init__(f"Encrypting the job store needs the 'cryptography' package. Install it with: "
                         f"{INSTALL_HINT}")


class DecryptionError(ToilError, ValueError):
    """An encrypted object failed authentication: it was changed, truncated, reordered or swapped,
    or it was written with another key."""

    def __init__(self, name: str, why: str) -> None:
        self.name = name
        super().__init__(f"Encrypted object {name!r} cannot be decrypted: {why}. It was changed, truncated "
                         f"or replaced after it was written, or the store was written with another key.")


def _aesgcm() -> Any:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # lazy: optional dependency
    except ImportError as err:
        raise MissingCryptographyError() from err
    return AESGCM


def _derive(master: bytes, salt: bytes, info: bytes) -> bytes:
    """HKDF-SHA256 (RFC 5869) with one output block: a 32-byte key for ``info``."""
    import hmac  # lazy: every file job store imports this module, only an encrypted one derives keys

    prk = hmac.digest(salt, master, "sha256")
    return hmac.digest(prk, info + b"\x01", "sha256")


def plaintext_size(ciphertext_size: int, segment_size: int = DEFAULT_SEGMENT_SIZE) -> int:
    """The plaintext length of an object whose encrypted form is ``ciphertext_size`` bytes."""
    body = ciphertext_size - HEADER_SIZE
    if body < TAG_SIZE:
        return 0
    segments = -(-body // (segment_size + TAG_SIZE))
    return body - segments * TAG_SIZE


class ObjectCipher:
    """Encrypts and decrypts named objects under one 32-byte master key."""

    def __init__(self, key: bytes, segment_size: int = DEFAULT_SEGMENT_SIZE) -> None:
        if len(key) != KEY_SIZE:
            raise ValueError(f"An encryption key must be {KEY_SIZE} bytes long, not {len(key)}.")
        self._aead = _aesgcm()
        self._key = key
        self.segment_size = segment_size
        #: Safe to store in clear: identifies the key without revealing it.
        self.fingerprint = _derive(key, b"toil key fingerprint", b"fingerprint").hex()

    def derive(self, purpose: bytes) -> bytes:
        """A 32-byte key for ``purpose`` derived from the master key (never the master key itself)."""
        return _derive(self._key, b"toil derived key", purpose)

    def aead(self, key: bytes) -> Any:
        """An AES-256-GCM instance under ``key`` (e.g. one from :meth:`derive`)."""
        return self._aead(key)

    # -- whole objects -------------------------------------------------------------------------
    def encrypt(self, name: str, data: bytes) -> bytes:
        """The encrypted form of ``data`` stored under ``name``."""
        out = io.BytesIO()
        with self.writer(name, out, close_target=False) as handle:
            handle.write(data)
        return out.getvalue()

    def decrypt(self, name: str, blob: bytes) -> bytes:
        """The plaintext of the object ``name``; raises :class:`DecryptionError` if it was tampered with."""
        return self.reader(name, io.BytesIO(blob)).read()

    # -- streams --------------------------------------------------------------------------------
    def writer(self, name: str, target: IO[bytes], close_target: bool = True) -> "EncryptingWriter":
        """A binary stream that encrypts what is written to it into ``target``."""
        return EncryptingWriter(self, name, target, close_target)

    def reader(self, name: str, source: IO[bytes]) -> io.BufferedReader:
        """A buffered binary stream of the plaintext of the object read from ``source``."""
        return io.BufferedReader(self.raw_reader(name, source), buffer_size=min(self.segment_size, 1 << 16))

    def raw_reader(self, name: str, source: IO[bytes]) -> "DecryptingReader":
        """The unbuffered reader: :meth:`DecryptingReader.segments` copies without extra buffering."""
        return DecryptingReader(self, name, source)

    def _segment_aead(self, header: bytes) -> Any:
        _, _, salt, _ = _HEADER.unpack(header)
        return self._aead(_derive(self._key, salt, b"toil object key v1"))

    # -- files (the fast paths of the file job store: mapped, no per-segment allocations) -------
    def encrypt_file(self, name: str, source_fd: int, sink_fd: int) -> None:
        """Write the encrypted form of the regular file open at ``source_fd`` (read from where it
        is, to its end as :func:`os.fstat` sees it first) to ``sink_fd``: the bytes :meth:`writer`
        would produce, without its per-segment allocations."""
        size = os.fstat(source_fd).st_size - os.lseek(source_fd, 0, os.SEEK_CUR)
        prefix = os.urandom(7)
        header = _HEADER.pack(MAGIC, self.segment_size, os.urandom(16), prefix)
        aead = self._segment_aead(header)
        aad = header + name.encode("utf-8")
        _write_all(sink_fd, header)
        into = getattr(aead, "encrypt_into", None)
        plain = bytearray(self.segment_size)
        sealed = bytearray(self.segment_size + TAG_SIZE)
        done, index = 0, 0
        while True:
            count = min(self.segment_size, size - done)
            view = memoryview(plain)[:count]
            got = 0
            while got < count:
                n = os.readv(source_fd, [view[got:]])
                if n == 0:
                    raise OSError(f"the file being stored as {name!r} shrank while it was read")
                got += n
            done += count
            nonce = _nonce(prefix, index, done == size)
            if into is not None:
                target = memoryview(sealed)[:count + TAG_SIZE]
                into(nonce, view, aad, target)
                _write_all(sink_fd, target)
            else:
                _write_all(sink_fd, aead.encrypt(nonce, bytes(view), aad))
            index += 1
            if done == size:
                return

    def decrypt_file(self, name: str, source_fd: int, sink_fd: int) -> None:
        """Write the plaintext of the encrypted object open at ``source_fd`` to ``sink_fd``.

        :raises DecryptionError: as :meth:`reader` would (bytes of a failing segment are never
            written, but segments before it are: write to a temporary file).
        """
        from cryptography.exceptions import InvalidTag  # lazy: optional dependency
        import mmap  # lazy: every file job store imports this module, only an encrypted one reads mapped

        size = os.fstat(source_fd).st_size
        if size < HEADER_SIZE:
            raise DecryptionError(name, "it is shorter than the encryption header (truncated or not encrypted)")
        with mmap.mmap(source_fd, 0, access=mmap.ACCESS_READ) as mapped, memoryview(mapped) as view:
            header = bytes(view[:HEADER_SIZE])
            segment, prefix = _parse_header(name, header)
            aead = self._segment_aead(header)
            aad = header + name.encode("utf-8")
            into = getattr(aead, "decrypt_into", None)
            out = bytearray(segment)
            chunk = segment + TAG_SIZE
            offset, index = HEADER_SIZE, 0
            while True:
                count = min(chunk, size - offset)
                if count < TAG_SIZE:
                    raise DecryptionError(name, "it ends inside a segment (truncated)")
                last = offset + count == size
                sealed = view[offset:offset + count]
                try:
                    if into is not None:
                        plain: Any = memoryview(out)[:count - TAG_SIZE]
                        into(_nonce(prefix, index, last), sealed, aad, plain)
                    else:
                        plain = aead.decrypt(_nonce(prefix, index, last), sealed, aad)
                except InvalidTag:
                    why = "segment %d fails authentication" % index
                    if last:
                        why += " (a truncated object fails here)"
                    raise DecryptionError(name, why) from None
                finally:
                    sealed.release()
                _write_all(sink_fd, plain)
                offset += count
                index += 1
                if last:
                    return


def _write_all(fd: int, data: Any) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _parse_header(name: str, header: bytes) -> "tuple[int, bytes]":
    """The segment size and nonce prefix of a clear header. :raises DecryptionError:"""
    magic, size, _, prefix = _HEADER.unpack(header)
    if magic[:7] != MAGIC[:7]:
        raise DecryptionError(name, "it does not start with the encryption header (it is not encrypted)")
    if magic != MAGIC:
        raise DecryptionError(name, f"its format version {magic[7]} is not supported by this toil-core")
    if not 0 < size <= 1 << 26:
        raise DecryptionError(name, "its header is damaged")
    return size, prefix


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index >= 1 << 32:
        raise ValueError("object too large for one encrypted stream")
    return prefix + struct.pack(">I?", index, last)


class EncryptingWriter(io.RawIOBase):
    """Writes the header, then one sealed segment each time a full segment has been written and
    more follows; the final segment is sealed with the final flag on :meth:`close`."""

    def __init__(self, cipher: ObjectCipher, name: str, target: IO[bytes], close_target: bool) -> None:
        super().__init__()
        self._size = cipher.segment_size
        prefix = os.urandom(7)
        self._header = _HEADER.pack(MAGIC, self._size, os.urandom(16), prefix)
        self._prefix = prefix
        self._aead = cipher._segment_aead(self._header)
        self._aad = self._header + name.encode("utf-8")
        self._target = target
        self._close_target = close_target
        self._buffer = bytearray()
        self._index = 0
        target.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        count = len(view)
        size = self._size
        if self._buffer:  # top the pending segment up first
            take = min(size - len(self._buffer), count)
            self._buffer += view[:take]
            view = view[take:]
            if not view:
                return count
            self._seal(bytes(self._buffer), last=False)
            self._buffer = bytearray()
        while len(view) > size:  # keep at least one byte back: the last segment is never empty
            self._seal(view[:size], last=False)
            view = view[size:]
        self._buffer += view
        return count

    def _seal(self, plaintext: Any, last: bool) -> None:
        nonce = _nonce(self._prefix, self._index, last)
        self._target.write(self._aead.encrypt(nonce, plaintext, self._aad))
        self._index += 1

    def close(self) -> None:
        if self.closed:
            return
        try:
            self._seal(bytes(self._buffer), last=True)
            self._buffer = bytearray()
            if self._close_target:
                self._target.close()
            else:
                self._target.flush()
        finally:
            super().close()

    def abandon(self) -> None:
        """Close without sealing the final segment (the object will not decrypt)."""
        self._buffer = bytearray()
        super().close()


class DecryptingReader(io.RawIOBase):
    """Reads and authenticates one segment at a time; the final segment must carry the final flag."""

    def __init__(self, cipher: ObjectCipher, name: str, source: IO[bytes]) -> None:
        super().__init__()
        self._name = name
        self._source = source
        header = self._read_exactly(HEADER_SIZE)
        if len(header) < HEADER_SIZE:
            raise DecryptionError(name, "it is shorter than the encryption header (truncated or not encrypted)")
        size, prefix = _parse_header(name, header)
        self._chunk = size + TAG_SIZE
        self._prefix = prefix
        self._aead = cipher._segment_aead(header)
        self._aad = header + name.encode("utf-8")
        self._index = 0
        self._pending = self._read_exactly(self._chunk)
        self._plain = b""
        self._offset = 0
        self._done = False

    def _read_exactly(self, n: int) -> bytes:
        parts = []
        while n > 0:
            block = self._source.read(n)
            if not block:
                break
            parts.append(block)
            n -= len(block)
        return b"".join(parts)

    def readable(self) -> bool:
        return True

    def _next_segment(self) -> None:
        from cryptography.exceptions import InvalidTag  # lazy: optional dependency, loaded with the cipher

        chunk = self._pending
        if len(chunk) < TAG_SIZE:
            raise DecryptionError(self._name, "it ends inside a segment (truncated)")
        following = self._read_exactly(self._chunk) if len(chunk) == self._chunk else b""
        last = not following
        try:
            self._plain = self._aead.decrypt(_nonce(self._prefix, self._index, last), chunk, self._aad)
        except InvalidTag:
            why = "segment %d fails authentication" % self._index
            if last:
                why += " (a truncated object fails here)"
            raise DecryptionError(self._name, why) from None
        self._offset = 0
        self._index += 1
        self._pending = following
        self._done = last

    def segments(self) -> Iterator[bytes]:
        """The remaining plaintext, one segment at a time (the fast path for copies)."""
        if self._offset < len(self._plain):
            yield self._plain[self._offset:]
        self._plain, self._offset = b"", 0
        while not self._done:
            self._next_segment()
            plain, self._plain = self._plain, b""
            yield plain

    def readall(self) -> bytes:
        return b"".join(self.segments())

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while self._offset >= len(self._plain):
            if self._done:
                return 0
            self._next_segment()
        n = min(len(view), len(self._plain) - self._offset)
        view[:n] = self._plain[self._offset:self._offset + n]
        self._offset += n
        return n

    def close(self) -> None:
        if not self.closed:
            try:
                self._source.close()
            finally:
                super().close()

