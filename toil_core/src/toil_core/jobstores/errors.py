"""Exceptions raised by job stores (upstream ``toil.jobStores.abstractJobStore`` names).

They are defined in :mod:`toil_core.lib.store_errors`, in the lowest layer, because the job model,
the worker and the leader all catch them; this module is their home for job store authors.
"""
from toil_core.lib.store_errors import *  # noqa: F401,F403
from toil_core.lib.store_errors import __all__  # noqa: F401
