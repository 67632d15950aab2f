"""Compatibility module: upstream name ``toil.batchSystems.options``; everything lives in toil_core."""
from toil_core.compat_names import batch_options_logger as logger  # noqa: F401
from toil_core.workflow.batch_options import (  # noqa: F401
    OptionSetter,
    add_all_batchsystem_options,
    set_batchsystem_config_defaults,
    set_batchsystem_options,
)

__all__ = [
    "OptionSetter", "add_all_batchsystem_options", "logger", "set_batchsystem_config_defaults",
    "set_batchsystem_options",
]
