"""Batch system factories a workflow registers at run time (upstream ``addBatchSystemFactory``).

The table lives here, below the batch systems, because option parsing (:mod:`.cli_options`)
must know that such a name needs no plugin; :mod:`toil_core.batch.registry` fills and reads it.
"""
from __future__ import annotations

from typing import Any, Callable, Dict

#: Factories added at run time by workflows: name -> a callable returning the batch system class.
BATCH_SYSTEM_FACTORY_REGISTRY: Dict[str, Callable[[], Any]] = {}


def is_workflow_factory(name: str) -> bool:
    """Whether ``name`` was registered by the workflow rather than by a plugin."""
    return name in BATCH_SYSTEM_FACTORY_REGISTRY
