"""Connecting to Cloud Storage: credentials, project, retry policy.

Credentials are looked up in upstream Toil's order:

1. ``STORAGE_EMULATOR_HOST`` set: an emulator, reached anonymously (any project ID works);
2. ``GOOGLE_APPLICATION_CREDENTIALS``: a service account (or other) key file;
3. application default credentials (``gcloud auth application-default login``, the metadata
   server of a Google Cloud machine);
4. anonymous access, which can only read public buckets: allowed for ``gs://`` imports, refused
   for a job store with :class:`~toil_google.errors.GoogleCredentialsError`.

Every request is retried on 429 (rate limits), 408, 5xx and dropped connections with exponential
backoff, within a total budget of ``TOIL_GOOGLE_RETRY_SECONDS`` seconds (default 120); past it
the last error is raised and nothing that was stored before is lost.
"""
from __future__ import annotations

import functools
import logging
import os
import threading
from typing import Any, Dict, Optional, Tuple

from toil_google.errors import GoogleCredentialsError

__all__ = ["EMULATOR_ENV", "emulator_host", "get_client", "retry_policy", "reset_clients"]

logger = logging.getLogger(__name__)

EMULATOR_ENV = "STORAGE_EMULATOR_HOST"
RETRY_ENV = "TOIL_GOOGLE_RETRY_SECONDS"
#: Project used with an emulator when none is given (emulators accept any).
EMULATOR_PROJECT = "toil-emulated-project"

_clients: Dict[Tuple[Any, ...], Any] = {}
_lock = threading.Lock()


def emulator_host() -> Optional[str]:
    """The emulator endpoint (``http://host:port``) from ``STORAGE_EMULATOR_HOST``, or None."""
    host = os.environ.get(EMULATOR_ENV, "").strip()
    if not host:
        return None
    return host if "://" in host else "http://" + host


def retry_budget() -> float:
    """Seconds one operation may spend retrying (``TOIL_GOOGLE_RETRY_SECONDS``, default 120)."""
    try:
        return max(0.0, float(os.environ.get(RETRY_ENV, "120")))
    except ValueError:
        return 120.0


@functools.lru_cache(maxsize=None)
def _retry(budget: float) -> Any:
    from google.cloud.storage.retry import DEFAULT_RETRY

    policy = DEFAULT_RETRY.with_delay(initial=0.1, maximum=8.0, multiplier=2.0)
    with_budget = getattr(policy, "with_timeout", None) or policy.with_deadline
    return with_budget(budget)


def retry_policy() -> Any:
    """The retry policy passed to every call (Google's retryable errors, bounded budget)."""
    return _retry(retry_budget())


def _credentials(allow_anonymous: bool) -> Tuple[Any, Optional[str]]:
    """``(credentials, project or None)`` in the documented order."""
    from google.auth.credentials import AnonymousCredentials

    if emulator_host() is not None:
        return AnonymousCredentials(), None
    path = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    import google.auth
    from google.auth import exceptions as auth_exceptions

    scopes = ["https://www.googleapis.com/auth/devstorage.full_control"]
    try:
        # google.auth.default reads GOOGLE_APPLICATION_CREDENTIALS first, then the gcloud
        # application default credentials, then the metadata server of a Google Cloud machine.
        return google.auth.default(scopes=scopes)
    except auth_exceptions.DefaultCredentialsError as err:
        if path:
            raise GoogleCredentialsError(f"GOOGLE_APPLICATION_CREDENTIALS={path} cannot be used: {err}") from err
        if allow_anonymous:
            logger.debug("No Google credentials; reading gs:// URLs anonymously")
            return AnonymousCredentials(), None
        raise GoogleCredentialsError() from None


def get_client(project: Optional[str] = None, allow_anonymous: bool = False) -> Any:
    """A ``google.cloud.storage.Client`` (one per project, credentials mode and process)."""
    key = (project, allow_anonymous, emulator_host(), os.environ.get("GOOGLE_APPLICATION_CREDENTIALS"),
           os.getpid())
    with _lock:
        client = _clients.get(key)
        if client is not None:
            return client
        from google.cloud import storage

        credentials, found_project = _credentials(allow_anonymous)
        chosen = project or found_project or os.environ.get("GOOGLE_CLOUD_PROJECT")
        if chosen is None and emulator_host() is not None:
            chosen = EMULATOR_PROJECT
        if chosen is None and emulator_host() is None and allow_anonymous:
            client = storage.Client.create_anonymous_client()
        else:
            client = storage.Client(project=chosen, credentials=credentials)
        # Recent clients look bucket metadata up in background threads for tracing, and check
        # that the bucket still exists after every 404 (one extra request per missing job or
        # file the job store looks for); the job store uses no tracing.
        if getattr(client, "_bucket_metadata_cache", None) is not None:
            client._bucket_metadata_cache = None
        _clients[key] = client
        return client


def reset_clients() -> None:
    """Forget cached clients (tests that change the environment)."""
    with _lock:
        _clients.clear()
