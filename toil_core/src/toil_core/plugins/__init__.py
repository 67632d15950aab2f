"""The public plugin API of toil-core.

Plugin authors need: the spec records (:class:`BatchSystemSpec` and friends), :data:`hookimpl`,
:func:`setting` and :func:`settings_from` for a backend's options (see
:mod:`toil_core.plugins.settings`), and the errors. The rest of the core uses the lookups
(:func:`get_batch_system_class`, ...). Contract test suites are in :mod:`toil_core.testing`.

Entry point groups (the entry point's name is the word the user types; its value is a module or
object implementing the hooks of :mod:`toil_core.plugins.hookspecs`):

========================  =================================================
``toil.batch_systems``    ``--batchSystem NAME``       hook ``toil_batch_systems()``
``toil.job_stores``       job store locator scheme     hook ``toil_job_stores()``
``toil.provisioners``     ``--provisioner NAME``       hook ``toil_provisioners()``
``toil.url_access``       URL scheme import/export     hook ``toil_url_access()``
``toil.commands``         extra ``toil`` subcommands   hook ``toil_subcommands()``
``toil.plugins``          cross-cutting plugins        fan-out hooks only
========================  =================================================

Everything in ``__all__`` is a stable, documented API (a test pins it).
"""
from __future__ import annotations

from .errors import (
    PluginConflictError,
    PluginDisabledError,
    PluginError,
    PluginImportError,
    PluginIncompatibleError,
    PluginMisconfiguredError,
    PluginNotInstalledError,
)
from .hookspecs import hookimpl, hookspec
from .registry import (
    PluginInfo,
    check_plugins,
    configure_plugins,
    error_hints,
    get_batch_system_class,
    get_job_store_class,
    get_provisioner_class,
    get_spec,
    get_subcommand,
    get_url_access,
    installed_names,
    leader_finished,
    leader_started,
    list_plugins,
    load_plugin_object,
    plugin_environment,
)
from .settings import SettingRow, add_settings_options, describe_settings, setting, settings_from
from .specs import (
    KINDS,
    BatchSystemSpec,
    JobStoreSpec,
    PluginSpec,
    ProvisionerSpec,
    SubcommandSpec,
    URLAccessSpec,
    normalize_name,
)

__all__ = [
    # spec records
    "BatchSystemSpec",
    "JobStoreSpec",
    "KINDS",
    "PluginSpec",
    "ProvisionerSpec",
    "SubcommandSpec",
    "URLAccessSpec",
    # hook markers
    "hookimpl",
    "hookspec",
    # errors
    "PluginConflictError",
    "PluginDisabledError",
    "PluginError",
    "PluginImportError",
    "PluginIncompatibleError",
    "PluginMisconfiguredError",
    "PluginNotInstalledError",
    # lookups
    "PluginInfo",
    "check_plugins",
    "get_batch_system_class",
    "get_job_store_class",
    "get_provisioner_class",
    "get_spec",
    "get_subcommand",
    "get_url_access",
    "installed_names",
    "list_plugins",
    "load_plugin_object",
    "normalize_name",
    "plugin_environment",
    # backend settings
    "SettingRow",
    "add_settings_options",
    "describe_settings",
    "setting",
    "settings_from",
    # fan-out hooks
    "configure_plugins",
    "error_hints",
    "leader_finished",
    "leader_started",
]
