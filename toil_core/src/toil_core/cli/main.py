"""The ``toil`` command: runs the subcommand named by its first argument.

Built-in subcommands live in one module each in :mod:`toil_core.cli` (a ``main(argv)`` function
returning the exit code, and a docstring whose first line is the summary ``toil --help``
shows). Installed plugins add more through the ``toil.commands`` entry point group; their names
are read from metadata, and a plugin is imported only when its command is run (or ``--help``
is asked for).
"""
from __future__ import annotations

import difflib
import importlib
import inspect
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from toil_core import __version__
from toil_core.plugins import registry
from toil_core.plugins.errors import PluginError, install_hint
from toil_core.plugins.registry import get_subcommand, installed_names

__all__ = ["BUILTIN_COMMANDS", "commands", "main", "printHelp", "printVersion", "run_command"]

#: Built-in subcommand name -> module.
BUILTIN_COMMANDS: Dict[str, str] = {
    "clean": "toil_core.cli.clean",
    "debug-file": "toil_core.cli.debug_file",
    "debug-job": "toil_core.cli.debug_job",
    "kill": "toil_core.cli.kill",
    "plugins": "toil_core.cli.plugins",
    "stats": "toil_core.cli.stats",
    "status": "toil_core.cli.status",
}

#: Upstream commands that come with plugins, for the "not installed" hint.
_PLUGIN_HINTS = {
    "launch-cluster": "a provisioner plugin (e.g. toil-aws or toil-google)",
    "ssh-cluster": "a provisioner plugin (e.g. toil-aws or toil-google)",
    "rsync-cluster": "a provisioner plugin (e.g. toil-aws or toil-google)",
    "destroy-cluster": "a provisioner plugin (e.g. toil-aws or toil-google)",
    "server": "a WES server plugin",
}


def _display(name: str) -> str:
    return name.replace("_", "-")


def _first_line(doc: Optional[str]) -> str:
    for line in (doc or "").strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def _plugin_names() -> List[str]:
    """The names of the subcommands installed plugins provide (metadata only)."""
    try:
        return [_display(n) for n in installed_names("subcommand")]
    except Exception as err:  # a broken metadata scan must not break the built-in commands
        print(f"Warning: could not list the plugin subcommands: {err}", file=sys.stderr)
        return []


def commands() -> List[str]:
    """Every subcommand name, built-in and from plugins, sorted."""
    return sorted(set(BUILTIN_COMMANDS) | set(_plugin_names()))


def _plugin_summary(name: str) -> str:
    try:
        summary = registry.get_spec("subcommand", name).summary
    except Exception as err:
        text = " ".join(str(err).split())
        hint = f"toil plugins check {name}"
        return f"(unavailable: {text}" + ("" if hint in text else f" Run `{hint}`.") + ")"
    return _first_line(summary) or "(from a plugin)"


def _summaries() -> List[Tuple[str, str]]:
    rows = []
    for name in commands():
        if name in BUILTIN_COMMANDS:
            summary = _first_line(importlib.import_module(BUILTIN_COMMANDS[name]).__doc__)
        else:
            summary = _plugin_summary(name)
        rows.append((name, summary))
    return rows


def _version() -> str:
    return str(__version__)


def printVersion() -> None:
    print(_version())


def printHelp(stream: Any = None) -> None:
    """Print the usage and the list of subcommands."""
    out = stream or sys.stdout
    rows = _summaries()
    lines = [
        "usage: toil [--help] [--version] COMMAND [ARGS ...]",
        "",
        f"Toil (toil-core {_version()}) command-line utility. The commands are:",
        "",
    ]
    lines += [f"{name} - {summary}" for name, summary in rows]
    lines += ["", 'Run "toil COMMAND --help" for the options of a command.']
    out.write("\n".join(lines) + "\n")


def _unknown(word: str) -> int:
    sys.stderr.write(f'Unknown option "{word}".  Pass --help to display usage information.\n')
    if not word.startswith("-"):
        key = _display(word.strip().lower())
        provider = _PLUGIN_HINTS.get(key)
        try:
            hint = install_hint("subcommand", key)
        except Exception:
            hint = None
        if hint is not None:
            sys.stderr.write(f"The {key!r} command is not installed. Install it with: "
                             f"pip install 'toil-core[{hint[0]}]' (provides {hint[1]}).\n")
        elif provider:
            sys.stderr.write(f"The {key!r} command comes with {provider}, which is not installed.\n")
        else:
            close = difflib.get_close_matches(key, commands(), n=1)
            if close:
                sys.stderr.write(f'Did you mean "{close[0]}"?\n')
    return 1


def _accepts_argument(func: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in parameters)


def _call_with_argv(func: Callable[..., Any], argv: List[str], prog: str) -> Any:
    """``func(argv)``, or ``func()`` with ``sys.argv`` set for functions that take nothing."""
    if _accepts_argument(func):
        return func(argv)
    saved = sys.argv
    sys.argv = [prog] + argv
    try:
        return func()
    finally:
        sys.argv = saved


def _run_plugin_command(name: str, argv: List[str]) -> Any:
    obj = get_subcommand(name)
    prog = f"toil {name}"
    if isinstance(obj, type):
        obj = obj()
    for attribute in ("main", "run"):
        func = getattr(obj, attribute, None)
        if callable(func):
            return _call_with_argv(func, argv, prog)
    if callable(obj):
        return _call_with_argv(obj, argv, prog)
    raise TypeError(f"The plugin command {name!r} ({obj!r}) has no main(argv) to call.")


def _exit_code(result: Any) -> int:
    if result is None or result is True:
        return 0
    if result is False:
        return 1
    try:
        return int(result)
    except (TypeError, ValueError):
        return 0


def run_command(name: str, argv: Sequence[str]) -> int:
    """Run subcommand ``name`` with arguments ``argv``; return its exit code."""
    args = list(argv)
    if name in BUILTIN_COMMANDS:
        module = importlib.import_module(BUILTIN_COMMANDS[name])
        return _exit_code(module.main(args))

    try:
        return _exit_code(_run_plugin_command(name, args))
    except PluginError as err:
        sys.stderr.write(f"{err}\n")
        return 1


def _resolve(word: str) -> Optional[str]:
    if word in BUILTIN_COMMANDS:
        return word
    key = _display(word.strip().lower())
    if key in BUILTIN_COMMANDS:
        return key
    if not word.startswith("-") and key in _plugin_names():
        return key
    return None


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Entry point of the ``toil`` console script; exits with the subcommand's status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("--help", "-h", "help"):
        if len(args) > 1 and args[0] == "help" and _resolve(args[1]):
            sys.exit(run_command(_resolve(args[1]) or "", ["--help"]))
        printHelp()
        sys.exit(0)
    if args[0] == "--version":
        printVersion()
        sys.exit(0)
    name = _resolve(args[0])
    if name is None:
        sys.exit(_unknown(args[0]))
    sys.exit(run_command(name, args[1:]))


if __name__ == "__main__":
    main()
