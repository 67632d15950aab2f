"""Backend settings declared once, as an attrs class, and turned into flags, env vars and help.

A backend's spec names its settings class (``BatchSystemSpec(settings=SlurmSettings, ...)``).
Every field is made with :func:`setting`, which records the help, the command-line flag (and
the upstream spellings it replaces), the environment variable (and old names) and how text is
converted::

    @attrs.frozen
    class SlurmSettings:
        args: str = setting("", "Extra sbatch arguments (not for cores or memory).",
                            flag="--slurmArgs", env="TOIL_SLURM_ARGS")
        partition: Optional[str] = setting(None, "Partition for multi-core jobs.",
                                           env="TOIL_SLURM_PE", old_flags=("--slurmPE",))

From that one place come:

* :func:`add_settings_options` -- the argparse group (flags default to "absent", so the
  environment and the declared default apply unless the flag is given);
* :func:`settings_from` -- an instance from parsed options, a Config or a mapping: the flag's
  value, else the first environment variable that is set, else the default;
* :func:`describe_settings` -- one :class:`SettingRow` per field, for ``toil plugins show``
  and the docs.

This module imports only the standard library and attrs.
"""
from __future__ import annotations

import argparse
import os
import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import attrs

__all__ = [
    "METADATA_KEY",
    "SettingInfo",
    "SettingRow",
    "add_settings_options",
    "describe_settings",
    "setting",
    "setting_infos",
    "settings_from",
]

#: Key of a field's ``metadata`` under which :func:`setting` stores its :class:`SettingInfo`.
METADATA_KEY = "toil_setting"

_FLAG_RE = re.compile(r"^--[A-Za-z][A-Za-z0-9_-]*$")
_ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _parse_bool(text: Any) -> bool:
    if isinstance(text, bool):
        return text
    word = str(text).strip().lower()
    if word in ("true", "t", "yes", "y", "on", "1"):
        return True
    if word in ("false", "f", "no", "n", "off", "0"):
        return False
    raise ValueError(f"{text!r} is not a boolean (use true/false, yes/no, on/off or 1/0)")


def _parse_list(text: Any) -> Tuple[str, ...]:
    if isinstance(text, (list, tuple)):
        return tuple(str(t) for t in text)
    return tuple(part.strip() for part in str(text).split(",") if part.strip())


def _infer_type(default: Any) -> Callable[[Any], Any]:
    if isinstance(default, bool):
        return _parse_bool
    if isinstance(default, (int, float, str)):
        return type(default)
    if isinstance(default, (list, tuple)):
        return _parse_list
    return str


def _camel(name: str) -> str:
    head, *rest = name.strip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@attrs.frozen(kw_only=True)
class SettingInfo:
    """What :func:`setting` records about one field (``field.metadata[METADATA_KEY]``).

    ``flag`` and ``dest`` may be None here; :func:`setting_infos` fills them in from the field
    name (``slurm_args`` becomes ``--slurmArgs``, destination ``slurm_args``).
    """

    help: str
    flag: Optional[str] = None
    old_flags: Tuple[str, ...] = ()
    env: Optional[str] = None
    old_env: Tuple[str, ...] = ()
    type: Optional[Callable[[Any], Any]] = None
    choices: Optional[Tuple[Any, ...]] = None
    metavar: Optional[str] = None
    dest: Optional[str] = None
    name: str = ""
    default: Any = None
    minimum: Any = None
    maximum: Any = None
    validator: Optional[Callable[[Any], Any]] = None

    @property
    def flags(self) -> Tuple[str, ...]:
        """The flag followed by its old spellings."""
        return tuple(f for f in (self.flag, *self.old_flags) if f)

    @property
    def env_vars(self) -> Tuple[str, ...]:
        """The environment variable followed by its old names (first one set wins)."""
        return tuple(e for e in (self.env, *self.old_env) if e)

    def convert(self, value: Any) -> Any:
        """Convert text (from the command line or the environment) to the field's type."""
        if value is None:
            return value
        if not isinstance(value, str):
            return self.check(value)
        convert = self.type or _infer_type(self.default)
        return self.check(convert(value))

    def check(self, result: Any) -> Any:
        """``result`` if it is among the choices, within the range and accepted by the validator;
        otherwise ValueError saying what is allowed."""
        if self.choices is not None and result not in self.choices:
            raise ValueError(f"{result!r} is not one of {', '.join(map(str, self.choices))}")
        if self.minimum is not None and result < self.minimum:
            raise ValueError(f"{result!r} is below the minimum, {self.minimum!r}")
        if self.maximum is not None and result > self.maximum:
            raise ValueError(f"{result!r} is above the maximum, {self.maximum!r}")
        if self.validator is not None and self.validator(result) is False:
            raise ValueError(f"{result!r} is not accepted ({getattr(self.validator, '__doc__', None) or 'invalid'})"
                             .replace("\n", " "))
        return result


