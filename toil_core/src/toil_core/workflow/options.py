"""Toil's workflow command-line options (``toil.common.addOptions`` and friends).

- :func:`add_options` adds every Toil option to an ``argparse.ArgumentParser`` (or an
  ``optparse.OptionParser``) in upstream's groups, with upstream flag names and destinations.
- :func:`get_default_argument_parser` / :func:`get_default_options` back
  ``Job.Runner.getDefaultArgumentParser()`` / ``getDefaultOptions(jobStore)``.
- :func:`parser_with_common_options` is the base parser of the ``toil`` subcommands.
- :func:`set_logging_from_options` configures the root logger from ``--logLevel``/``--logFile``.

The option table lives in :mod:`toil_core.common.options_groups`; conversions and checks of the
values in :mod:`toil_core.common.config`.
"""
import argparse
import logging
import logging.handlers
import optparse
import re
import sys
import tempfile
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from toil_core import __version__
from toil_core.common.config import (
    DEFAULT_MAX_LOG_FILE_SIZE,
    Config,
    OptionError,
    canonical_log_level,
    parseBool,
    parseSetEnv,
)
from toil_core.common.options_groups import (
    GROUP_DESCRIPTIONS,
    GROUP_ORDER,
    LOGGING,
    Opt,
    option_table,
)
from toil_core.plugins.cli_options import install_two_pass

__all__ = [
    "JOBSTORE_HELP", "LOG_FORMAT", "LOG_DATE_FORMAT", "OptionError", "add_options", "addOptions",
    "add_provisioner_options",
    "add_logging_options", "add_argument_if_absent", "get_default_argument_parser",
    "get_default_options", "parser_with_common_options", "parse_optparse_args",
    "resolve_optparse_jobstore", "parseBool", "parseSetEnv", "set_logging_from_options",
]

JOBSTORE_HELP = (
    "The location of the job store of the workflow. The job store keeps the jobs, statistics and "
    "files of a workflow; with a distributed batch system every worker must be able to reach it. "
    "Forms: file:<path> (a directory on the file system), aws:<region>:<prefix> (AWS: <prefix> "
    "starts the names of the AWS resources used, e.g. S3 buckets), google:<project_id>:<prefix> "
    "(Google Cloud). A plain path such as ./foo or /bar means file:./foo or file:/bar."
)

LOG_FORMAT = "[%(asctime)s] [%(threadName)s] [%(levelname).1s] [%(name)s] %(message)s"
LOG_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
#: Size at which --rotatingLogging rotates the --logFile unless --maxLogFileSize says otherwise.
DEFAULT_ROTATING_LOG_SIZE = 64 * 1024 * 1024

ParserType = Union[argparse.ArgumentParser, optparse.OptionParser]


# --------------------------------------------------------------------------------------------
# argparse
# --------------------------------------------------------------------------------------------

def _has_flag(parser: Any, flag: str) -> bool:
    if isinstance(parser, optparse.OptionParser):
        return parser.has_option(flag)
    return flag in getattr(parser, "_option_string_actions", {})


def add_argument_if_absent(container: Any, *flags: str, **kwargs: Any) -> Optional[argparse.Action]:
    """``container.add_argument(*flags, **kwargs)`` with the flags the parser already has left
    out; nothing is added (None returned) when all of them are taken.  Lets plugins and front
    ends add options that ``add_options`` may have added first, and vice versa."""
    parser = getattr(container, "_toil_parser", container)
    free = [f for f in flags if not _has_flag(parser, f)]
    if not free:
        return None
    return container.add_argument(*free, **kwargs)


def _argparse_group(parser: argparse.ArgumentParser, title: str) -> Any:
    for group in parser._action_groups:
        if group.title == title:
            return group
    group = parser.add_argument_group(title, GROUP_DESCRIPTIONS.get(title))
    group._toil_parser = parser  # type: ignore[attr-defined]
    return group


def _defaults_from_config(config: Optional[Config]) -> Dict[str, Any]:
    """Option defaults taken from a Config (``addOptions(parser, config)``), by dest."""
    if config is None:
        return {}
    values = config.to_dict()
    env = values.get("environment") or {}
    values["environment"] = [k if v is None else f"{k}={v}" for k, v in env.items()]
    values["nodeTypes"] = ",".join(
        "/".join(sorted(types)) + ("" if bid is None else f":{bid}") for types, bid in values["nodeTypes"]
    ) or None
    values["nodeStorageOverrides"] = ",".join(values["nodeStorageOverrides"]) or None
    for name in ("workflowID", "workflowAttemptNumber", "jobStore", "clean"):
        values.pop(name, None)
    return values


