"""boto3 clients for toil-aws: where S3 is (endpoint), how requests are retried, and what a
missing credential or an unknown region says to the user.

Every boto3 client of this package comes from :func:`client`, so they share one retry policy:
botocore's ``standard`` retry mode (exponential backoff with jitter and a retry quota) retries
throttling (503 SlowDown, ``Throttling``), 500/502/503/504 and dropped or refused connections,
at most :data:`MAX_ATTEMPTS` attempts per request. Bodies are bytes or seekable files, so a
retried upload sends the same bytes again; a half-sent upload never becomes an object.

The endpoint of S3-compatible services (MinIO, Ceph, a local S3 server) comes from
``TOIL_S3_HOST`` / ``TOIL_S3_PORT`` / ``TOIL_S3_USE_SSL`` (upstream's variables), else
``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` (botocore's); it applies to the job store and to
``s3://`` URLs alike.
"""
from __future__ import annotations

import logging
import os
import re
import threading
from typing import Any, Dict, Optional, Tuple

import boto3
import botocore.config
import botocore.exceptions
from botocore import UNSIGNED
from toil_core.plugin_api import ToilError

from toil_aws import request_log

__all__ = [
    "AWSSetupError",
    "MAX_ATTEMPTS",
    "client",
    "custom_endpoint",
    "endpoint_env",
    "error_code",
    "has_credentials",
    "is_missing",
    "no_credentials_message",
    "region_of_zone",
    "validate_region",
]

#: Attempts per request (the first try plus retries) under botocore's standard retry mode.
MAX_ATTEMPTS = int(os.environ.get("TOIL_AWS_MAX_ATTEMPTS", "8"))
#: Environment variables a worker needs to reach the same S3 (passed on by the job store).
ENDPOINT_VARIABLES = ("TOIL_S3_HOST", "TOIL_S3_PORT", "TOIL_S3_USE_SSL", "AWS_ENDPOINT_URL",
                      "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_BATCH")

# "Found credentials in environment variables" on every process start is noise at INFO level.
logging.getLogger("botocore.credentials").setLevel(logging.WARNING)

_lock = threading.Lock()
_sessions: Dict[int, Any] = {}
_clients: Dict[Tuple[Any, ...], Any] = {}


def _forget_after_fork() -> None:
    """A forked process (the single machine batch system forks its workers from a warm process)
    must not share the parent's pooled connections: two processes reading one socket would get
    each other's responses. The child empties its copies of the connection pools (closing its
    own descriptors of the sockets, which leaves the parent's connections open) and keeps the
    sessions and clients: building them again costs far more than a job's requests (a fresh
    session loads botocore's S3 model, most of a second on a loaded machine). A client whose
    pools cannot be emptied is dropped and built again."""
    global _lock
    _lock = threading.Lock()
    for key, made in list(_clients.items()):
        try:
            made._endpoint.http_session.close()
        except Exception:  # another botocore layout: build this client again
            del _clients[key]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


class AWSSetupError(ToilError, RuntimeError):
    """AWS cannot be used as configured (credentials, region, endpoint): the message says why
    and what to set."""


def custom_endpoint(service: str = "s3") -> Optional[str]:
    """The endpoint URL of an S3-compatible service, or None for AWS itself."""
    host = os.environ.get("TOIL_S3_HOST")
    if host and service == "s3":
        ssl = os.environ.get("TOIL_S3_USE_SSL", "true").strip().lower() not in ("0", "false", "no", "off")
        port = os.environ.get("TOIL_S3_PORT")
        return f"{'https' if ssl else 'http'}://{host}{':' + port if port else ''}"
    specific = os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}")
    return specific or os.environ.get("AWS_ENDPOINT_URL") or None


def endpoint_env() -> Dict[str, str]:
    """The endpoint variables that are set, for workers on other machines."""
    return {name: os.environ[name] for name in ENDPOINT_VARIABLES if os.environ.get(name)}


def _session() -> Any:
    # boto3 sessions are not thread-safe to create clients from concurrently: one per thread.
    key = threading.get_ident()
    session = _sessions.get(key)
    if session is None:
        session = boto3.session.Session()
        _sessions[key] = session
    return session


