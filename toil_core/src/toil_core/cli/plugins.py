"""List, describe and check the installed plugins (batch systems, job stores, URL schemes...).

``toil plugins list [--json]`` reads installed metadata only (nothing is imported);
``toil plugins show NAME`` prints a plugin's spec and settings; ``toil plugins check [NAME]``
imports the plugins and reports which ones work, exiting with status 1 if any is broken.
Plugins switched off with ``TOIL_DISABLE_PLUGINS`` are listed as disabled.
"""
from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Optional

import attrs

from toil_core.cli._common import CommandError, command
from toil_core.plugins import registry
from toil_core.plugins.errors import PluginError, PluginNotInstalledError
from toil_core.plugins.scaffold import SHAPES, ScaffoldError, new_plugin
from toil_core.plugins.settings import describe_settings
from toil_core.plugins.specs import KINDS, kind_info, normalize_name
from toil_core.workflow.options import parser_with_common_options, set_logging_from_options

__all__ = ["main"]

#: Statuses that make ``toil plugins check`` fail.
PROBLEMS = ("broken", "misconfigured", "incompatible", "conflict")
_COLUMNS = ("name", "kind", "distribution", "version", "status", "origin")


def _table(rows: List[List[str]], headers: List[str]) -> List[str]:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return lines


def _print_infos(infos: List[Any], tracebacks: bool = False) -> None:
    rows = [[str(getattr(i, c) or "-") for c in _COLUMNS] for i in infos]
    for line in _table(rows, list(_COLUMNS)):
        print(line)
    for info in infos:
        if info.error:
            print(f"  {info.kind} {info.name!r} ({info.status}): {info.error}")
            if tracebacks and info.traceback:
                print("    " + info.traceback.replace("\n", "\n    "))


def _print_environment(environment: Dict[str, Any]) -> None:
    print()
    print(f"Python: {environment.get('python')} (prefix {environment.get('prefix')})")
    print("Plugins found in:")
    for location in environment.get("locations") or ["(nowhere)"]:
        print(f"    {location}")


def cmd_list(options: argparse.Namespace) -> int:
    infos = registry.list_plugins(options.kind)
    environment = registry.plugin_environment()
    if options.json:
        print(json.dumps({"plugins": [attrs.asdict(i) for i in infos], **environment}, indent=2))
        return 0
    if infos:
        _print_infos(infos)
    else:
        print("No plugins are installed.")
    _print_environment(environment)
    return 0


def _default_text(value: Any) -> str:
    """A default as a user would type it (not a repr of the attrs internals)."""
    if isinstance(value, attrs.Factory):  # type: ignore[arg-type]
        try:
            value = value.factory()
        except Exception:
            return "(computed)"
    if value is attrs.NOTHING:
        return "(required)"
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value)) if value else "(empty)"
    if isinstance(value, str):
        return value if value else '""'
    return str(value)


def _settings_lines(settings: Optional[type]) -> List[str]:
    """Each setting as its flag, environment variable, type, default and help."""
    if settings is None:
        return ["settings: (none)"]
    rows = describe_settings(settings)
    if not rows:
        return ["settings: (none)"]
    lines = ["settings:"]
    for row in rows:
        flags = ", ".join(f for f in (row.flag, *row.old_flags) if f) or "(no flag)"
        lines.append(f"  {flags}  ({row.name})")
        lines.append(f"      environment: {', '.join(row.env) or '(none)'}")
        kind = row.type + (f" (one of {', '.join(map(str, row.choices))})" if row.choices else "")
        lines.append(f"      type: {kind}")
        lines.append(f"      default: {_default_text(row.default)}")
        for number, text in enumerate(textwrap.wrap(" ".join(row.help.split()), 80)):
            lines.append(f"      {'help: ' if number == 0 else '      '}{text}")
    return lines


def _spec_lines(spec: Any) -> List[str]:
    return [
        f"load: {spec.load}",
        f"aliases: {', '.join(spec.aliases) or '(none)'}",
        f"capabilities: {', '.join(sorted(spec.capabilities)) or '(none)'}",
        f"summary: {spec.summary or '-'}",
    ] + _settings_lines(spec.settings)


