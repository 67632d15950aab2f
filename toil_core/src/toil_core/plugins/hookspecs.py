# mypy: disable-error-code="empty-body"
# (hook specifications declare signatures only; pluggy calls the plugins' implementations)
"""The hooks a Toil plugin may implement (pluggy project name ``"toil"``).

A plugin is the object an entry point in one of the ``toil.*`` groups points at, usually a
module. It implements hooks either by decorating functions with :data:`hookimpl` or simply by
defining module-level functions whose names are the hook names below (as pytest plugins do)::

    # my_plugin.py, declared as  [project.entry-points."toil.batch_systems"] my_bs = "my_plugin"
    from toil_core.plugins import BatchSystemSpec

    def toil_batch_systems():
        return [BatchSystemSpec(name="my_bs", load="my_plugin.batch:MyBatchSystem")]

Registration hooks (one per kind) return lists of spec records and must not import the backend.
Fan-out hooks are called on every loaded plugin; they are few and never on the leader's hot path.

A function named ``toil_*`` that matches no hook here makes the plugin *misconfigured* and it is
disabled with a warning. To implement a hook that only newer cores define, mark it
``@hookimpl(optionalhook=True)``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, List

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from .specs import (
        BatchSystemSpec,
        JobStoreSpec,
        ProvisionerSpec,
        SubcommandSpec,
        URLAccessSpec,
    )

__all__ = [
    "HOOK_PREFIX",
    "PROJECT_NAME",
    "hookimpl",
    "hookspec",
    "toil_batch_systems",
    "toil_clean_workflow",
    "toil_configure",
    "toil_error_hints",
    "toil_job_stores",
    "toil_leader_finished",
    "toil_leader_started",
    "toil_provisioners",
    "toil_subcommands",
    "toil_url_access",
]

PROJECT_NAME = "toil"
HOOK_PREFIX = "toil_"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# --- registration hooks: describe backends without importing them ---------------------------

@hookspec
def toil_batch_systems() -> List[BatchSystemSpec]:
    """Return the batch systems this plugin provides (``--batchSystem NAME``)."""


@hookspec
def toil_job_stores() -> List[JobStoreSpec]:
    """Return the job stores this plugin provides, named by locator scheme (``aws:...``)."""


@hookspec
def toil_provisioners() -> List[ProvisionerSpec]:
    """Return the cluster provisioners this plugin provides (``--provisioner NAME``)."""


@hookspec
def toil_url_access() -> List[URLAccessSpec]:
    """Return the URL schemes this plugin can import from or export to."""


@hookspec
def toil_subcommands() -> List[SubcommandSpec]:
    """Return extra ``toil`` subcommands this plugin provides."""


# --- fan-out hooks: called on every loaded plugin ----------------------------------------------

@hookspec
def toil_configure(config: Any) -> None:
    """Called once after the command line and environment are parsed into ``config``.

    A plugin may check or adjust its own settings; raise
    :class:`~toil_core.plugins.errors.PluginMisconfiguredError` to refuse the configuration.
    """


@hookspec
def toil_error_hints(error: BaseException) -> List[str]:
    """Return extra remediation lines for ``error`` (may be empty). Called while reporting a
    failure, so implementations must be quick and must not raise."""


@hookspec
def toil_leader_started(config: Any) -> None:
    """Called when the leader has initialized the job store and is about to schedule jobs."""


@hookspec
def toil_leader_finished(config: Any, success: bool) -> None:
    """Called when the leader stops, with whether the workflow succeeded."""


@hookspec
def toil_clean_workflow(config: Any) -> None:
    """Called by ``toil clean`` with the configuration of the workflow whose job store it is about
    to delete; the plugin of that workflow's batch system is loaded first. A plugin whose jobs can
    outlive a killed leader (pods, cluster jobs) removes that workflow's jobs here. Failures are
    logged, not fatal: the job store is deleted either way."""


REGISTRATION_HOOKS = (
    "toil_batch_systems",
    "toil_job_stores",
    "toil_provisioners",
    "toil_url_access",
    "toil_subcommands",
)
FANOUT_HOOKS = ("toil_configure", "toil_error_hints", "toil_leader_started", "toil_leader_finished",
                "toil_clean_workflow")