def has_credentials() -> bool:
    """True if boto3's standard chain finds credentials (environment, profile, instance role...)."""
    try:
        return _session().get_credentials() is not None
    except botocore.exceptions.BotoCoreError:
        return False


def no_credentials_message(what: str) -> str:
    return (f"No AWS credentials found to {what}. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
            "AWS_SESSION_TOKEN for temporary credentials), or AWS_PROFILE naming a profile in "
            "~/.aws/credentials, or run on a machine with an instance role.")


def client(service: str = "s3", region: Optional[str] = None, anonymous: bool = False,
           max_attempts: Optional[int] = None) -> Any:
    """A (cached, per thread) boto3 client for ``service`` in ``region`` with Toil's retry policy."""
    attempts = max_attempts or MAX_ATTEMPTS
    endpoint = custom_endpoint(service)
    key = (threading.get_ident(), service, region, anonymous, attempts, endpoint)
    found = _clients.get(key)
    if found is not None:
        return found
    config = botocore.config.Config(
        retries={"total_max_attempts": attempts, "mode": "standard"},
        connect_timeout=10, read_timeout=60,
        signature_version=UNSIGNED if anonymous else None,
        s3={"addressing_style": "path"} if endpoint else None,
        # Checksums only where S3 requires them: S3-compatible servers differ in what they accept.
        request_checksum_calculation="when_required", response_checksum_validation="when_required",
    )
    with _lock:
        made = _session().client(service, region_name=region or default_region(), endpoint_url=endpoint,
                                 config=config)
        request_log.hook(made)
        _clients[key] = made
    return made


def default_region() -> str:
    """The configured region (TOIL_AWS_REGION, then boto3's configuration), else us-east-1."""
    return (os.environ.get("TOIL_AWS_REGION") or _session().region_name or "us-east-1")


def error_code(err: BaseException) -> str:
    """The AWS error code of a botocore ClientError ('' for other errors)."""
    if isinstance(err, botocore.exceptions.ClientError):
        return str(err.response.get("Error", {}).get("Code", ""))
    return ""


def http_status(err: BaseException) -> int:
    if isinstance(err, botocore.exceptions.ClientError):
        return int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return 0


def is_missing(err: BaseException) -> bool:
    """True for 'no such key / bucket' answers (404s)."""
    return error_code(err) in ("404", "NoSuchKey", "NoSuchBucket", "NotFound", "NoSuchUpload") or (
        http_status(err) == 404)


_ZONE = re.compile(r"^([a-z]{2}(?:-gov)?-[a-z]+-\d+)[a-z]$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$|^[a-z0-9]$")


def region_of_zone(region_or_zone: str) -> str:
    """``us-west-2a`` -> ``us-west-2``; a region is returned unchanged."""
    match = _ZONE.match(region_or_zone)
    return match.group(1) if match else region_or_zone


def validate_region(region: str, what: str) -> str:
    """The region (a zone is accepted and turned into its region).

    Against AWS it must be one of S3's regions; with a custom endpoint any lower-case name is
    accepted (S3-compatible services name their regions freely).

    :raises AWSSetupError: naming the region and how to fix it.
    """
    region = region_of_zone(region.strip())
    if custom_endpoint():
        if not _NAME.match(region):
            raise AWSSetupError(f"Invalid region '{region}' in {what}: use lower-case letters, digits and "
                                "dashes.")
        return region
    known = set(_session().get_available_regions("s3")) | set(
        _session().get_available_regions("s3", partition_name="aws-us-gov")) | set(
        _session().get_available_regions("s3", partition_name="aws-cn"))
    if region not in known:
        close = sorted(r for r in known if r.split("-")[0] == region.split("-")[0])[:6]
        hint = f" Regions such as: {', '.join(close)}." if close else ""
        raise AWSSetupError(f"Unknown AWS region '{region}' in {what}.{hint} For an S3-compatible service set "
                            "AWS_ENDPOINT_URL (or TOIL_S3_HOST) to its address.")
    return region