def _selected(include_backend_options: bool, groups: Optional[Sequence[str]] = None) -> List[Opt]:
    return [o for o in option_table()
            if (include_backend_options or not o.backend) and (groups is None or o.group in groups)]


def _add_argparse_options(parser: argparse.ArgumentParser, opts: List[Opt],
                          defaults: Dict[str, Any]) -> None:
    by_group: Dict[str, List[Opt]] = {}
    for opt in opts:
        by_group.setdefault(opt.group, []).append(opt)
    for title in GROUP_ORDER:
        if title not in by_group:
            continue
        group = _argparse_group(parser, title)
        for opt in by_group[title]:
            if opt.backend and any(_has_flag(parser, f) for f in opt.flags):
                continue
            kwargs = dict(opt.kwargs)
            if kwargs["dest"] in defaults:
                kwargs["default"] = defaults[kwargs["dest"]]
            add_argument_if_absent(group, *opt.flags, **kwargs)


def add_options(parser: ParserType, config: Optional[Config] = None, jobstore_as_flag: bool = False,
                include_backend_options: bool = True) -> None:
    """Add all Toil workflow options to ``parser`` (argparse or optparse).

    With argparse the job store is the required positional ``jobStore`` argument, or the
    ``--jobStore``/``--jobstore`` option when ``jobstore_as_flag``.  With optparse it is the first
    positional argument (see :func:`parse_optparse_args`) or ``--jobStore``.  ``config`` supplies
    defaults.  Flags the parser already has are left alone, so plugins may add their own first.

    An argparse parser also gets the options of the backends the command line selects
    (``--batchSystem``, ``--provisioner``, the job store scheme) when it parses; see
    :mod:`toil_core.plugins.cli_options`.  An unknown batch system then ends the parse with the
    plugin error's message (how to install it), not an argparse "invalid choice".
    """
    if isinstance(config, bool):  # add_options(parser, True): the job store flag, positionally
        config, jobstore_as_flag = None, config
    defaults = _defaults_from_config(config)
    opts = _selected(include_backend_options)
    if isinstance(parser, optparse.OptionParser):
        _add_optparse_options(parser, opts, defaults)
        return
    if not isinstance(parser, argparse.ArgumentParser):
        raise TypeError(f"Cannot add Toil options to a {type(parser).__name__}: "
                        "pass an argparse.ArgumentParser or an optparse.OptionParser.")
    core = _argparse_group(parser, GROUP_ORDER[0])
    if not any(a.dest == "jobStore" for a in parser._actions):
        if jobstore_as_flag:
            add_argument_if_absent(core, "--jobStore", "--jobstore", dest="jobStore", type=str,
                                   default=None, help=JOBSTORE_HELP)
        else:
            core.add_argument("jobStore", type=str, help=JOBSTORE_HELP)
    _add_argparse_options(parser, opts, defaults)
    _accept_negative_sizes(parser)
    if include_backend_options:
        # Parse twice: the chosen backends' own options are added when the parser parses.
        install_two_pass(parser)


#: A negative number, possibly with a size unit ("-1", "-.5", "-1G", "-2.5 GiB", "-1e3").
_NEGATIVE_VALUE = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*[A-Za-z]*$")


def _accept_negative_sizes(parser: argparse.ArgumentParser) -> None:
    """Let ``--defaultMemory -1G`` reach the option's own check ("may not be negative ...").

    Before Python 3.13 argparse takes "-1G" for an unknown option and reports only "expected
    one argument"; it decides with the parser's negative-number pattern, which is widened here
    when no option of the parser itself looks like a negative number.
    """
    matcher = getattr(parser, "_negative_number_matcher", None)
    if matcher is None or matcher.match("-1G") or getattr(parser, "_has_negative_number_optionals", None):
        return
    parser._negative_number_matcher = _NEGATIVE_VALUE  # type: ignore[attr-defined]


#: Upstream's name (``toil.common.addOptions``).
addOptions = add_options


def add_logging_options(parser: argparse.ArgumentParser) -> None:
    """The logging options only (--logLevel and its shortcuts, --logFile, --rotatingLogging)."""
    opts = [o for o in _selected(False, [LOGGING])]
    _add_argparse_options(parser, opts, {})


