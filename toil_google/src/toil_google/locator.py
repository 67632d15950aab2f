"""``google:`` locators: ``google:<project>:<name>`` or ``google:<name>``; the bucket is
``<name>--toil``."""
from __future__ import annotations

import re
from typing import Optional, Tuple

from toil_google.errors import GoogleLocatorError

__all__ = ["BUCKET_SUFFIX", "parse_google_locator"]

BUCKET_SUFFIX = "--toil"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$")
#: Project IDs: 6 to 30 of [a-z0-9-], starting with a letter; optionally domain-scoped.
_PROJECT = re.compile(r"^([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")


def parse_google_locator(locator: str) -> Tuple[Optional[str], str, str]:
    """``(project or None, name, bucket name)`` of the part after ``google:``.

    :raises GoogleLocatorError: naming what is wrong and the expected form.
    """
    project: Optional[str]
    if ":" in locator:
        project, _, name = locator.rpartition(":")
        if not project:
            raise GoogleLocatorError(locator, "the project before ':' is empty")
        if not _PROJECT.match(project):
            raise GoogleLocatorError(locator, f"'{project}' is not a Google Cloud project ID")
    else:
        project, name = None, locator
    if not name:
        raise GoogleLocatorError(locator, "the name is empty")
    if len(name) < 3 or len(name) > 63 - len(BUCKET_SUFFIX):
        raise GoogleLocatorError(locator, f"the name '{name}' has {len(name)} characters")
    if not _NAME.match(name):
        raise GoogleLocatorError(locator, f"the name '{name}' has characters a bucket name cannot have")
    if ".." in name or name.startswith("goog"):
        raise GoogleLocatorError(locator, f"the name '{name}' is not allowed as a bucket name")
    return project, name, name + BUCKET_SUFFIX