def setting(
    default: Any,
    help: str,
    *,
    flag: Optional[str] = None,
    env: Optional[str] = None,
    old_flags: Sequence[str] = (),
    old_env: Sequence[str] = (),
    type: Optional[Callable[[Any], Any]] = None,
    choices: Optional[Sequence[Any]] = None,
    metavar: Optional[str] = None,
    dest: Optional[str] = None,
    minimum: Any = None,
    maximum: Any = None,
    validator: Optional[Callable[[Any], Any]] = None,
) -> Any:
    """An attrs field for one backend setting.

    :param default: the value when neither the flag nor an environment variable is given
        (use None for "unset"). Lists and dicts are copied per instance.
    :param help: one or two sentences for ``--help`` and ``toil plugins show``; required.
    :param flag: the command-line flag (default: ``--`` plus the field name in camelCase).
    :param env: the environment variable read when the flag is absent.
    :param old_flags: upstream or older spellings of the flag that keep working.
    :param old_env: older environment variable names, read after ``env``.
    :param type: converts text to the value (default: from the default's type; booleans
        accept true/false, yes/no, on/off, 1/0; lists are comma-separated).
    :param choices: the allowed values (after conversion).
    :param minimum: the smallest allowed value (inclusive), e.g. ``minimum=1``.
    :param maximum: the largest allowed value (inclusive).
    :param validator: a function of the converted value that raises ValueError (its message is
        shown) or returns False (its docstring is shown) to refuse it.
    :param dest: the argparse destination and Config attribute (default: the field name);
        give the upstream name (``kubernetes_host_path``) to share it with the core options.
    """
    if not isinstance(help, str) or not help.strip():
        raise TypeError("setting() needs a help text")
    for name in (flag, *old_flags):
        if name is not None and not _FLAG_RE.match(name):
            raise ValueError(f"setting flag {name!r} must look like --someFlag")
    for name in (env, *old_env):
        if name is not None and not _ENV_RE.match(name):
            raise ValueError(f"setting environment variable {name!r} is not a valid name")
    info = SettingInfo(
        help=help.strip(), flag=flag, old_flags=tuple(old_flags), env=env, old_env=tuple(old_env),
        type=type, choices=None if choices is None else tuple(choices), metavar=metavar, dest=dest,
        default=default, minimum=minimum, maximum=maximum, validator=validator,
    )
    if isinstance(default, (list, dict, set)):
        return attrs.field(factory=lambda: default.copy(), metadata={METADATA_KEY: info}, kw_only=True)
    return attrs.field(default=default, metadata={METADATA_KEY: info}, kw_only=True)


def setting_infos(settings_cls: Optional[type]) -> List[SettingInfo]:
    """The :class:`SettingInfo` of every field of ``settings_cls``, with flag and dest filled in.

    A field made without :func:`setting` gets an empty help text (the contract suite flags it).
    """
    if settings_cls is None:
        return []
    infos = []
    for field in attrs.fields(settings_cls):
        info = field.metadata.get(METADATA_KEY)
        default = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory() if not default.takes_self else None
        elif default is attrs.NOTHING:
            default = None
        if info is None:
            info = SettingInfo(help="", default=default)
        infos.append(attrs.evolve(
            info, name=field.name, default=default,
            flag=info.flag or "--" + _camel(field.name), dest=info.dest or field.name,
        ))
    return infos


# --- argparse ------------------------------------------------------------------------------------

def _has_flag(parser: Any, flag: str) -> bool:
    return flag in getattr(parser, "_option_string_actions", {})


def _find_group(parser: argparse.ArgumentParser, title: str) -> Optional[Any]:
    for group in parser._action_groups:
        if group.title == title:
            return group
    return None


