"""The encrypted half of FileJobStore's I/O: what changes when the store has a key.

FileJobStore calls these helpers at its few read and write choke points when ``self._cipher`` is
set. Each stored object is sealed under its name relative to the store directory (log blobs under
``logs/<blob>`` wherever they sit), so objects swapped on disk fail to decrypt.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import stat
from contextlib import contextmanager
from typing import IO, Any, Dict, Iterator, Optional

from toil_core.lib.aead_stream import DecryptionError, ObjectCipher, plaintext_size

from .encryption import (
    ENCRYPTION_FILE,
    KEY_ENV,
    TamperedFileError,
    check_metadata,
    key_path_for,
    shared_names_sealed,
)
from .sealed_names import NameSealer

__all__ = ["SealedIOMixin"]

_COPY_BLOCK = 1 << 20
#: The last part of a stored file's path in an encrypted store: ``<token>-<sealed name>``.
_SEALED_FILE = re.compile(r"([0-9a-f]{20})-([a-z2-7]+)")


class SealedIOMixin:
    """FileJobStore's encryption: opening an encrypted store with its key, and encrypting and
    decrypting file I/O (uses the store's ``jobStoreDir`` and ``locator``)."""

    _cipher: Optional[ObjectCipher]
    _key_path: Optional[str]
    _names: Optional[NameSealer]
    _seal_shared: bool
    jobStoreDir: str
    locator: str

    def provide_key(self, key_path: Optional[str]) -> None:
        """The key file to open an encrypted store with (else :data:`KEY_ENV` names it)."""
        self._key_path = os.path.abspath(key_path) if key_path else None

    def _open_encryption(self) -> None:
        try:
            with open(os.path.join(self.jobStoreDir, ENCRYPTION_FILE), "rb") as handle:
                raw = handle.read()
        except FileNotFoundError:
            self._cipher = None
            return
        key_path = key_path_for(self._key_path)
        self._use_cipher(check_metadata(self.locator, raw, key_path), shared_names_sealed(self.locator, raw))
        self._key_path = os.path.abspath(key_path) if key_path else None

    def _use_cipher(self, cipher: ObjectCipher, seal_shared: bool) -> None:
        self._cipher = cipher
        self._names = NameSealer(cipher)
        self._seal_shared = seal_shared

    def original_file_name(self, file_id: str) -> Optional[str]:
        """The name a file of an encrypted store was written under, read from its sealed file ID
        or stored path (a shared file's too, given its path); None in a clear store (its IDs show
        the name) or for an ID that holds no name sealed with this key."""
        if self._names is None:
            return None
        parent, _, base = str(file_id).replace(os.sep, "/").rpartition("/")
        match = _SEALED_FILE.fullmatch(base)
        if match is not None:
            return self._names.open(match.group(2), match.group(1))
        if parent.endswith("shared") and self._seal_shared:
            return self._names.open(base)
        return None

    @property
    def encrypted(self) -> bool:
        """Whether this store seals what it holds."""
        return self._cipher is not None

    def copy_stored_path(self, path: str, local_path: str) -> None:
        """Copy the stored object at ``path`` (inside the store) to ``local_path``, decrypted when
        the store is encrypted (for ``toil debug-file --fetch``)."""
        if self._cipher is not None:
            self._unseal_file_to(path, local_path)
        else:
            shutil.copy2(path, local_path)

    def get_env(self) -> Dict[str, str]:
        """Workers of an encrypted store find its key file through :data:`KEY_ENV`."""
        if self._cipher is not None and self._key_path:
            return {KEY_ENV: self._key_path}
        return {}

    def _sealed_name(self, path: str) -> str:
        """The name an object at ``path`` is sealed under (stable across log moves)."""
        rel = os.path.relpath(path, self.jobStoreDir).replace(os.sep, "/")
        if rel.startswith(("logs/new/", "logs/read/")):
            rel = "logs/" + rel.rsplit("/", 1)[1]
        return rel

    def _seal_bytes(self, data: bytes, dest: str) -> bytes:
        assert self._cipher is not None
        return self._cipher.encrypt(self._sealed_name(dest), data)

    def _unseal_bytes(self, raw: bytes, path: str) -> bytes:
        assert self._cipher is not None
        try:
            return self._cipher.raw_reader(self._sealed_name(path), io.BytesIO(raw)).readall()
        except DecryptionError as err:
            raise TamperedFileError(self.locator, err) from None

    def _sealed_writer(self, raw: IO[bytes], dest: str, encoding: Optional[str],
                       errors: Optional[str]) -> IO[Any]:
        """A handle that encrypts into ``raw`` (closing it closes ``raw``)."""
        assert self._cipher is not None
        sealed = io.BufferedWriter(self._cipher.writer(self._sealed_name(dest), raw), _COPY_BLOCK)
        if encoding is None and errors is None:
            return sealed
        return io.TextIOWrapper(sealed, encoding=encoding, errors=errors)

    def _sealed_reader(self, path: str, encoding: Optional[str], errors: Optional[str]) -> IO[Any]:
        """A handle on the plaintext of the object at ``path`` (FileNotFoundError if absent)."""
        assert self._cipher is not None
        raw = open(path, "rb")
        try:
            plain: IO[Any] = self._cipher.reader(self._sealed_name(path), raw)
        except DecryptionError as err:
            raw.close()
            raise TamperedFileError(self.locator, err) from None
        except BaseException:
            raw.close()
            raise
        if encoding is None and errors is None:
            return plain
        return io.TextIOWrapper(plain, encoding=encoding, errors=errors)

    def _seal_file_into(self, local_path: str, fd: int, dest: str) -> None:
        """Encrypt the local file at ``local_path`` into the open descriptor ``fd`` (left open)."""
        assert self._cipher is not None
        with open(local_path, "rb", buffering=0) as source:
            if stat.S_ISREG(os.fstat(source.fileno()).st_mode):
                self._cipher.encrypt_file(self._sealed_name(dest), source.fileno(), fd)
                return
            raw = os.fdopen(os.dup(fd), "wb")  # a pipe, a device...: streamed
            with self._cipher.writer(self._sealed_name(dest), raw) as sink:
                while True:
                    block = source.read(_COPY_BLOCK)
                    if not block:
                        break
                    sink.write(block)

    def _unseal_file_to(self, path: str, local_path: str) -> None:
        """Decrypt the object at ``path`` into a new file at ``local_path`` (a temporary file:
        on a failure, what was written before it is left there)."""
        assert self._cipher is not None
        name = self._sealed_name(path)
        # Stored objects are only ever replaced whole (rename), never changed in place, so the
        # mapped file cannot shrink under the reader.
        with open(path, "rb", buffering=0) as raw, open(local_path, "wb", buffering=0) as sink:
            try:
                self._cipher.decrypt_file(name, raw.fileno(), sink.fileno())
            except DecryptionError as err:
                raise TamperedFileError(self.locator, err) from None

    def _plain_size(self, stored_size: int) -> int:
        assert self._cipher is not None
        return plaintext_size(stored_size, self._cipher.segment_size)


@contextmanager
def translating_tamper(locator: str) -> Iterator[None]:
    """Turn a :class:`DecryptionError` raised while a caller reads a stream into
    :class:`TamperedFileError` naming the job store."""
    try:
        yield
    except DecryptionError as err:
        raise TamperedFileError(locator, err) from None
