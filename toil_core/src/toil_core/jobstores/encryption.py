"""Client-side encryption of a job store: the key, the store's clear metadata, and the errors.

A store created with a key (``--sseKey PATH`` on the ``file:`` store, or ``--clientSideEncryption``
with ``--sseKey`` on any store that supports it) keeps everything it holds encrypted with
:class:`~toil_core.lib.aead_stream.ObjectCipher`, except one small clear record (the format
version, the cipher and the key's fingerprint) so that a later run can tell at once that the store
is encrypted and whether the key it was given is the right one.

The key file holds the key on its first line (32 characters, as for upstream's ``--sseKey``). The
key itself is never written into the store: the leader knows the path from its options, and its
workers get the path through the environment variable :data:`KEY_ENV` (see
:meth:`AbstractJobStore.get_env`). Tools such as ``toil status`` find it there too.
"""
from __future__ import annotations

import hashlib
import json
import os
from typing import TYPE_CHECKING, Any, Dict, Optional

from toil_core.lib.aead_stream import DEFAULT_SEGMENT_SIZE, KEY_SIZE, DecryptionError, ObjectCipher

from .errors import JobStoreError

if TYPE_CHECKING:
    from ..common.config import Config
    from .abstract import AbstractJobStore

__all__ = [
    "ENCRYPTION_FILE",
    "FORMAT_VERSION",
    "KEY_ENV",
    "EncryptionKeyError",
    "TamperedFileError",
    "load_cipher",
    "metadata_for",
    "check_metadata",
    "shared_names_sealed",
    "key_path_for",
    "read_key_file",
    "wants_encryption",
]

#: Format 2 also seals the names of shared files (see :mod:`.sealed_names`); format 1 stores (made
#: before) keep their shared files under clear names and still open.
FORMAT_VERSION = 2
KNOWN_FORMATS = frozenset({1, 2})
_KNOWN = " and ".join(map(str, sorted(KNOWN_FORMATS)))
#: Environment variable naming the key file of an encrypted job store (for workers and tools).
KEY_ENV = "TOIL_SSE_KEY"
CIPHER_NAME = "AES-256-GCM-HKDF-SHA256-segmented"


class EncryptionKeyError(JobStoreError):
    """The key of an encrypted job store is missing, malformed, or not the store's key."""


class TamperedFileError(JobStoreError):
    """An object of an encrypted job store failed authentication when read."""

    def __init__(self, locator: str, error: DecryptionError) -> None:
        self.name = error.name
        super().__init__(f"{error} (job store '{locator}'). Restore the file from a backup, or delete "
                         f"the job store and start again; then resume with --restart.")


def read_key_file(path: str) -> bytes:
    """The key held on the first line of the file at ``path``.

    :raises EncryptionKeyError: if the file cannot be read or the key is not 32 characters long.
    """
    try:
        with open(path, "rb") as handle:
            line = handle.readline().rstrip(b"\r\n")
    except OSError as err:
        raise EncryptionKeyError(f"Cannot read the encryption key file '{path}': {err.strerror}. Give the "
                                 f"path of a file holding the 32-character key (--sseKey PATH).") from None
    try:
        length = len(line.decode("utf-8"))
    except UnicodeDecodeError:
        length = len(line)
    if length != KEY_SIZE:
        raise EncryptionKeyError(f"The encryption key in '{path}' is {length} characters long; it must be "
                                 f"exactly {KEY_SIZE} characters on the file's first line.")
    return hashlib.sha256(b"toil job store key\0" + line).digest()


def load_cipher(path: str) -> ObjectCipher:
    """The cipher for the key file at ``path`` (raises :class:`EncryptionKeyError` or, without the
    ``cryptography`` package, :class:`MissingCryptographyError` with the install line)."""
    key = read_key_file(path)
    return ObjectCipher(key)


def metadata_for(cipher: ObjectCipher) -> bytes:
    """The clear record an encrypted store keeps: format, cipher, segment size, key fingerprint."""
    record = {"format": FORMAT_VERSION, "cipher": CIPHER_NAME, "segment_size": cipher.segment_size,
              "key_fingerprint": cipher.fingerprint}
    return json.dumps(record, indent=1, sort_keys=True).encode("utf-8") + b"\n"


def _parse_metadata(locator: str, raw: bytes) -> Dict[str, Any]:
    try:
        record = json.loads(raw.decode("utf-8"))
        int(record["format"])
        str(record["key_fingerprint"])
    except (ValueError, KeyError, TypeError) as err:
        raise EncryptionKeyError(f"The encryption record of job store '{locator}' is damaged ({err}); "
                                 f"the store cannot be read.") from None
    return record


def shared_names_sealed(locator: str, raw: bytes) -> bool:
    """Whether the store whose clear record is ``raw`` keeps its shared files under sealed names
    (format 2 and later; format 1 stores named them in clear)."""
    return int(_parse_metadata(locator, raw)["format"]) >= 2


def key_path_for(explicit: Optional[str]) -> Optional[str]:
    """The key file to use: the one given explicitly, else the one named by :data:`KEY_ENV`."""
    return explicit or os.environ.get(KEY_ENV) or None


def check_metadata(locator: str, raw: bytes, key_path: Optional[str]) -> ObjectCipher:
    """The cipher for an existing encrypted store whose clear record is ``raw``.

    :raises EncryptionKeyError: no key was given, or it is not the key the store was created with.
    """
    record = _parse_metadata(locator, raw)
    if int(record["format"]) not in KNOWN_FORMATS:
        raise EncryptionKeyError(f"Job store '{locator}' uses encryption format {record['format']}, which "
                                 f"this toil-core does not know (it knows formats {_KNOWN}). "
                                 f"Use the toil-core version that created it.")
    fingerprint = str(record["key_fingerprint"])
    if key_path is None:
        raise EncryptionKeyError(
            f"Job store '{locator}' is encrypted (key fingerprint {fingerprint[:16]}) and no key was given. "
            f"Give the key it was created with: --sseKey PATH for a workflow, or the environment variable "
            f"{KEY_ENV}=PATH for toil status, stats and debug-file.")
    cipher = ObjectCipher(read_key_file(key_path), int(record.get("segment_size", 0)) or DEFAULT_SEGMENT_SIZE)
    if cipher.fingerprint != fingerprint:
        raise EncryptionKeyError(
            f"The key in '{key_path}' is not the key job store '{locator}' was created with (the store "
            f"expects key fingerprint {fingerprint[:16]}, this key's is {cipher.fingerprint[:16]}). "
            f"Give the original key; the store was not changed.")
    return cipher


#: The clear record of an encrypted store, in its root (the file store) or as an object named so.
ENCRYPTION_FILE = "encryption.json"


def wants_encryption(config: Config, store: AbstractJobStore) -> bool:
    """Whether a new store must be encrypted: the file store encrypts whenever ``--sseKey`` is
    given (it has no server side), any store with ``--clientSideEncryption``."""
    if not config.sseKey:
        return False
    return bool(config.clientSideEncryption) or not store.server_side_encryption