def _help_text(info: SettingInfo) -> str:
    text = info.help.replace("%", "%%")
    extras = []
    if info.default not in (None, "", (), []):
        extras.append(f"default: {info.default!r}".replace("%", "%%"))
    if info.minimum is not None or info.maximum is not None:
        low = "" if info.minimum is None else f"{info.minimum!r} <= "
        high = "" if info.maximum is None else f" <= {info.maximum!r}"
        extras.append(f"range: {low}value{high}".replace("%", "%%"))
    if info.env_vars:
        extras.append("environment: " + ", ".join(info.env_vars))
    return f"{text} ({'; '.join(extras)})" if extras else text


def _arg_type(info: SettingInfo) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return info.convert(text)
        except (ValueError, TypeError) as err:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: {err}") from None

    convert.__name__ = info.name or "setting"
    return convert


def add_settings_options(
    parser: argparse.ArgumentParser,
    settings_cls: Optional[type],
    group_title: str,
    description: Optional[str] = None,
) -> Any:
    """Add one argparse option per setting of ``settings_cls`` to the group ``group_title``
    (created, with ``description``, if the parser has no such group) and return the group.

    Options default to "absent" (:data:`argparse.SUPPRESS`), so :func:`settings_from` can fall
    back to the environment and the declared default. Flags the parser already has (such as an
    upstream flag the core declares too) are left alone. Each destination is registered with
    :meth:`~toil_core.common.config.Config.register_option`, so ``Config.setOptions`` keeps it.
    """
    group = _find_group(parser, group_title) or parser.add_argument_group(group_title, description)
    if description and not group.description:
        group.description = description
    # lazy: plugin spec modules import settings during discovery; Config is slow to import
    from toil_core.common.config import Config

    for info in setting_infos(settings_cls):
        free = [f for f in info.flags if not _has_flag(parser, f)]
        if free:
            group.add_argument(
                *free, dest=info.dest, type=_arg_type(info), default=argparse.SUPPRESS,
                metavar=info.metavar or (info.dest or "VALUE").upper(), help=_help_text(info),
            )
        dest = info.dest or info.name  # setting_infos fills dest in
        if not Config.has_option(dest):
            Config.register_option(dest, None, None)
    return group


# --- reading -------------------------------------------------------------------------------------

def _given(source: Any, dest: str) -> Any:
    if source is None:
        return None
    if isinstance(source, Mapping):
        return source.get(dest)
    return getattr(source, dest, None)


def settings_from(source: Any, settings_cls: type, environ: Optional[Mapping[str, str]] = None) -> Any:
    """An instance of ``settings_cls`` from ``source`` (parsed options, a Config, a mapping or
    None): each field takes the flag's value when it was given, else the first of its
    environment variables that is set (in ``environ``, default :data:`os.environ`), else its
    default. Text is converted by the setting's type.

    :raises OptionError: naming the flag or variable when a value cannot be converted.
    """
    env = os.environ if environ is None else environ
    values: Dict[str, Any] = {}
    for info in setting_infos(settings_cls):
        value, origin = _given(source, info.dest or info.name), info.flag
        if value is None:
            for name in info.env_vars:
                if env.get(name) is not None:
                    value, origin = env[name], f"environment variable {name}"
                    break
        if value is None:
            continue
        try:
            values[info.name] = info.convert(value)
        except (ValueError, TypeError) as err:
            # lazy: plugin spec modules import settings during discovery; Config is slow to import
            from toil_core.common.config import OptionError

            raise OptionError(f"Invalid value {value!r} for {origin}: {err}") from err
    return settings_cls(**values)


@attrs.frozen
class SettingRow:
    """One setting as ``toil plugins show`` prints it."""

    name: str
    flag: str
    old_flags: Tuple[str, ...]
    env: Tuple[str, ...]
    default: Any
    type: str
    choices: Optional[Tuple[Any, ...]]
    help: str
    dest: str


def describe_settings(settings_cls: Optional[type]) -> List[SettingRow]:
    """One :class:`SettingRow` per field of ``settings_cls`` (empty for None)."""
    rows = []
    for info in setting_infos(settings_cls):
        convert = info.type or _infer_type(info.default)
        type_name = {"_parse_bool": "bool", "_parse_list": "list"}.get(
            getattr(convert, "__name__", ""), getattr(convert, "__name__", str(convert)))
        rows.append(SettingRow(
            name=info.name, flag=info.flag or "", old_flags=info.old_flags, env=info.env_vars,
            default=info.default, type=type_name, choices=info.choices, help=info.help,
            dest=info.dest or info.name,
        ))
    return rows
