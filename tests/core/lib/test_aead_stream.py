"""Segmented authenticated encryption: round trips, and every kind of tampering is detected."""
from __future__ import annotations

import io
import os
import random

import pytest

pytest.importorskip("cryptography", reason="toil-core[encryption] is a test dependency; install it")

from toil_core.lib.aead_stream import HEADER_SIZE, TAG_SIZE, DecryptionError, ObjectCipher, plaintext_size

SEGMENT = 1024  # small segments so that tests cross many boundaries cheaply
CHUNK = SEGMENT + TAG_SIZE


@pytest.fixture
def cipher() -> ObjectCipher:
    return ObjectCipher(os.urandom(32), segment_size=SEGMENT)


@pytest.mark.parametrize("size", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT, 5 * SEGMENT + 7])
def test_round_trip_and_size(cipher: ObjectCipher, size: int) -> None:
    data = os.urandom(size)
    blob = cipher.encrypt("obj", data)
    assert cipher.decrypt("obj", blob) == data
    assert plaintext_size(len(blob), SEGMENT) == size
    # A few random bytes may occur in random-looking ciphertext by chance; 16 or more do not.
    assert size < 16 or data not in blob


def test_stream_writes_of_any_size_round_trip(cipher: ObjectCipher) -> None:
    data = os.urandom(10 * SEGMENT + 3)
    rng = random.Random(7)
    out = io.BytesIO()
    writer = cipher.writer("obj", out, close_target=False)
    offset = 0
    while offset < len(data):
        step = rng.randint(1, 3 * SEGMENT)
        writer.write(data[offset:offset + step])
        offset += step
    writer.close()
    reader = cipher.reader("obj", io.BytesIO(out.getvalue()))
    assert reader.read(5) == data[:5]
    assert reader.read() == data[5:]


def test_same_plaintext_encrypts_differently(cipher: ObjectCipher) -> None:
    assert cipher.encrypt("obj", b"same") != cipher.encrypt("obj", b"same")


def _tampered(blob: bytes, how: str) -> bytes:
    body = blob[HEADER_SIZE:]
    if how == "flip":
        i = HEADER_SIZE + len(body) // 2
        return blob[:i] + bytes([blob[i] ^ 1]) + blob[i + 1:]
    if how == "flip-header":
        return blob[:10] + bytes([blob[10] ^ 1]) + blob[11:]
    if how == "truncate-at-boundary":
        return blob[:HEADER_SIZE + 2 * CHUNK]
    if how == "truncate-inside":
        return blob[:-5]
    if how == "reorder":
        chunks = [body[i:i + CHUNK] for i in range(0, len(body), CHUNK)]
        chunks[0], chunks[1] = chunks[1], chunks[0]
        return blob[:HEADER_SIZE] + b"".join(chunks)
    if how == "drop-segment":
        return blob[:HEADER_SIZE] + body[CHUNK:]
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["flip", "flip-header", "truncate-at-boundary", "truncate-inside", "reorder",
                                 "drop-segment"])
def test_tampering_is_detected(cipher: ObjectCipher, how: str) -> None:
    blob = cipher.encrypt("obj", os.urandom(4 * SEGMENT + 100))
    with pytest.raises(DecryptionError, match="'obj'"):
        cipher.decrypt("obj", _tampered(blob, how))


def test_object_read_under_another_name_fails(cipher: ObjectCipher) -> None:
    blob = cipher.encrypt("files/a", b"content of a")
    with pytest.raises(DecryptionError, match="files/b"):
        cipher.decrypt("files/b", blob)


def test_another_key_fails(cipher: ObjectCipher) -> None:
    blob = cipher.encrypt("obj", b"secret")
    with pytest.raises(DecryptionError):
        ObjectCipher(os.urandom(32), segment_size=SEGMENT).decrypt("obj", blob)


def test_plain_data_is_not_taken_for_encrypted(cipher: ObjectCipher) -> None:
    with pytest.raises(DecryptionError, match="not encrypted"):
        cipher.decrypt("obj", b"x" * 100)


def test_key_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        ObjectCipher(b"k" * 31)


def _file_round_trip(cipher: ObjectCipher, tmp_path, data: bytes, name: str = "obj") -> bytes:
    source, sealed = tmp_path / "source", tmp_path / "sealed"
    source.write_bytes(data)
    with open(source, "rb", buffering=0) as src, open(sealed, "wb") as out:
        cipher.encrypt_file(name, src.fileno(), out.fileno())
    return sealed.read_bytes()


def _decrypt_file(cipher: ObjectCipher, tmp_path, blob: bytes, name: str = "obj") -> bytes:
    sealed, plain = tmp_path / "sealed-in", tmp_path / "plain-out"
    sealed.write_bytes(blob)
    with open(sealed, "rb") as src, open(plain, "wb") as out:
        cipher.decrypt_file(name, src.fileno(), out.fileno())
    return plain.read_bytes()


@pytest.mark.parametrize("size", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT, 5 * SEGMENT + 7])
def test_the_file_fast_paths_match_the_streams(cipher: ObjectCipher, tmp_path, size: int) -> None:
    """encrypt_file / decrypt_file (the file store's paths) read and write the streams' format."""
    data = os.urandom(size)
    blob = _file_round_trip(cipher, tmp_path, data)
    assert len(blob) == len(cipher.encrypt("obj", data))
    assert cipher.decrypt("obj", blob) == data
    assert _decrypt_file(cipher, tmp_path, cipher.encrypt("obj", data)) == data


@pytest.mark.parametrize("damage", ["flip", "truncate", "drop-last", "rename", "empty"])
def test_the_file_fast_path_detects_tampering(cipher: ObjectCipher, tmp_path, damage: str) -> None:
    blob = _file_round_trip(cipher, tmp_path, os.urandom(3 * SEGMENT + 5))
    name = "obj"
    if damage == "flip":
        blob = blob[:HEADER_SIZE + CHUNK + 3] + bytes([blob[HEADER_SIZE + CHUNK + 3] ^ 1]) + blob[HEADER_SIZE + CHUNK + 4:]
    elif damage == "truncate":
        blob = blob[:-1]
    elif damage == "drop-last":
        blob = blob[:HEADER_SIZE + 3 * CHUNK]  # ends on a segment boundary: no final flag
    elif damage == "rename":
        name = "another"
    else:
        blob = b""
    with pytest.raises(DecryptionError):
        _decrypt_file(cipher, tmp_path, blob, name)
