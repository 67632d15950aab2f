"""Old helpers kept for scripts written against early Toil (``toil.lib.bioio``)."""
from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from typing import List, Optional, Union


def system(command: Union[str, List[str]]) -> None:
    """Run a command (a shell string or an argument list); raise if it fails."""
    subprocess.run(command, shell=isinstance(command, str), check=True)


def getTempFile(suffix: str = "", rootDir: Optional[str] = None) -> str:
    """A new, empty temporary file's path (the caller removes it)."""
    handle, path = tempfile.mkstemp(suffix=suffix, dir=rootDir)
    os.close(handle)
    return path


def getLogLevelString(logger: Optional[logging.Logger] = None) -> str:
    """The name of the level ``logger`` (default: the root logger) logs at, such as ``"INFO"``."""
    return logging.getLevelName((logger or logging.getLogger()).getEffectiveLevel())
