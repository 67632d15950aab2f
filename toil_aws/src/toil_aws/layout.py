"""Names and helpers of the ``aws:`` store's bucket layout shared by its parts (see job_store.py)."""
from __future__ import annotations

import os
from typing import Optional

#: The marker object: written first and deleted last; holds the format and the key's fingerprint.
MARKER = "toil-job-store"
FORMAT = 1
CONFIG_FILE = "config.pickle"
#: Bytes copied at a time between a local file or stream and an object.
COPY_CHUNK = 1 << 20
#: Sub-prefix of a job's files prefix that holds the files of attempts at the job.
ATTEMPT_DIR = "attempt/"


def token() -> str:
    """A random part of a key (20 hexadecimal digits)."""
    return os.urandom(10).hex()


def basename(name: Optional[str], default: str) -> str:
    """``name`` made safe as the last part of a key (no slashes, at most 200 bytes)."""
    if not name:
        return default
    name = name.replace("/", "_").replace("\0", "_")
    if name in (".", ".."):
        return default
    while len(name.encode("utf-8", "surrogateescape")) > 200:
        name = name[1:]
    return name


def safe_name(name: str) -> str:
    """A job name made safe as the readable part of a job ID."""
    out = "".join(c if (c.isascii() and (c.isalnum() or c in "._-")) else "_" for c in name[:60])
    return out.lstrip(".") or "job"
