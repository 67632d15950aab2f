"""toil-mesos passes the core's packaging contract (entry points, specs, settings, import weight,
the toil-core version range)."""
from toil_core.testing import PluginPackagingContract


class TestToilMesosPackaging(PluginPackagingContract):
    distribution = "toil-mesos"
