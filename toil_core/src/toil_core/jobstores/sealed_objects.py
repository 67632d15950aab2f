"""Client-side encryption for job stores kept as named objects (``aws:``, ``google:``, ...).

:class:`ObjectSealer` is what an object-store backend needs from the core to honour
``--clientSideEncryption``: it seals each object under its name (so objects swapped in the bucket
fail to decrypt), streams both ways one segment at a time (see :mod:`toil_core.lib.aead_stream`),
keeps the small clear record that lets a later process check its key before reading anything
(:meth:`ObjectSealer.record`, :meth:`ObjectSealer.open`), and tells workers where the key file is
(:meth:`ObjectSealer.env`) without ever writing the key into the store.

A backend stores :meth:`ObjectSealer.record` beside its marker when it creates an encrypted store,
and on every later open calls :meth:`ObjectSealer.open` with that record before it reads anything
else: a missing, malformed or wrong key fails there with :class:`EncryptionKeyError`. A read of an
object that was changed, truncated or swapped fails with :class:`TamperedFileError` naming it.
"""
from __future__ import annotations

import io
import os
from typing import IO, TYPE_CHECKING, Any, Dict, Optional

from toil_core.lib.aead_stream import DecryptionError, ObjectCipher, plaintext_size

from .encryption import (
    KEY_ENV,
    EncryptionKeyError,
    TamperedFileError,
    check_metadata,
    key_path_for,
    load_cipher,
    metadata_for,
    shared_names_sealed,
)
from .sealed_names import NameSealer

if TYPE_CHECKING:
    from toil_core.common.config import Config

__all__ = ["ObjectSealer", "SealingWriter", "UnsealingReader", "EncryptionKeyError", "TamperedFileError"]


