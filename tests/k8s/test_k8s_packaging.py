"""toil-k8s passes the core's packaging contract (entry points, spec, settings, import weight,
the toil-core version range)."""
from toil_core.testing import PluginPackagingContract


class TestToilK8sPackaging(PluginPackagingContract):
    distribution = "toil-k8s"