def cmd_show(options: argparse.Namespace) -> int:
    kinds = [kind_info(options.kind).kind] if options.kind else list(KINDS)
    wanted = normalize_name(options.name)
    shown = 0
    for kind in kinds:
        spec: Any = None
        error: Optional[str] = None
        if kind != "plugin":
            try:
                spec = registry.get_spec(kind, options.name)
            except PluginNotInstalledError:
                pass
            except PluginError as err:
                error = str(err)
        name = spec.name if spec is not None else wanted
        infos = [i for i in registry.list_plugins(kind) if i.name == name]
        if not infos and spec is None:
            continue
        if shown:
            print()
        shown += 1
        print(f"{kind_info(kind).title} '{name}'")
        for info in infos:
            print(f"distribution: {info.distribution or '-'} {info.version or ''}".rstrip())
            if info.origin == "entry point":
                print(f"entry point: {info.group} {info.name} = {info.value}")
            else:
                print(f"origin: {info.origin} ({info.value.partition(':')[2]})")
            print(f"status: {info.status}" + (f" ({info.error})" if info.error else ""))
            if info.location:
                print(f"location: {info.location}")
        for line in _spec_lines(spec) if spec is not None else []:
            print(line)
        if error:
            print(f"error: {error}")
    if not shown:
        raise CommandError(f"No plugin named '{options.name}' is installed. "
                           "Run `toil plugins list` to see the installed plugins.")
    return 0


def cmd_check(options: argparse.Namespace) -> int:
    results = registry.check_plugins(options.name, options.kind)
    if options.name and not results:
        raise CommandError(f"No plugin named '{options.name}' is installed. "
                           "Run `toil plugins list` to see the installed plugins.")
    if options.json:
        print(json.dumps([attrs.asdict(i) for i in results], indent=2))
    else:
        _print_infos(results, tracebacks=True)
    bad = [i for i in results if i.status in PROBLEMS]
    if bad:
        if not options.json:
            print(f"\n{len(bad)} plugin(s) have problems.", file=sys.stderr)
        return 1
    return 0


def cmd_new(options: argparse.Namespace) -> int:
    try:
        written = new_plugin(options.plugin_kind, options.name, Path(options.directory), options.shape)
    except ScaffoldError as err:
        raise CommandError(str(err)) from err
    root = written[0].parent
    print(f"Wrote {len(written)} files to {root}:")
    for path in written:
        print(f"    {path.relative_to(root)}")
    print(f"\nNext: pip install -e '{root}[test]' && pytest {root / 'tests'}\n"
          f"      then run a workflow with --batchSystem {options.name}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = parser_with_common_options(jobstore_option=False, prog="toil plugins")
    parser.description = "List, describe and check the installed plugins."
    sub = parser.add_subparsers(dest="action", metavar="{list,show,check,new}")
    sub.required = True
    listing = sub.add_parser("list", help="List the installed plugins (imports nothing).")
    listing.add_argument("--json", action="store_true", help="Print JSON.")
    listing.set_defaults(func=cmd_list)
    show = sub.add_parser("show", help="Show a plugin's spec: load string, aliases, capabilities, settings.")
    show.add_argument("name", help="The plugin's name, e.g. single_machine or file.")
    show.set_defaults(func=cmd_show)
    check = sub.add_parser("check", help="Import the plugins and report which ones work.")
    check.add_argument("name", nargs="?", default=None, help="Check only this plugin.")
    check.add_argument("--json", action="store_true", help="Print JSON.")
    check.set_defaults(func=cmd_check)
    new = sub.add_parser("new", help="Write a new, working plugin package to start from.")
    new.add_argument("plugin_kind", choices=["batch_system"], metavar="KIND",
                     help="The kind of plugin: batch_system.")
    new.add_argument("name", help="Its name (the word users type, e.g. --batchSystem NAME).")
    new.add_argument("--directory", default=".", help="Where to create toil-plugin-NAME (default: here).")
    new.add_argument("--shape", choices=SHAPES, default="local",
                     help="local: jobs run as local subprocesses (LocalSubprocessBatchSystem); submit_poll: "
                          "jobs are submitted to an external scheduler that is polled (SubmitAndPollBatchSystem), "
                          "with a small spool standing in for the scheduler.")
    new.set_defaults(func=cmd_new, kind=None)
    for subparser in (listing, show, check):
        subparser.add_argument("--kind", default=None,
                               help="Only plugins of this kind: batch_system, job_store, provisioner, "
                                    "url_access, subcommand or plugin.")
    return parser


@command
def main(argv: List[str]) -> int:
    options = build_parser().parse_args(argv)
    set_logging_from_options(options)
    if options.kind:
        try:
            options.kind = kind_info(options.kind).kind
        except ValueError as err:
            raise CommandError(str(err)) from err
    return int(options.func(options))