class ObjectSealer:
    """Seals and unseals the objects of one job store under the key in one key file.

    It also keeps the user's names out of object keys (see :mod:`toil_core.jobstores.sealed_names`):
    a backend names a new file's object with :meth:`file_name` and a shared file's with
    :meth:`shared_name`, and leaves job names out of job IDs.

    :param locator: the job store's locator, for messages.
    :param seal_shared: whether shared file names are sealed (stores of encryption format 2 on;
        format 1 stores, made before, keep them clear).
    """

    def __init__(self, cipher: ObjectCipher, key_path: str, locator: str, seal_shared: bool = True) -> None:
        self._cipher = cipher
        self.key_path = os.path.abspath(key_path)
        self.locator = locator
        self.seal_shared = seal_shared
        self._names = NameSealer(cipher)

    # ------------------------------------------------------------------ making and opening
    @staticmethod
    def wanted(config: Config) -> bool:
        """Whether ``config`` asks an object store for client-side encryption
        (``--clientSideEncryption``, which the options check comes with ``--sseKey``)."""
        return bool(config.clientSideEncryption and config.sseKey)

    @classmethod
    def create(cls, locator: str, key_path: str) -> "ObjectSealer":
        """The sealer of a new store, for the key in ``key_path``.

        :raises EncryptionKeyError: the key file is unreadable or the key is not 32 characters.
        :raises MissingCryptographyError: ``cryptography`` is not installed (says what to install).
        """
        return cls(load_cipher(key_path), key_path, locator)

    @classmethod
    def open(cls, locator: str, record: bytes, key_path: Optional[str]) -> "ObjectSealer":
        """The sealer of an existing store whose clear record is ``record``; the key file is
        ``key_path``, else the one :data:`KEY_ENV` names.

        :raises EncryptionKeyError: no key, a malformed one, or not the store's key (which one is said).
        """
        path = key_path_for(key_path)
        cipher = check_metadata(locator, record, path)
        assert path is not None  # check_metadata refuses a missing key
        return cls(cipher, path, locator, shared_names_sealed(locator, record))

    def record(self) -> bytes:
        """The clear record to keep with the store: format, cipher and key fingerprint, no secret."""
        return metadata_for(self._cipher)

    def env(self) -> Dict[str, str]:
        """What a worker needs in its environment to open the store: the key file's path."""
        return {KEY_ENV: self.key_path}

    # ------------------------------------------------------------------ names
    def file_name(self, name: str, token: str) -> str:
        """The sealed form of a new file's name, to put in its key beside its random ``token``
        (``[a-z2-7]+``, at most 224 characters; opens only with that token)."""
        return self._names.seal(name, token)

    def open_file_name(self, sealed: str, token: str) -> Optional[str]:
        """The name :meth:`file_name` sealed, or None if ``sealed`` is not one (e.g. a clear name
        of a file written before names were sealed)."""
        return self._names.open(sealed, token)

    def shared_name(self, name: str) -> str:
        """The key part for the shared file ``name``: always the same for the same name (sealed,
        or ``name`` itself in a format 1 store)."""
        return self._names.seal(name) if self.seal_shared else name

    def open_shared_name(self, sealed: str) -> Optional[str]:
        """The shared file name :meth:`shared_name` sealed, or None."""
        return self._names.open(sealed) if self.seal_shared else None

    # ------------------------------------------------------------------ whole objects
    def seal(self, name: str, data: bytes) -> bytes:
        """The stored form of ``data`` as the object ``name``."""
        return self._cipher.encrypt(name, data)

    def unseal(self, name: str, blob: bytes) -> bytes:
        """The plaintext of the stored object ``name``. :raises TamperedFileError:"""
        try:
            return self._cipher.raw_reader(name, io.BytesIO(blob)).readall()
        except DecryptionError as err:
            raise TamperedFileError(self.locator, err) from None

    def plain_size(self, stored_size: int) -> int:
        """The plaintext size of an object stored in ``stored_size`` bytes."""
        return plaintext_size(stored_size, self._cipher.segment_size)

    # ------------------------------------------------------------------ streams
    def writer(self, name: str, target: IO[bytes]) -> "SealingWriter":
        """A raw binary stream that encrypts into ``target`` (left open); :meth:`SealingWriter.finish`
        seals the last segment, :meth:`SealingWriter.abandon` leaves an object that will not decrypt."""
        return SealingWriter(self._cipher.writer(name, target, close_target=False))

    def reader(self, name: str, source: IO[bytes]) -> "UnsealingReader":
        """A raw binary stream of the plaintext read from ``source`` (closed with it); other
        attributes (a store's object metadata...) are looked up on ``source``.

        :raises TamperedFileError: here or on a later read, when authentication fails.
        """
        try:
            inner = self._cipher.raw_reader(name, source)
        except DecryptionError as err:
            raise TamperedFileError(self.locator, err) from None
        return UnsealingReader(inner, self.locator, source)


class SealingWriter(io.RawIOBase):
    """Encrypts what is written, segment by segment; nothing is final before :meth:`finish`."""

    def __init__(self, inner: Any) -> None:
        super().__init__()
        self._inner = inner

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return int(self._inner.write(data))

    def finish(self) -> None:
        """Seal the final segment into the target (which stays open)."""
        self._inner.close()
        super().close()

    def abandon(self) -> None:
        """Stop without sealing the final segment."""
        self._inner.abandon()
        super().close()

    def close(self) -> None:
        if not self.closed:  # closed without finish(): never a complete object
            self.abandon()


class UnsealingReader(io.RawIOBase):
    """The plaintext of one sealed object; authentication failures become :class:`TamperedFileError`.
    Attributes it does not have come from the stream it decrypts (``source``)."""

    def __init__(self, inner: Any, locator: str, source: Any = None) -> None:
        super().__init__()
        self._inner = inner
        self._locator = locator
        self._source = source

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._source, name)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            return int(self._inner.readinto(buffer))
        except DecryptionError as err:
            raise TamperedFileError(self._locator, err) from None

    def readall(self) -> bytes:
        try:
            return bytes(self._inner.readall())
        except DecryptionError as err:
            raise TamperedFileError(self._locator, err) from None

    def close(self) -> None:
        if not self.closed:
            try:
                self._inner.close()
            finally:
                super().close()
