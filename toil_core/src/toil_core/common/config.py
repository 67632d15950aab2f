"""The configuration of a workflow run (``toil.common.Config``).

A :class:`Config` is built from the parsed command line (``argparse.Namespace``) with
:meth:`Config.setOptions`.  Attribute names are the upstream Toil 5.10 names, because workflow
scripts, batch systems and job stores read them directly (``config.retryCount``,
``config.defaultMemory``, ``config.coordination_dir``, ...).  The config is pickled into the job
store and reloaded on ``--restart``, so it is a plain class with a ``__dict__``.

Values are converted and checked when they are copied from the options: sizes such as ``"2G"``
become ints, ``--setEnv`` items become a dict, node types become ``(instance types, bid)`` tuples.
Bad values raise :class:`OptionError` naming the option and the fix.
"""
import copy
import logging
import math
import os
import re
import sys
import urllib.parse
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, Union

from toil_core.lib.accelerators import parse_accelerator_list as parse_list
from toil_core.lib.conversions import human2bytes as shared_human2bytes
from toil_core.lib.errors import ToilError

logger = logging.getLogger(__name__)

SYS_MAX_SIZE = sys.maxsize
DEFAULT_MAX_LOG_FILE_SIZE = 64000
CLEAN_CHOICES = ("always", "onError", "never", "onSuccess")
#: Log level names accepted by ``--logLevel`` (any case) and what they mean for :mod:`logging`.
LOG_LEVEL_NAMES = {
    "OFF": "CRITICAL",
    "CRITICAL": "CRITICAL",
    "ERROR": "ERROR",
    "WARN": "WARNING",
    "WARNING": "WARNING",
    "INFO": "INFO",
    "DEBUG": "DEBUG",
}


class OptionError(ToilError, ValueError, RuntimeError):
    """A workflow option has a bad value or contradicts another option.

    It is a ValueError (a bad value) and, like the errors upstream Toil raises for the same
    checks, a RuntimeError, so callers catching either keep working.
    """


# --------------------------------------------------------------------------------------------
# Parsing primitives (re-exported by toil_core.workflow.options)
# --------------------------------------------------------------------------------------------

_TRUE_WORDS = frozenset({"true", "t", "yes", "y", "on", "1"})
_FALSE_WORDS = frozenset({"false", "f", "no", "n", "off", "0"})


def parseBool(val: Union[str, bool, int]) -> bool:
    """Parse a boolean word: true/t/yes/y/on/1 or false/f/no/n/off/0 (any case)."""
    if isinstance(val, bool):
        return val
    if isinstance(val, int) and val in (0, 1):
        return bool(val)
    word = str(val).strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ValueError(f"Could not interpret {val!r} as a boolean: use one of "
                     "true/t/yes/y/on/1 or false/f/no/n/off/0.")


def parseSetEnv(items: Any) -> Dict[str, Optional[str]]:
    """Turn ``--setEnv`` items into a dict.

    ``NAME=VALUE`` sets VALUE, ``NAME=`` sets the empty string and a bare ``NAME`` maps to None,
    meaning "take the value from the leader's environment".  The last setting of a name wins.
    An empty name raises ValueError.
    """
    if items is None:
        return {}
    if isinstance(items, dict):
        items = [k if v is None else f"{k}={v}" for k, v in items.items()]
    elif isinstance(items, str):
        items = [items]
    env: Dict[str, Optional[str]] = {}
    for item in items:
        name, sep, value = str(item).partition("=")
        if not name:
            raise ValueError(f"Empty name in --setEnv item {item!r}; use NAME=VALUE or NAME.")
        env[name] = value if sep else None
    return env


