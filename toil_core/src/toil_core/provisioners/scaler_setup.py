"""Starting the cluster scaler for a leader run (``--provisioner``): checks that the batch
system can be scaled, makes the provisioner through its plugin, and starts the
:class:`~toil_core.provisioners.cluster_scaler.ScalerThread`."""
from __future__ import annotations

import logging
from typing import Optional

from toil_core.batch.abstract import AbstractBatchSystem, AbstractScalableBatchSystem
from toil_core.common.config import Config, OptionError
from toil_core.provisioners import cluster_factory
from toil_core.provisioners.cluster_scaler import ClusterScaler, JobShapeFeed, ScalerThread

__all__ = ["start_cluster_scaler"]

logger = logging.getLogger(__name__)


def start_cluster_scaler(config: Config, batch_system: AbstractBatchSystem) -> Optional[ScalerThread]:
    """The running scaler thread, or None without ``--provisioner``.

    :raises OptionError: if the batch system cannot be scaled or ``--nodeTypes`` is missing.
    """
    name = config.provisioner
    if not name:
        return None

    if not isinstance(batch_system, AbstractScalableBatchSystem):
        raise OptionError(
            f"The {config.batchSystem} batch system cannot be autoscaled: --provisioner needs a batch system "
            "that declares the 'scalable' capability (see 'toil plugins show'), such as mesos.")
    if not config.nodeTypes:
        raise OptionError("--provisioner needs the node types to autoscale: add --nodeTypes, e.g. "
                          "--nodeTypes t2.large or --nodeTypes c5.4xlarge:0.42,t2.large.")
    cluster_type = "kubernetes" if config.batchSystem == "kubernetes" else "mesos"
    provisioner = cluster_factory(name, clusterName=None, clusterType=cluster_type, zone=None,
                                  nodeStorage=config.nodeStorage,
                                  nodeStorageOverrides=list(config.nodeStorageOverrides or []),
                                  sseKey=config.sseKey)
    provisioner.readClusterSettings()
    provisioner.setAutoscaledNodeTypes([(set(types), bid) for types, bid in config.nodeTypes])
    scaler = ClusterScaler(provisioner, batch_system, config)
    feed = JobShapeFeed(default_wall_time=float(config.targetTime))
    thread = ScalerThread(scaler, feed, float(config.scaleInterval), stats_dir=config.clusterStats)
    logger.info("Autoscaling node types %s with the %s provisioner every %s s",
                ", ".join(str(t) for t in scaler.node_types), name, config.scaleInterval)
    thread.start()
    return thread
