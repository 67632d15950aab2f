"""Compatibility module: upstream name ``toil.batchSystems.registry``; everything lives in toil_core."""
from toil_core.batch.registry import *  # noqa: F401,F403
# Upstream 6+ names used by upstream-style plugin modules (toil_batch_system_*): imported by name so
# that they stay importable whatever the star import above exports.
from toil_core.batch.registry import add_batch_system_factory, get_batch_systems  # noqa: F401,E402
