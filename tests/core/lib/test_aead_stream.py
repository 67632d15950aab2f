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
    assert data == b"" or data not in blob


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