_SIZE_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*$")
_BINARY_UNITS = {"k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}


def _human2bytes(text: str) -> int:
    """Parse a human-readable size: K/M/G/T/P/E, Ki..Ei and KiB..EiB are powers of 1024,
    kb/mb/gb/tb/pb/eb are powers of 1000, a bare number or ``b`` is bytes."""
    match = _SIZE_RE.match(str(text))
    if not match:
        raise ValueError(f"Could not parse {text!r} as a size (examples: 1024, 100k, 2G, '1024 Mib').")
    number, unit = float(match.group(1)), match.group(2).lower()
    if unit in ("", "b"):
        factor = 1
    elif len(unit) == 1 and unit in _BINARY_UNITS:
        factor = 1024 ** _BINARY_UNITS[unit]
    elif unit[0] in _BINARY_UNITS and unit[1:] in ("i", "ib"):
        factor = 1024 ** _BINARY_UNITS[unit[0]]
    elif unit[0] in _BINARY_UNITS and unit[1:] == "b":
        factor = 1000 ** _BINARY_UNITS[unit[0]]
    else:
        raise ValueError(f"Unknown size unit {match.group(2)!r} in {text!r} "
                         "(use K, Ki, KiB, kb, M, Mi, MiB, mb, G, Gi, GiB, gb, T, ...).")
    return int(round(number * factor))


def human2bytes(text: str) -> int:
    """Size parser: the job model's ``toil_core.lib.conversions.human2bytes``, so option values
    and job requirements agree."""
    return int(shared_human2bytes(text))


def parse_size(value: Any) -> int:
    """A byte count from an int or a human-readable string (no sign allowed)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a size")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError(f"{value!r} is not a whole number of bytes")
    text = str(value).strip()
    if text.startswith(("-", "+")):
        raise ValueError(f"A size may not be negative or signed: {value!r}; give a size such as 2G or 1024")
    return human2bytes(text)


def parse_signed_size(value: Any) -> int:
    """Like :func:`parse_size` but a leading ``-`` is allowed (used by ``--maxLogFileSize``)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return parse_size(abs(value)) * (-1 if value < 0 else 1)
    text = str(value).strip()
    if text.startswith("-"):
        return -parse_size(text[1:])
    return parse_size(text.lstrip("+"))


def _finite(number: float, value: Any) -> float:
    if math.isnan(number) or math.isinf(number):
        raise ValueError(f"{value!r} is not a finite number; give a number such as 1 or 2.5")
    return number


def parse_number(value: Any) -> Union[int, float]:
    """An int if the value is integral text or an int, else a (finite) float."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _finite(value, value)
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        return _finite(float(text), value)


def parse_int(value: Any) -> int:
    number = parse_number(value)
    if isinstance(number, float):
        if not number.is_integer():
            raise ValueError(f"{value!r} is not a whole number")
        number = int(number)
    return number


def parse_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    return _finite(float(value), value)


def parse_str_list(value: Any) -> List[str]:
    """Comma-separated text (or a list) to a list of non-empty stripped strings."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    return [str(v).strip() for v in value if str(v).strip()]


def parse_int_list(value: Any) -> List[int]:
    """Comma-separated integers (or a list/int) to a list of ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    return [parse_int(v) for v in parse_str_list(value)]


NodeType = Tuple[Set[str], Optional[float]]


def parse_node_types(value: Any) -> List[NodeType]:
    """``c5.4xlarge/c5a.4xlarge:0.42,t2.large`` -> ``[({'c5.4xlarge', 'c5a.4xlarge'}, 0.42),
    ({'t2.large'}, None)]``.  A bid makes the node type preemptible."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)) and all(isinstance(v, tuple) for v in value):
        return [(set(types), None if bid is None else float(bid)) for types, bid in value]
    result: List[NodeType] = []
    for spec in parse_str_list(value):
        types_text, sep, bid_text = spec.partition(":")
        types = {t.strip() for t in types_text.split("/") if t.strip()}
        if not types or (sep and not bid_text.strip()):
            raise ValueError(f"Bad node type {spec!r}: use TYPE[/TYPE...][:BID], e.g. c5.4xlarge/c5a.4xlarge:0.42")
        bid = None
        if sep:
            bid = float(bid_text)
            if bid <= 0:
                raise ValueError(f"The spot bid in node type {spec!r} must be positive")
        result.append((types, bid))
    return result


def parse_accelerator_list(value: Any) -> List[Dict[str, Any]]:
    """``gpu:2,nvidia-tesla-k80`` -> accelerator requirement dicts (count, kind, brand/api/model),
    with the job model's parser so job requirements and ``--defaultAccelerators`` agree."""
    return [dict(a) for a in parse_list(value)]


def canonical_log_level(value: Any) -> str:
    """``off``/``warn``/``Info``... -> the logging level name (OFF->CRITICAL, WARN->WARNING)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return logging.getLevelName(value)
    name = str(value).strip().upper()
    if name not in LOG_LEVEL_NAMES:
        raise ValueError(f"Unknown log level {value!r}: use one of OFF, CRITICAL, ERROR, WARN, WARNING, INFO, DEBUG.")
    return LOG_LEVEL_NAMES[name]


def canonical_clean(value: Any) -> str:
    """``ALWAYS``/``onerror``... -> one of always, onError, never, onSuccess."""
    for choice in CLEAN_CHOICES:
        if str(value).strip().lower() == choice.lower():
            return choice
    raise ValueError(f"{value!r} is not one of {', '.join(CLEAN_CHOICES)}")


def normalize_jobstore(locator: Any) -> str:
    """Make file job store locators absolute: ``./js`` -> ``file:/cwd/js``; others unchanged.

    ``file:`` with no path, and ``file://HOST/...`` naming another machine, are refused.
    """
    text = str(locator)
    if not text:
        raise ValueError("The job store locator is empty; give a path such as ./my-jobstore "
                         "or file:/tmp/my-jobstore")
    if text[0] in "/." or ":" not in text:
        return "file:" + os.path.abspath(text)
    scheme, rest = text.split(":", 1)
    if scheme == "file":
        return "file:" + os.path.abspath(_file_locator_path(text, rest))
    return text


def _file_locator_path(text: str, rest: str) -> str:
    path = rest
    if rest.startswith("//"):
        parsed = urllib.parse.urlparse(text)
        if parsed.netloc not in ("", "localhost"):
            raise ValueError(f"{text!r} names the host {parsed.netloc!r}, but a file job store is a "
                             "directory on this machine; use file:/path/to/jobstore (or "
                             "file:///path/to/jobstore)")
        path = urllib.parse.unquote(parsed.path)
    if not path:
        raise ValueError(f"{text!r} has no path after 'file:'; use file:/path/to/jobstore or a "
                         "plain path such as ./my-jobstore")
    return path


def _abspath(value: Any) -> str:
    return os.path.abspath(os.path.expanduser(str(value)))


def _job_limit(value: Any) -> int:
    """``--maxJobs``/``--maxLocalJobs``: 0 means unlimited (stored as sys.maxsize)."""
    number = parse_int(value)
    if number < 0:
        raise ValueError("must be 0 (unlimited) or a positive number of jobs")
    return SYS_MAX_SIZE if number == 0 else number


def _to_bool(value: Any) -> bool:
    return parseBool(value) if isinstance(value, str) else bool(value)


def _optional_bool(value: Any) -> Optional[bool]:
    return None if value is None else _to_bool(value)


def local_core_count() -> int:
    """Cores this process may use (CPU affinity aware)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# --------------------------------------------------------------------------------------------
# Config
# --------------------------------------------------------------------------------------------

def _defaults() -> Dict[str, Any]:
    """Every Config attribute and its default (a fresh dict, so mutable defaults are not shared)."""
    return {
        # Core
        "jobStore": None, "workflowID": None, "workflowAttemptNumber": 0,
        "workDir": None, "coordination_dir": None, "noStdOutErr": False, "stats": False,
        "clean": "onSuccess", "cleanWorkDir": "always", "clusterStats": None, "restart": False,
        # Logging
        "logLevel": "INFO", "logFile": None, "logRotating": False,
        "maxLogFileSize": DEFAULT_MAX_LOG_FILE_SIZE, "writeLogs": None, "writeLogsGzip": None,
        "writeLogsFromAllJobs": False, "write_messages": None, "realTimeLogging": False,
        # Batch system
        "batchSystem": "single_machine", "disableAutoDeployment": False,
        "max_jobs": SYS_MAX_SIZE, "max_local_jobs": local_core_count(), "manualMemArgs": False,
        "run_local_jobs_on_workers": False, "statePollingWait": 1, "batch_logs_dir": None,
        "scale": 1,
        # Backend-specific batch system options (upstream keeps them on the Config too)
        "parasolCommand": "parasol", "parasolMaxBatches": 1000,
        "mesos_endpoint": None, "mesos_framework_id": None, "mesos_role": None, "mesos_name": "toil",
        "kubernetes_host_path": None, "kubernetes_owner": None, "kubernetes_service_account": None,
        "kubernetes_pod_timeout": 120,
        "tes_endpoint": None, "tes_user": None, "tes_password": None, "tes_bearer_token": None,
        "aws_batch_region": None, "aws_batch_queue": None, "aws_batch_job_role_arn": None,
        # Storage
        "linkImports": True, "moveExports": False, "caching": None,
        # Autoscaling
        "provisioner": None, "nodeTypes": [], "minNodes": None, "maxNodes": [10],
        "targetTime": 1800, "betaInertia": 0.1, "scaleInterval": 60, "preemptibleCompensation": 0.0,
        "nodeStorage": 50, "nodeStorageOverrides": [], "metrics": False, "assumeZeroOverhead": False,
        # Services
        "maxServiceJobs": SYS_MAX_SIZE, "maxPreemptibleServiceJobs": SYS_MAX_SIZE,
        "deadlockWait": 60, "deadlockCheckInterval": 30,
        # Resources
        "defaultMemory": 2147483648, "defaultCores": 1, "defaultDisk": 2147483648,
        "defaultAccelerators": [], "defaultPreemptible": False,
        "maxCores": SYS_MAX_SIZE, "maxMemory": SYS_MAX_SIZE, "maxDisk": SYS_MAX_SIZE,
        # Retrying / rescuing
        "retryCount": 1, "enableUnlimitedPreemptibleRetries": False, "doubleMem": False,
        "maxJobDuration": SYS_MAX_SIZE, "rescueJobsFrequency": 3600,
        # Miscellaneous
        "disableChaining": False, "disableJobStoreChecksumVerification": False, "sseKey": None,
        "clientSideEncryption": False,
        "environment": {}, "servicePollingInterval": 60, "forceDockerAppliance": False,
        "statusWait": 3600, "disableProgress": False, "readGlobalFileMutableByDefault": False,
        # Debug
        "debugWorker": False, "disableWorkerOutputCapture": False, "badWorker": 0.0,
        "badWorkerFailInterval": 0.01, "kill_polling_interval": 5,
        # Set by front ends
        "cwl": False,
    }


_BOOL_ATTRS = frozenset({
    "noStdOutErr", "stats", "restart", "logRotating", "writeLogsFromAllJobs", "realTimeLogging",
    "disableAutoDeployment", "manualMemArgs", "run_local_jobs_on_workers", "linkImports",
    "moveExports", "metrics", "assumeZeroOverhead", "defaultPreemptible",
    "enableUnlimitedPreemptibleRetries", "doubleMem", "disableChaining",
    "disableJobStoreChecksumVerification", "clientSideEncryption", "forceDockerAppliance", "disableProgress",
    "readGlobalFileMutableByDefault", "debugWorker", "disableWorkerOutputCapture", "cwl",
})

_CONVERTERS: Dict[str, Callable[[Any], Any]] = {
    "jobStore": normalize_jobstore,
    "workDir": _abspath, "coordination_dir": _abspath, "clusterStats": _abspath,
    "cleanWorkDir": canonical_clean,
    "logLevel": canonical_log_level, "maxLogFileSize": parse_signed_size,
    "writeLogs": _abspath, "writeLogsGzip": _abspath, "write_messages": _abspath,
    "batchSystem": str, "max_jobs": _job_limit, "max_local_jobs": _job_limit,
    "statePollingWait": parse_number, "batch_logs_dir": _abspath, "scale": parse_float,
    "parasolMaxBatches": parse_int, "kubernetes_pod_timeout": parse_number,
    "caching": _optional_bool,
    "nodeTypes": parse_node_types, "minNodes": parse_int_list, "maxNodes": parse_int_list,
    "targetTime": parse_number, "betaInertia": parse_float, "scaleInterval": parse_number,
    "preemptibleCompensation": parse_float, "nodeStorage": parse_int,
    "nodeStorageOverrides": parse_str_list,
    "maxServiceJobs": parse_int, "maxPreemptibleServiceJobs": parse_int,
    "deadlockWait": parse_number, "deadlockCheckInterval": parse_number,
    "defaultMemory": parse_size, "defaultCores": parse_number, "defaultDisk": parse_size,
    "defaultAccelerators": parse_accelerator_list,
    "maxCores": parse_number, "maxMemory": parse_size, "maxDisk": parse_size,
    "retryCount": parse_int, "maxJobDuration": parse_number, "rescueJobsFrequency": parse_number,
    "sseKey": _abspath, "environment": parseSetEnv, "servicePollingInterval": parse_number,
    "statusWait": parse_number, "badWorker": parse_float, "badWorkerFailInterval": parse_float,
    "kill_polling_interval": parse_number,
}
_CONVERTERS.update({name: _to_bool for name in _BOOL_ATTRS})

#: Config attribute -> command-line flag, where they differ (used in error messages).
FLAG_NAMES: Dict[str, str] = {
    "coordination_dir": "coordinationDir", "logRotating": "rotatingLogging",
    "write_messages": "writeMessages", "max_jobs": "maxJobs", "max_local_jobs": "maxLocalJobs",
    "run_local_jobs_on_workers": "runCwlInternalJobsOnWorkers", "batch_logs_dir": "batchLogsDir",
    "environment": "setEnv", "mesos_endpoint": "mesosEndpoint",
    "mesos_framework_id": "mesosFrameworkId", "mesos_role": "mesosRole", "mesos_name": "mesosName",
    "kubernetes_host_path": "kubernetesHostPath", "kubernetes_owner": "kubernetesOwner",
    "kubernetes_service_account": "kubernetesServiceAccount",
    "kubernetes_pod_timeout": "kubernetesPodTimeout", "tes_endpoint": "tesEndpoint",
    "tes_user": "tesUser", "tes_password": "tesPassword", "tes_bearer_token": "tesBearerToken",
    "aws_batch_region": "awsBatchRegion", "aws_batch_queue": "awsBatchQueue",
    "aws_batch_job_role_arn": "awsBatchJobRoleArn",
}

#: Attributes setOptions never takes from the options (they belong to the run, not the user).
_NOT_FROM_OPTIONS = frozenset({"workflowID", "workflowAttemptNumber", "clean"})

# Old "preemptable" spellings, kept as attribute aliases.
_ALIASES = {
    "defaultPreemptable": "defaultPreemptible",
    "preemptableCompensation": "preemptibleCompensation",
    "maxPreemptableServiceJobs": "maxPreemptibleServiceJobs",
    "enableUnlimitedPreemptableRetries": "enableUnlimitedPreemptibleRetries",
}


def _flag(attr: str) -> str:
    return "--" + FLAG_NAMES.get(attr, attr)


class Config:
    """Configuration of one workflow run; see the module docstring."""

    #: Extra options registered by plugins: attribute -> (default, converter or None).
    _extra_options: Dict[str, Tuple[Any, Optional[Callable[[Any], Any]]]] = {}

    def __init__(self) -> None:
        self.__dict__.update(_defaults())
        for name, (default, _conv) in self._extra_options.items():
            self.__dict__.setdefault(name, copy.deepcopy(default))

    # -- plugins ------------------------------------------------------------------------------
    @classmethod
    def register_option(cls, name: str, default: Any = None,
                        converter: Optional[Callable[[Any], Any]] = None) -> None:
        """Let a plugin have ``setOptions`` copy its option ``name`` (the argparse dest) onto
        every Config, converted by ``converter`` when not None."""
        cls._extra_options[name] = (default, converter)

    @classmethod
    def has_option(cls, name: str) -> bool:
        """True if ``name`` is a core Config attribute or an option registered by a plugin."""
        return name in cls._extra_options or name in _defaults() or name in _ALIASES

    # -- building -----------------------------------------------------------------------------
    def setOptions(self, options: Any) -> None:
        """Copy the options (an argparse Namespace, optparse Values or any object with the
        option attributes) onto this config, converting and checking them.

        Options that are missing or None keep the config's current value, so on a restart the
        stored config is only overridden by what was given.
        """
        converters = dict(_CONVERTERS)
        converters.update({n: c for n, (_d, c) in self._extra_options.items() if c is not None})
        for attr in list(dict.fromkeys([*self.__dict__, *self._extra_options])):
            if attr in _NOT_FROM_OPTIONS or attr.startswith("_"):
                continue
            value = getattr(options, attr, None)
            if value is None:
                continue
            converter = converters.get(attr)
            if converter is not None:
                try:
                    value = converter(value)
                except (ValueError, TypeError) as e:
                    raise OptionError(f"Invalid value {value!r} for {_flag(attr)}: {e}") from e
            setattr(self, attr, value)
        self._set_clean(getattr(options, "clean", None))
        self.check()

    def _set_clean(self, clean: Any) -> None:
        if clean is not None:
            try:
                clean = canonical_clean(clean)
            except ValueError as e:
                raise OptionError(f"Invalid value for --clean: {e}") from e
            if self.stats and clean != "never":
                # The manual (Stats Command): --stats keeps the job store "no matter what other
                # options are specified", so a contradicting --clean is overridden, loudly.
                logger.warning(
                    "Contradicting options passed: Clean flag is set to %s despite the stats flag "
                    "requiring the jobStore to be intact at the end of the run. Setting clean to 'never'.",
                    clean)
                clean = "never"
            self.clean = clean
        elif self.stats:
            self.clean = "never"
        elif self.clean is None:
            self.clean = "onSuccess"

    def check(self) -> None:
        """Check the values and their combinations; raise OptionError naming the fix."""
        for attr in ("workDir", "coordination_dir"):
            path = getattr(self, attr)
            if path is not None and not os.path.exists(path):
                raise OptionError(f"The path provided to {_flag(attr)} ({path}) does not exist.")
            if path is not None and not os.path.isdir(path):
                raise OptionError(f"The path provided to {_flag(attr)} ({path}) is not a directory; "
                                  "give an existing directory.")
        for attr in ("writeLogs", "writeLogsGzip", "batch_logs_dir"):
            path = getattr(self, attr)
            if path is not None and os.path.exists(path) and not os.path.isdir(path):
                raise OptionError(f"The path provided to {_flag(attr)} ({path}) is a file; give a "
                                  "directory (it is created if it does not exist).")
        if self.workDir is not None and len(self.workDir) > 80:
            logger.warning("Length of workDir path %r is %d characters; consider a path shorter than "
                           "80 characters, as long paths can break sockets and some tools.",
                           self.workDir, len(self.workDir))
        if self.clean not in CLEAN_CHOICES:
            raise OptionError(f"--clean must be one of {', '.join(CLEAN_CHOICES)}, not {self.clean!r}.")
        if self.stats and self.clean != "never":
            raise OptionError(
                f"Contradicting options passed: Clean flag is set to {self.clean} despite the stats flag "
                "requiring the jobStore to be intact at the end of the run. Set clean to 'never'.")
        if self.writeLogs is not None and self.writeLogsGzip is not None:
            raise OptionError("Cannot use both --writeLogs and --writeLogsGzip at the same time: pick one.")
        if self.writeLogsFromAllJobs and self.writeLogs is None and self.writeLogsGzip is None:
            raise OptionError("To enable --writeLogsFromAllJobs, either --writeLogs or --writeLogsGzip "
                              "must be set.")
        self._check_range("targetTime", low=0, low_open=True, hint="a positive number of seconds")
        self._check_range("betaInertia", 0.0, 0.9, hint="between 0.0 and 0.9")
        self._check_range("preemptibleCompensation", 0.0, 1.0, hint="between 0.0 and 1.0")
        self._check_range("badWorker", 0.0, 1.0, hint="a fraction between 0.0 and 1.0")
        for attr in ("deadlockCheckInterval", "scaleInterval", "defaultCores", "maxCores",
                     "defaultMemory", "defaultDisk", "maxMemory", "maxDisk", "scale",
                     "servicePollingInterval", "statusWait", "rescueJobsFrequency", "maxJobDuration",
                     "kill_polling_interval", "nodeStorage"):
            self._check_range(attr, low=0, low_open=True, hint="greater than 0")
        for attr in ("retryCount", "deadlockWait", "badWorkerFailInterval", "maxServiceJobs",
                     "maxPreemptibleServiceJobs", "statePollingWait"):
            self._check_range(attr, low=0, hint="0 or more")
        self._check_nodes()
        if self.sseKey is not None:
            self._check_sse_key()
        elif self.clientSideEncryption:
            raise OptionError("--clientSideEncryption needs the key: add --sseKey PATH (a file holding a "
                              "32 character key on its first line).")

    def _check_range(self, attr: str, low: Optional[float] = None, high: Optional[float] = None,
                     low_open: bool = False, hint: str = "") -> None:
        value = getattr(self, attr)
        if value is None:
            return
        bad = ((low is not None and (value <= low if low_open else value < low))
               or (high is not None and value > high))
        if bad:
            raise OptionError(f"{_flag(attr)} ({value}) must be {hint}.")

    def _check_nodes(self) -> None:
        count = len(self.nodeTypes)
        if count:
            if self.minNodes is None:
                self.minNodes = [0] * count
            elif len(self.minNodes) != count:
                raise OptionError(f"--minNodes ({self.minNodes}) must list one count per node type in "
                                  f"--nodeTypes ({count} types).")
            if not self.maxNodes:
                self.maxNodes = [10]
            if len(self.maxNodes) < count:
                self.maxNodes = list(self.maxNodes) + [self.maxNodes[0]] * (count - len(self.maxNodes))
            elif len(self.maxNodes) > count:
                raise OptionError(f"--maxNodes ({self.maxNodes}) lists more counts than --nodeTypes has "
                                  f"types ({count}).")
            for low, high in zip(self.minNodes, self.maxNodes):
                if low < 0 or high < low:
                    raise OptionError(f"--minNodes ({self.minNodes}) and --maxNodes ({self.maxNodes}) must "
                                      "be non-negative with each minimum at most its maximum.")
        instance_types = {t for types, _bid in self.nodeTypes for t in types}
        for override in self.nodeStorageOverrides:
            name, sep, size = override.partition(":")
            if not sep or not size.strip().isdigit():
                raise OptionError(f"Each component of --nodeStorageOverrides must be of the form "
                                  f"<type>:<storage in GB>, not {override!r}.")
            if name not in instance_types:
                raise OptionError(f"Instance type {name!r} in --nodeStorageOverrides must be in --nodeTypes.")

    def _check_sse_key(self) -> None:
        try:
            with open(self.sseKey) as f:
                key = f.readline().rstrip("\r\n")
        except OSError as e:
            raise OptionError(f"Cannot read the --sseKey file {self.sseKey}: {e}") from e
        if len(key) != 32:
            raise OptionError(f"The --sseKey file {self.sseKey} must hold a 32 character key on its first "
                              f"line (found {len(key)} characters).")

    # -- lifecycle ----------------------------------------------------------------------------
    def prepare_start(self) -> None:
        """After options are set, prepare for the initial start of a workflow."""
        self.workflowAttemptNumber = 0

    def prepare_restart(self) -> None:
        """Before the restart options are applied to a loaded config, count a new attempt."""
        self.workflowAttemptNumber = int(self.workflowAttemptNumber or 0) + 1

    # -- plumbing -----------------------------------------------------------------------------
    def to_dict(self) -> Dict[str, Any]:
        """A deep copy of every attribute, by upstream name."""
        return copy.deepcopy(self.__dict__)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Config):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((self.jobStore, self.workflowID))

    def __repr__(self) -> str:
        return (f"Config(jobStore={self.jobStore!r}, workflowID={self.workflowID!r}, "
                f"batchSystem={self.batchSystem!r})")

    def __setstate__(self, state: Dict[str, Any]) -> None:
        # Configs pickled by an older version keep working: missing attributes get defaults.
        self.__dict__.update(_defaults())
        for name, (default, _conv) in self._extra_options.items():
            self.__dict__.setdefault(name, copy.deepcopy(default))
        self.__dict__.update(state)

    def __getattr__(self, name: str) -> Any:
        # Only called for missing attributes: resolve the old "preemptable" spellings.
        if name in _ALIASES:
            return getattr(self, _ALIASES[name])
        raise AttributeError(f"'Config' object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, _ALIASES.get(name, name), value)
