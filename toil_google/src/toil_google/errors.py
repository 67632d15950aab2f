"""Errors of the google job store that users see: each names the problem and the cure."""
from __future__ import annotations

from toil_core.plugin_api import JobStoreError

__all__ = ["GoogleCredentialsError", "GoogleLocatorError", "SSEKeyMismatchError", "GoogleStoreError"]


class GoogleStoreError(JobStoreError):
    """Base class of the errors below."""


class GoogleLocatorError(GoogleStoreError, ValueError):
    """A ``google:`` locator that cannot name a bucket."""

    def __init__(self, locator: str, problem: str) -> None:
        super().__init__(
            f"Invalid google job store locator 'google:{locator}': {problem}. Use google:NAME or "
            f"google:PROJECT:NAME, where NAME (3 to 57 characters: lower-case letters, digits, '-', "
            f"'_' and '.', starting and ending with a letter or digit) becomes the bucket NAME--toil.")
        self.locator = locator


class GoogleCredentialsError(GoogleStoreError):
    """Neither credentials nor an emulator: the job store cannot reach Cloud Storage."""

    def __init__(self, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(
            "No Google Cloud credentials found" + extra + ": set GOOGLE_APPLICATION_CREDENTIALS to a "
            "service account key file, or run 'gcloud auth application-default login', or set "
            "STORAGE_EMULATOR_HOST=http://HOST:PORT to use a Cloud Storage emulator.")


class SSEKeyMismatchError(GoogleStoreError):
    """``--sseKey`` differs from the key the job store was created with (or is missing)."""

    def __init__(self, locator: str, problem: str) -> None:
        super().__init__(
            f"The job store 'google:{locator}' {problem}. Give the --sseKey file the workflow was "
            f"started with (its first line is the 32-character key); objects written with one "
            f"customer-supplied key cannot be read with another.")
        self.locator = locator