def get_default_argument_parser(jobstore_as_flag: bool = False, **kwargs: Any) -> argparse.ArgumentParser:
    """An ArgumentParser (ArgumentDefaultsHelpFormatter) with every Toil option and the job
    store as positional argument (or ``--jobStore`` when ``jobstore_as_flag``).  Other keyword
    arguments go to ArgumentParser."""
    kwargs.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
    parser = argparse.ArgumentParser(**kwargs)
    add_options(parser, jobstore_as_flag=jobstore_as_flag)
    return parser


def get_default_options(jobStore: Optional[str] = None, jobstore_as_flag: bool = False) -> argparse.Namespace:
    """The options of a run given only the job store (all other options at their defaults)."""
    if jobStore is None:
        if not jobstore_as_flag:
            raise OptionError("get_default_options needs a job store locator.")
        args: List[str] = []
    elif jobstore_as_flag:
        args = [f"--jobStore={jobStore}"]
    else:
        args = ["--", jobStore] if jobStore.startswith("-") else [jobStore]
    return get_default_argument_parser(jobstore_as_flag=jobstore_as_flag).parse_args(args)


def _version() -> str:
    try:
        return str(__version__)
    except Exception:
        return "unknown"


def add_provisioner_options(parser: argparse.ArgumentParser) -> None:
    """Add what every cluster command takes: ``--provisioner/-p`` (default aws), ``--zone/-z`` and
    the positional ``clusterName`` (upstream ``toil.provisioners.add_provisioner_options``)."""
    group = parser.add_argument_group("Provisioner Options.")
    group.add_argument("--provisioner", "-p", dest="provisioner", default="aws",
                       help="The provisioner of the cluster, e.g. aws or gce.")
    group.add_argument("--zone", "-z", dest="zone", default=None,
                       help="The availability zone of the leader; defaults to TOIL_AWS_ZONE or "
                            "TOIL_GCE_ZONE, or the provisioner's own default.")
    group.add_argument("clusterName", help="The name of the cluster (lowercase, no '_').")


