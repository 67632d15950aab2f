"""Where on AWS are we? Zone, region and tag helpers that need no AWS library (upstream ``toil.lib.aws``).

Code that only asks whether it runs on EC2 imports ``toil.lib.aws``; that must work without the
AWS backend or boto3. The AWS backend distribution provides the submodules that do need the SDK
(``toil.lib.aws.utils``, ``toil.lib.aws.session``, ...) through ``toil.compat_modules``.

EC2 is recognised from the machine's firmware and hypervisor files (no network request); the
instance metadata service is asked for the zone only once that says we are on EC2.
"""
from __future__ import annotations

import json
import logging
import os
import re
import urllib.request
from typing import Dict, Mapping, Optional

__all__ = [
    "build_tag_dict_from_env",
    "get_aws_zone_from_boto",
    "get_aws_zone_from_environment",
    "get_aws_zone_from_environment_region",
    "get_aws_zone_from_metadata",
    "get_current_aws_region",
    "get_current_aws_zone",
    "running_on_ec2",
    "running_on_ecs",
    "zone_to_region",
]

logger = logging.getLogger(__name__)

#: Files whose content tells an EC2 instance apart (Nitro: DMI vendor/asset tag; Xen: hypervisor UUID).
_EC2_MARKERS = (
    ("/sys/devices/virtual/dmi/id/sys_vendor", lambda text: text.startswith("Amazon EC2")),
    ("/sys/devices/virtual/dmi/id/board_asset_tag", lambda text: text.startswith("i-")),
    ("/sys/hypervisor/uuid", lambda text: text.lower().startswith("ec2")),
)
_METADATA_ZONE_URL = "http://169.254.169.254/latest/meta-data/placement/availability-zone"
_ZONE_RE = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d+)(?:[a-z]|-[a-z0-9-]+)$")


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def running_on_ec2() -> bool:
    """True when this machine is an EC2 instance (read from firmware/hypervisor files only)."""
    return any(check(_read(path)) for path, check in _EC2_MARKERS)


def running_on_ecs() -> bool:
    """True inside an Amazon ECS task (ECS sets its container metadata URI in the environment)."""
    return bool(os.environ.get("ECS_CONTAINER_METADATA_URI_V4") or os.environ.get("ECS_CONTAINER_METADATA_URI"))


def zone_to_region(zone: str) -> str:
    """The region a zone belongs to: ``us-west-1c`` -> ``us-west-1``; local zones such as
    ``us-west-2-lax-1a`` -> ``us-west-2``."""
    match = _ZONE_RE.match(zone)
    if match is None:
        raise ValueError(f"'{zone}' is not an AWS availability zone name (such as us-west-2a).")
    return match.group(1)


def get_aws_zone_from_environment() -> Optional[str]:
    """The zone named by ``TOIL_AWS_ZONE``, if set."""
    return os.environ.get("TOIL_AWS_ZONE") or None


def get_aws_zone_from_environment_region() -> Optional[str]:
    """A zone (the region's first, ``a``) in the region named by ``TOIL_AWS_REGION``, if set."""
    region = os.environ.get("TOIL_AWS_REGION")
    return f"{region}a" if region else None


def _http_text(url: str, timeout: float = 2.0) -> Optional[str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (fixed AWS URLs)
            return response.read().decode("utf-8").strip()
    except (OSError, ValueError) as error:
        logger.debug("Could not read %s: %s", url, error)
        return None


def get_aws_zone_from_metadata() -> Optional[str]:
    """The zone this EC2 instance or ECS task runs in, from the instance or task metadata; None
    elsewhere (no request is made unless the machine says it is on EC2 or ECS)."""
    if running_on_ec2():
        return _http_text(_METADATA_ZONE_URL)
    if running_on_ecs():
        base = os.environ.get("ECS_CONTAINER_METADATA_URI_V4") or os.environ.get("ECS_CONTAINER_METADATA_URI")
        text = _http_text(f"{base}/task")
        if text:
            try:
                zone = json.loads(text).get("AvailabilityZone")
            except (ValueError, AttributeError):
                return None
            return zone or None
    return None


def get_aws_zone_from_boto() -> Optional[str]:
    """A zone in the region of the legacy Boto 2 configuration, when the ``boto`` module is installed
    and configures ``[Boto] ec2_region_name``; None otherwise."""
    try:
        # lazy: boto is an optional legacy SDK, almost never installed
        import boto  # type: ignore[import-not-found]  # optional legacy SDK, absent almost always
    except ImportError:
        return None
    region = boto.config.get("Boto", "ec2_region_name") if getattr(boto, "config", None) else None
    return f"{region}a" if region else None


def get_current_aws_zone() -> Optional[str]:
    """The zone to use: ``TOIL_AWS_ZONE``, else the zone we run in (EC2/ECS), else one in
    ``TOIL_AWS_REGION``, else one in Boto 2's configured region; None when nothing says."""
    return (get_aws_zone_from_environment() or get_aws_zone_from_metadata()
            or get_aws_zone_from_environment_region() or get_aws_zone_from_boto())


def get_current_aws_region() -> Optional[str]:
    """The region of :func:`get_current_aws_zone`, or None."""
    zone = get_current_aws_zone()
    return zone_to_region(zone) if zone else None


def build_tag_dict_from_env(environment: Mapping[str, str] = os.environ) -> Dict[str, str]:
    """Tags for the AWS resources Toil creates: ``Owner`` from ``TOIL_OWNER_TAG`` and every
    key of the JSON object in ``TOIL_AWS_TAGS``."""
    tags: Dict[str, str] = {}
    owner = environment.get("TOIL_OWNER_TAG")
    if owner:
        tags["Owner"] = owner
    raw = environment.get("TOIL_AWS_TAGS")
    if raw:
        try:
            extra = json.loads(raw)
        except ValueError as error:
            raise ValueError(f"TOIL_AWS_TAGS must be a JSON object such as '{{\"Team\": \"x\"}}': {error}") from None
        if not isinstance(extra, dict):
            raise ValueError(f"TOIL_AWS_TAGS must be a JSON object such as '{{\"Team\": \"x\"}}', not {raw!r}")
        tags.update({str(k): str(v) for k, v in extra.items()})
    return tags
