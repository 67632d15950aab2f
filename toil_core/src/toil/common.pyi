# Type checkers' view of toil/common.py, whose names are imported on first use (PEP 562).
from toil_core.common.config import Config as Config, OptionError as OptionError
from toil_core.common.config import parse_accelerator_list as parse_accelerator_list
from toil_core.common.config import parseBool as parseBool, parseSetEnv as parseSetEnv
from toil_core.common.workdirs import get_coordination_dir as get_coordination_dir
from toil_core.common.workdirs import get_local_workflow_dir as get_local_workflow_dir
from toil_core.common.workdirs import get_toil_work_dir as get_toil_work_dir
from toil_core.compat_names import JOBSTORE_HELP as JOBSTORE_HELP, SYS_MAX_SIZE as SYS_MAX_SIZE
from toil_core.compat_names import UUID_LENGTH as UUID_LENGTH, defaultTargetTime as defaultTargetTime
from toil_core.compat_names import safeUnpickleFromStream as safeUnpickleFromStream
from toil_core.compat_names import common_logger as logger
from toil_core.compat_toplevel import cacheDirName as cacheDirName, getNodeID as getNodeID
from toil_core.workflow.metrics import ToilMetrics as ToilMetrics
from toil_core.workflow.options import add_options as add_options, addOptions as addOptions
from toil_core.workflow.options import get_default_argument_parser as get_default_argument_parser
from toil_core.workflow.options import get_default_options as get_default_options
from toil_core.workflow.options import parser_with_common_options as parser_with_common_options
from toil_core.workflow.toil import Toil as Toil
from toil_core.workflow.toil import ToilContextManagerException as ToilContextManagerException
from toil_core.workflow.toil import ToilRestartException as ToilRestartException
from toil_core.workflow.toil import fC as fC, getDirSizeRecursively as getDirSizeRecursively
from toil_core.workflow.toil import getFileSystemSize as getFileSystemSize, iC as iC
from toil_core.workflow.toil import normalize_uri as normalize_uri

__all__ = [
    "Config", "JOBSTORE_HELP", "SYS_MAX_SIZE", "Toil", "ToilContextManagerException", "ToilMetrics",
    "ToilRestartException", "UUID_LENGTH", "addOptions", "cacheDirName", "defaultTargetTime", "fC",
    "getDirSizeRecursively", "getFileSystemSize", "getNodeID", "iC", "logger", "parseBool", "parseSetEnv",
    "parse_accelerator_list", "parser_with_common_options", "safeUnpickleFromStream",
]