def parser_with_common_options(provisioner_options: bool = False, jobstore_option: bool = True,
                               prog: Optional[str] = None) -> argparse.ArgumentParser:
    """The base parser of ``toil`` subcommands: the job store (or the cluster name and
    provisioner options), the logging options, ``--version`` and ``--tempDirRoot``."""
    parser = argparse.ArgumentParser(prog=prog, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    if provisioner_options:
        add_provisioner_options(parser)
    if jobstore_option:
        parser.add_argument("jobStore", type=str, help=JOBSTORE_HELP)
    add_logging_options(parser)
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument("--tempDirRoot", dest="tempDirRoot", type=str, default=tempfile.gettempdir(),
                        help="Directory under which temporary files are created.")
    return parser


# --------------------------------------------------------------------------------------------
# optparse
# --------------------------------------------------------------------------------------------

def _optparse_convert(convert: Any, option: Any, opt_str: str, value: str) -> Any:
    try:
        return convert(value)
    except (argparse.ArgumentTypeError, ValueError, TypeError) as e:
        raise optparse.OptionValueError(f"option {opt_str}: {e}") from None


def _cb_store(option: Any, opt_str: str, value: str, parser: Any, convert: Any) -> None:
    setattr(parser.values, option.dest, _optparse_convert(convert, option, opt_str, value))


def _cb_append(option: Any, opt_str: str, value: str, parser: Any) -> None:
    current = getattr(parser.values, option.dest, None) or []
    setattr(parser.values, option.dest, list(current) + [value])


def _cb_optional(option: Any, opt_str: str, value: Any, parser: Any, convert: Any, const: Any) -> None:
    # Emulates argparse nargs='?': take the next word if it is not an option, else use const.
    rargs = parser.rargs
    if rargs and not rargs[0].startswith("-"):
        text = rargs.pop(0)
        result = _optparse_convert(convert, option, opt_str, text) if convert else text
    else:
        result = const
    setattr(parser.values, option.dest, result)


def _optparse_group(parser: optparse.OptionParser, title: str) -> optparse.OptionGroup:
    for group in parser.option_groups:
        if group.title == title:
            return group
    return parser.add_option_group(title, GROUP_DESCRIPTIONS.get(title))


def _add_optparse_options(parser: optparse.OptionParser, opts: List[Opt], defaults: Dict[str, Any]) -> None:
    core = _optparse_group(parser, GROUP_ORDER[0])
    if not _has_flag(parser, "--jobStore"):
        core.add_option("--jobStore", dest="jobStore", type="string", default=None,
                        help="The job store (may also be given as the first positional argument). "
                             + JOBSTORE_HELP)
    for title in GROUP_ORDER:
        for opt in (o for o in opts if o.group == title):
            flags = [f for f in opt.flags if not _has_flag(parser, f)]
            if not flags or (opt.backend and len(flags) != len(opt.flags)):
                continue
            kw = opt.kwargs
            dest = kw["dest"]
            default = defaults.get(dest, kw.get("default"))
            action = kw.get("action", "store")
            out: Dict[str, Any] = {"dest": dest, "help": kw.get("help"), "default": default}
            if action in ("store_true", "store_false", "store_const"):
                out["action"] = action
                if action == "store_const":
                    out["const"] = kw["const"]
            elif action == "append":
                out.update(action="callback", type="string", callback=_cb_append,
                           default=list(default or []), metavar=kw.get("metavar"))
            elif kw.get("nargs") == "?":
                out.update(action="callback", callback=_cb_optional,
                           callback_args=(kw.get("type"), kw.get("const")))
            elif kw.get("type") is not None:
                out.update(action="callback", type="string", callback=_cb_store,
                           callback_args=(kw["type"],), metavar=kw.get("metavar"))
            else:
                out.update(action="store", type="string", metavar=kw.get("metavar"))
            _optparse_group(parser, title).add_option(*flags, **out)


def resolve_optparse_jobstore(options: Any, args: List[str]) -> List[str]:
    """Set ``options.jobStore`` from the first positional argument when ``--jobStore`` was not
    given; return the remaining positional arguments.  Raises OptionError without a job store."""
    rest = list(args)
    if getattr(options, "jobStore", None) is None:
        if not rest:
            raise OptionError("No job store given: pass it as the first argument (or --jobStore).")
        options.jobStore = rest.pop(0)
    return rest


def parse_optparse_args(parser: optparse.OptionParser,
                        args: Optional[Sequence[str]] = None) -> Tuple[Any, List[str]]:
    """``parser.parse_args(args)`` plus the job store from the first positional argument."""
    options, rest = parser.parse_args(None if args is None else list(args))
    try:
        rest = resolve_optparse_jobstore(options, rest)
    except OptionError as e:
        parser.error(str(e))
    return options, rest


# --------------------------------------------------------------------------------------------
# logging
# --------------------------------------------------------------------------------------------

_HANDLER_MARK = "_toil_core_handler"


def _rotation_size(options: Any) -> int:
    size = getattr(options, "maxLogFileSize", None)
    if isinstance(size, int) and size > 0 and size != DEFAULT_MAX_LOG_FILE_SIZE:
        return size
    return DEFAULT_ROTATING_LOG_SIZE


def set_logging_from_options(options: Any) -> None:
    """Configure the root logger from ``options.logLevel``, ``logFile`` and ``logRotating``.

    Adds one stderr handler (unless the root logger already writes to stderr) and, with
    ``--logFile``, one file handler (a RotatingFileHandler with ``--rotatingLogging``, rotating at
    ``--maxLogFileSize`` when that was changed from its default, else at 64 MiB).  Calling it
    again replaces the handlers it added before instead of adding more.
    """
    level = canonical_log_level(getattr(options, "logLevel", None) or "INFO")
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
            if isinstance(handler, logging.FileHandler):
                handler.close()
    formatter = logging.Formatter(LOG_FORMAT, LOG_DATE_FORMAT)
    handlers: List[logging.Handler] = []
    writes_stderr = any(isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) is sys.stderr
                        for h in root.handlers)
    if not writes_stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    log_file = getattr(options, "logFile", None)
    if log_file:
        try:
            if getattr(options, "logRotating", False):
                handlers.append(logging.handlers.RotatingFileHandler(
                    log_file, maxBytes=_rotation_size(options), backupCount=1))
            else:
                handlers.append(logging.FileHandler(log_file))
        except OSError as err:
            raise OptionError(f"Cannot open the --logFile {log_file} ({err.strerror}); give a file "
                              "in an existing directory you can write to.") from err
    for handler in handlers:
        setattr(handler, _HANDLER_MARK, True)
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger(__name__).debug("Root logger is at level %r.", level)
