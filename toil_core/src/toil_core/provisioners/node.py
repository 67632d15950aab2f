"""A worker or leader node of a provisioned cluster, as provisioners hand them to the cluster
scaler (upstream ``toil.provisioners.node.Node``: the same attribute names)."""
from __future__ import annotations

from typing import Dict, Optional

import attrs

__all__ = ["Node"]


@attrs.define(eq=False)
class Node:
    """One machine of the cluster.

    ``privateIP`` is the address the batch system knows the node by (the key of
    :meth:`~toil_core.batch.abstract.AbstractScalableBatchSystem.getNodes`); ``name`` is the
    provisioner's own identifier (an instance ID); ``launchTime`` is seconds since the epoch.
    """

    publicIP: Optional[str]
    privateIP: str
    name: str
    launchTime: float
    nodeType: str
    preemptible: bool
    tags: Dict[str, str] = attrs.field(factory=dict)

    def __str__(self) -> str:
        return f"{self.name} ({self.nodeType} at {self.privateIP})"
