"""Compatibility module: upstream name ``toil.common``; everything lives in toil_core."""
from toil_core.common.config import Config, OptionError, parse_accelerator_list, parseBool, parseSetEnv  # noqa
from toil_core.common.workdirs import get_coordination_dir, get_local_workflow_dir, get_toil_work_dir  # noqa
from toil_core.compat_names import (  # noqa: F401
    JOBSTORE_HELP,
    SYS_MAX_SIZE,
    UUID_LENGTH,
    defaultTargetTime,
    safeUnpickleFromStream,
)
from toil_core.compat_names import common_logger as logger  # noqa: F401
from toil_core.compat_toplevel import cacheDirName, getNodeID  # noqa
from toil_core.workflow.options import (  # noqa
    add_options,
    addOptions,
    get_default_argument_parser,
    get_default_options,
    parser_with_common_options,
)
from toil_core.workflow.metrics import ToilMetrics  # noqa: F401
from toil_core.workflow.toil import *  # noqa: F401,F403
from toil_core.workflow.toil import Toil, ToilContextManagerException, ToilRestartException, normalize_uri  # noqa

__all__ = [
    "Config", "JOBSTORE_HELP", "SYS_MAX_SIZE", "Toil", "ToilContextManagerException", "ToilMetrics",
    "ToilRestartException", "UUID_LENGTH", "addOptions", "cacheDirName", "defaultTargetTime", "fC",
    "getDirSizeRecursively", "getFileSystemSize", "getNodeID", "iC", "logger", "parseBool", "parseSetEnv",
    "parse_accelerator_list", "parser_with_common_options", "safeUnpickleFromStream",
]
