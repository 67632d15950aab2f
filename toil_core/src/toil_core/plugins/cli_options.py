"""Backend options on the workflow command line: parse twice.

The first pass reads only ``--batchSystem``, ``--provisioner`` and the job store locator from
the arguments, to learn which backends the run uses. Their settings classes (see
:mod:`toil_core.plugins.settings`) are then added to the parser as one group per backend, and
the real parse runs; ``--help`` therefore shows the chosen backends' options, and the group's
description names the other installed backends. Only the chosen backends' plugin modules are
imported.

:func:`install_two_pass` makes an argparse parser do this on every ``parse_args`` /
``parse_known_args`` (``toil_core.workflow.options.add_options`` calls it);
:func:`add_backend_options` is the first pass on its own.

A batch system that is not installed (or fails to load) ends the parse (exit status 2, like any
argparse error) with the plugin error's message (``... Install it with: pip install
'toil-core[hpc]' ...``) and without the long usage text; with ``--help`` the message goes into
the help text instead. A provisioner or job store that cannot be loaded is only noted in the
help: the run reports it when it needs the backend.
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import types
from typing import Any, List, Optional, Sequence, Tuple

import attrs

from toil_core.common.config import Config, OptionError
from toil_core.lib.error_report import debug_requested, install_excepthook

from . import discovery
from .errors import PluginError
from .factories import is_workflow_factory
from .module_scan import ScannedBatchSystemSpec
from .registry import get_spec
from .settings import add_settings_options
from .specs import kind_info, normalize_name

__all__ = [
    "SelectedBackend",
    "add_backend_options",
    "backend_group_title",
    "install_two_pass",
    "selected_backends",
]

_LOCATOR_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+_-]*):")
_HELP_FLAGS = ("-h", "--help")


@attrs.frozen
class SelectedBackend:
    """A backend named on the command line and what became of it in the first pass."""

    kind: str
    name: str
    group_title: str
    error: Optional[str] = None


def backend_group_title(kind: str, name: str) -> str:
    """The title of the argparse group holding a backend's options."""
    return f"Options of the {normalize_name(name)} {kind_info(kind).label}"


