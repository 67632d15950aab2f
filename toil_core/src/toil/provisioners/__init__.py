"""Compatibility module: upstream name ``toil.provisioners``; everything lives in toil_core."""
from toil_core.provisioners import *  # noqa: F401,F403
from toil_core.compat_names import provisioners_logger as logger  # noqa: F401
from toil_core.provisioners.node_types import check_valid_node_types, parse_node_types  # noqa: F401
from toil_core.workflow.options import add_provisioner_options  # noqa: F401

__all__ = [
    "ClusterCombinationNotSupportedException", "ClusterTypeNotSupportedException",
    "NoSuchClusterException", "add_provisioner_options", "check_valid_node_types", "cluster_factory", "logger", "parse_node_types",
]
