"""The ``aws:<region>:<name>`` locator: parsing and the rules upstream Toil uses.

``<region>`` is an AWS region (a zone such as ``us-west-2a`` is accepted and means its region);
with a custom S3 endpoint any lower-case region name is accepted. ``<name>`` is 3 to 56
characters of ``[a-z0-9-]``, not starting with a dash and without ``--`` (the bucket is
``<name>--toil``, so ``--`` separates the name from the suffix).
"""
from __future__ import annotations

import re
from typing import Tuple

import attrs

from toil_aws.session import AWSSetupError, validate_region

__all__ = ["BUCKET_SUFFIX", "InvalidAWSLocator", "Locator", "parse"]

BUCKET_SUFFIX = "--toil"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{2,55}$")


class InvalidAWSLocator(AWSSetupError, ValueError):
    """The locator does not follow ``aws:<region>:<name>``."""


@attrs.frozen
class Locator:
    region: str
    name: str

    @property
    def bucket(self) -> str:
        return self.name + BUCKET_SUFFIX

    def __str__(self) -> str:
        return f"aws:{self.region}:{self.name}"


def _split(text: str) -> Tuple[str, str]:
    rest = text[len("aws:"):] if text.startswith("aws:") else text
    region, sep, name = rest.partition(":")
    if not sep or not region or not name:
        raise InvalidAWSLocator(
            f"Invalid AWS job store locator 'aws:{rest}': use aws:<region>:<name>, e.g. aws:us-west-2:my-run.")
    return region, name


def parse(text: str) -> Locator:
    """The locator ``text`` (with or without its ``aws:`` prefix), validated.

    :raises InvalidAWSLocator: for a malformed name; :class:`AWSSetupError` for an unknown region.
    """
    region, name = _split(text)
    if not _NAME.match(name) or "--" in name:
        raise InvalidAWSLocator(
            f"Invalid AWS job store name '{name}' in 'aws:{region}:{name}': use 3 to 56 lower-case letters, "
            "digits and dashes, starting with a letter or digit and without '--' (the bucket is named "
            f"<name>{BUCKET_SUFFIX}).")
    return Locator(validate_region(region, f"the job store locator 'aws:{region}:{name}'"), name)