def _first_pass(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    defaults = {a.dest: a.default for a in parser._actions}
    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    pre.add_argument("--batchSystem", dest="batchSystem",
                     default=defaults.get("batchSystem") or "single_machine")
    pre.add_argument("--provisioner", dest="provisioner", default=defaults.get("provisioner"))
    pre.add_argument("--jobStore", "--jobstore", dest="jobStore", default=None)
    try:
        namespace, rest = pre.parse_known_args(list(argv))
    except SystemExit:  # e.g. "--batchSystem" with no value: let the real parse report it
        return argparse.Namespace(batchSystem=None, provisioner=None, jobStore=None, rest=[])
    namespace.rest = rest
    return namespace


def _job_store_schemes(namespace: argparse.Namespace) -> List[str]:
    """Schemes of installed job stores named by ``--jobStore`` or a positional argument."""
    candidates = [namespace.jobStore] if namespace.jobStore else []
    candidates += [a for a in namespace.rest if not a.startswith("-")]
    schemes: List[str] = []
    for candidate in candidates:
        match = _LOCATOR_RE.match(candidate or "")
        scheme = normalize_name(match.group(1)) if match else None
        if scheme and scheme not in schemes and discovery.is_installed("job_store", scheme):
            schemes.append(scheme)
    return schemes


def selected_backends(parser: argparse.ArgumentParser, argv: Sequence[str]) -> List[Tuple[str, str]]:
    """``(kind, name)`` of the backends ``argv`` selects: the batch system (or the parser's
    default), the provisioner if one is given, and installed job store schemes among the
    locators. Reads metadata only."""
    namespace = _first_pass(parser, argv)
    chosen: List[Tuple[str, str]] = []
    if namespace.batchSystem:
        chosen.append(("batch_system", namespace.batchSystem))
    if namespace.provisioner:
        chosen.append(("provisioner", namespace.provisioner))
    chosen += [("job_store", scheme) for scheme in _job_store_schemes(namespace)]
    return chosen


def _others_sentence(kind: str, name: str) -> str:
    info = kind_info(kind)
    others = [n for n in discovery.installed_names(kind) if n != normalize_name(name)]
    if not others:
        return f"No other {info.plural} are installed."
    flag = _FLAGS.get(kind)
    how = f"give {flag} NAME --help" if flag else "run `toil plugins show NAME`"
    return f"Other installed {info.plural}: {', '.join(others)} ({how} to see their options)."


def _is_workflow_factory(kind: str, name: str) -> bool:
    if kind != "batch_system":
        return False
    return is_workflow_factory(name)


def add_backend_options(parser: argparse.ArgumentParser, argv: Optional[Sequence[str]] = None,
                        fail: bool = True) -> List[SelectedBackend]:
    """The first pass: add the option groups of the backends ``argv`` (default ``sys.argv[1:]``)
    selects to ``parser`` and return what was selected.

    With ``fail`` (the default), a batch system that cannot be loaded ends the parse with the
    plugin error's message (exit status 2) -- unless ``-h``/``--help`` is among the arguments,
    in which case the message is shown in the help.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    wants_help = any(a in _HELP_FLAGS for a in args)
    selected: List[SelectedBackend] = []
    for kind, name in selected_backends(parser, args):
        if _is_workflow_factory(kind, name):
            continue  # registered by the workflow with addBatchSystemFactory: no plugin to load
        title = backend_group_title(kind, name)
        try:
            spec = get_spec(kind, name)
        except PluginError as err:
            if fail and not wants_help and kind == "batch_system":
                # The message says what to install; the long usage text would only bury it.
                parser.exit(2, f"{parser.prog}: error: {err}\n")
            group = add_settings_options(parser, None, title, str(err).replace("%", "%%"))
            _place(parser, group, kind)
            selected.append(SelectedBackend(kind, name, title, str(err)))
            continue
        flag = _FLAGS.get(kind)
        chosen = f" (chosen with {flag} {name})" if flag else ""
        summary = f"{spec.summary} " if spec.summary else ""
        # The other installed backends only matter to a reader of --help (listing them searches
        # the module path for each one's package).
        others = f" {_others_sentence(kind, name)}" if wants_help else ""
        description = f"{summary}These options apply to {spec.name}{chosen}.{others}"
        title = backend_group_title(kind, spec.name)
        group = add_settings_options(parser, spec.settings, title, description.replace("%", "%%"))
        if spec.settings is None and kind == "batch_system":
            _add_upstream_options(spec, group)
        _place(parser, group, kind)
        selected.append(SelectedBackend(kind, spec.name, title))
    return selected


def _add_upstream_options(spec: Any, group: Any) -> None:
    """Options of a batch system written for upstream Toil (no settings class): its
    ``add_options(parser)`` adds them and its ``setOptions(setOption)`` names those the config
    keeps (see :func:`upstream_set_option`)."""
    if not isinstance(spec, ScannedBatchSystemSpec):
        return
    cls = spec.load_object()
    if callable(getattr(cls, "add_options", None)):
        cls.add_options(group)
    if callable(getattr(cls, "setOptions", None)):
        cls.setOptions(upstream_set_option)


def upstream_set_option(option_name: str, parsing_function: Any = None, check_function: Any = None,
                        default: Any = None, env: Any = None, old_names: Any = None) -> None:
    """Upstream's ``setOption`` for a batch system's ``setOptions``: make every Config take
    ``option_name`` from the parsed options (parsed and checked by the given functions; the default
    read from the first set environment variable of ``env``)."""
    for variable in env or ():
        if os.environ.get(variable):
            default = os.environ[variable]
            if parsing_function is not None:
                default = parsing_function(default)
            break

    def convert(value: Any) -> Any:
        if parsing_function is not None and isinstance(value, str):
            value = parsing_function(value)
        if check_function is not None:
            check_function(value)
        return value

    Config.register_option(option_name, default, convert)


_FLAGS = {"batch_system": "--batchSystem", "provisioner": "--provisioner"}
#: A backend's group is shown right after the core group whose title starts like this.
_AFTER = {"batch_system": "Toil options for specifying the batch system",
          "job_store": "Toil options for configuring storage",
          "provisioner": "Toil options for autoscaling"}


def _place(parser: argparse.ArgumentParser, group: Any, kind: str) -> None:
    groups = parser._action_groups
    anchor = next((i for i, g in enumerate(groups)
                   if g is not group and (g.title or "").startswith(_AFTER.get(kind, "\0"))), None)
    if anchor is not None and group in groups:
        groups.remove(group)
        groups.insert(anchor + 1, group)


def _two_pass_parse_known_args(self: argparse.ArgumentParser, args: Optional[Sequence[str]] = None,
                               namespace: Optional[argparse.Namespace] = None) -> Any:
    argv = list(sys.argv[1:] if args is None else args)
    add_backend_options(self, argv)
    parsed, rest = type(self).parse_known_args(self, argv, namespace)
    _check_values(self, parsed)
    return parsed, rest


def _check_values(parser: argparse.ArgumentParser, namespace: argparse.Namespace) -> None:
    """Check the option values that can be checked while parsing (ranges, paths, combinations)
    and end a bad command line as argparse does: one ``error:`` line, exit status 2.

    The same checks run again when ``Toil(options)`` starts (values set by the script after
    parsing are checked there). A restart is checked only there, as its stored options fill in
    what the command line leaves out. Also installs the short error report for uncaught
    mistakes (:mod:`toil_core.lib.error_report`), with tracebacks only under ``--logDebug``.
    """
    if not hasattr(namespace, "jobStore") or not hasattr(namespace, "retryCount"):
        return  # not a parser with the workflow options
    install_excepthook(debug_requested(namespace))
    if getattr(namespace, "restart", False):
        return

    quiet = logging.getLogger(Config.__module__)  # its warnings come again when the run starts
    was_disabled, quiet.disabled = quiet.disabled, True
    try:
        Config().setOptions(namespace)
    except OptionError as err:
        parser.exit(2, f"{parser.prog}: error: {err}\n")
    finally:
        quiet.disabled = was_disabled


def install_two_pass(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Make ``parser`` add the selected backends' options before each parse (idempotent).

    Works through ``parse_args`` and ``parse_known_args``, on sub-parsers too; the parser stays
    copyable (``copy.deepcopy``) and usable as before. Returns ``parser``.
    """
    if not isinstance(parser, argparse.ArgumentParser):
        raise TypeError(f"install_two_pass needs an argparse.ArgumentParser, not {type(parser).__name__}")
    if "parse_known_args" not in vars(parser):
        parser.parse_known_args = types.MethodType(_two_pass_parse_known_args, parser)  # type: ignore[method-assign]
    return parser

