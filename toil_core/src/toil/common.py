"""Compatibility module: upstream name ``toil.common``; everything lives in toil_core."""
from toil_core.common.toil import *  # noqa: F401,F403
from toil_core.common.config import Config, OptionError, parseBool, parseSetEnv, parse_accelerator_list  # noqa
from toil_core.common.options import add_options, addOptions, parser_with_common_options, get_default_argument_parser, get_default_options  # noqa
from toil_core.common.workdirs import get_toil_work_dir, get_local_workflow_dir, get_coordination_dir  # noqa
from toil_core.common.toil import Toil, ToilRestartException, ToilContextManagerException, normalize_uri  # noqa
from toil_core.compat_toplevel import getNodeID, cacheDirName  # noqa
