"""Developer aid: log every S3 API call of every process with the Toil code path that made it.

``TOIL_AWS_REQUEST_LOG=PATH`` makes :func:`toil_aws.session.client` hook botocore's ``before-parameter-build``
event on each S3 client it builds: every call appends one tab-separated line to ``PATH`` (opened
for appending, so leader, fork server and workers share the file)::

    <pid> <operation> <key or prefix> <caller> <time.time()>

``<caller>`` names the innermost Toil functions on the stack (outside botocore and this package's
object layer), innermost first, separated by ``<`` (e.g. ``delete_job<_commit<_run_one``), so
``bench/aws_s3.py`` can sort the calls into the phases of a job's life. Unset, nothing is hooked.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Any, Optional

__all__ = ["ENV", "hook"]

#: The variable naming the log file.
ENV = "TOIL_AWS_REQUEST_LOG"
#: Stack frames from these files are the plumbing, not the caller.
_SKIP = ("botocore", "boto3", "s3transfer", "urllib3", os.path.join("toil_aws", "objects.py"),
         os.path.join("toil_aws", "session.py"), os.path.join("toil_aws", "request_log.py"), "contextlib.py")
_DEPTH = 6


def _caller() -> str:
    names = []
    frame: Optional[Any] = sys._getframe(2)
    while frame is not None and len(names) < _DEPTH:
        filename = frame.f_code.co_filename
        if not any(part in filename for part in _SKIP):
            names.append(frame.f_code.co_name)
        frame = frame.f_back
    return "<".join(names)


def _log(model: Any, params: Any, **_: Any) -> None:
    path = os.environ.get(ENV)
    if not path:
        return
    target = ""
    if isinstance(params, dict):
        target = str(params.get("Key") or params.get("Prefix") or params.get("Bucket") or "")
    line = f"{os.getpid()}\t{model.name}\t{target}\t{_caller()}\t{time.time():.3f}\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8", "replace"))
    finally:
        os.close(fd)


def hook(client: Any) -> None:
    """Log ``client``'s calls when ``TOIL_AWS_REQUEST_LOG`` is set."""
    if os.environ.get(ENV):
        client.meta.events.register("before-parameter-build.s3", _log)
