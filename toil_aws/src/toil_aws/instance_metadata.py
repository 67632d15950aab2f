"""This machine's EC2 instance, from the instance metadata service (IMDSv2: a session token by
``PUT /latest/api/token``, then ``GET /latest/meta-data/instance-id``).

The leader of a cluster runs on the cluster's leader instance and starts its provisioner with no
cluster name (``--provisioner aws``): the name is the ``clusterName`` tag of the instance it runs
on, as upstream. The service's address is botocore's ``AWS_EC2_METADATA_SERVICE_ENDPOINT``
(default ``http://169.254.169.254``), which also lets tests stand a service of their own in.
"""
from __future__ import annotations

import os
import urllib.error
import urllib.request
from typing import Optional

__all__ = ["metadata_endpoint", "instance_id"]

_DEFAULT = "http://169.254.169.254"


def metadata_endpoint() -> str:
    """The metadata service's base URL, without a trailing slash."""
    return (os.environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT") or _DEFAULT).rstrip("/")


def instance_id(timeout: float = 2.0) -> Optional[str]:
    """The ID of the instance this process runs on, or None off EC2 (no metadata service)."""
    base = metadata_endpoint()
    headers = {}
    try:
        token_request = urllib.request.Request(f"{base}/latest/api/token", method="PUT",
                                               headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
        with urllib.request.urlopen(token_request, timeout=timeout) as answer:
            headers["X-aws-ec2-metadata-token"] = answer.read().decode()
    except urllib.error.HTTPError:
        pass  # IMDSv1 only: ask without a token
    except OSError:
        return None
    try:
        request = urllib.request.Request(f"{base}/latest/meta-data/instance-id", headers=headers)
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.read().decode().strip() or None
    except OSError:
        return None
