"""Compatibility module: upstream name ``toil.common``; everything lives in toil_core."""
from toil_core.common.toil import *  # noqa: F401,F403
from toil_core.common.config import Config, OptionError, parseBool, parseSetEnv, parse_accelerator_list  # noqa
from toil_core.common.options import add_options, addOptions, parser_with_common_options, get_default_argument_parser, get_default_options  # noqa
from toil_core.common.workdirs import get_toil_work_dir, get_local_workflow_dir, get_coordination_dir  # noqa
from toil_core.common.toil import Toil, ToilRestartException, ToilContextManagerException, normalize_uri  # noqa
from toil_core.compat_toplevel import getNodeID, cacheDirName  # noqa
from toil_core.compat_names import (  # noqa: F401
    JOBSTORE_HELP, SYS_MAX_SIZE, UUID_LENGTH, defaultTargetTime, safeUnpickleFromStream,
)
from toil_core.compat_names import common_logger as logger  # noqa: F401

__all__ = [
    "Config", "JOBSTORE_HELP", "SYS_MAX_SIZE", "Toil", "ToilContextManagerException",
    "ToilRestartException", "UUID_LENGTH", "addOptions", "cacheDirName", "defaultTargetTime", "fC",
    "getDirSizeRecursively", "getFileSystemSize", "getNodeID", "iC", "logger", "parseBool", "parseSetEnv",
    "parse_accelerator_list", "parser_with_common_options", "safeUnpickleFromStream",
]
