"""The ``toil`` command dispatcher (upstream name of :mod:`toil_core.cli.main`)."""
import importlib
import types
from typing import Dict

from toil_core.cli.main import BUILTIN_COMMANDS, main, printHelp, printVersion  # noqa: F401

__all__ = ["get_or_die", "loadModules", "main", "printHelp", "printVersion"]


def get_or_die(module: types.ModuleType, name: str) -> object:
    """Get an object from a module or complain that it is missing."""
    if hasattr(module, name):
        return getattr(module, name)
    raise RuntimeError(f"Toil subcommand module {module.__name__} has no {name!r}.")


def loadModules() -> Dict[str, types.ModuleType]:
    """The built-in subcommand modules by command name."""
    return {name: importlib.import_module(path) for name, path in BUILTIN_COMMANDS.items()}
