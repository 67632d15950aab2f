"""The configuration of a workflow run (``toil.common.Config``).

A :class:`Config` is an attrs class: each field below is one workflow option with its type, its
default (the one place the default is written: the option table in
:mod:`toil_core.common.options_groups` reads it from here with :func:`config_default`), the
converter that turns a user's value into the field's type and, where it differs from the
attribute name, the command-line flag.  Attribute names are the upstream Toil 5.10 names, because
workflow scripts, batch systems and job stores read them directly (``config.retryCount``,
``config.defaultMemory``, ``config.coordination_dir``, ...).

A Config is built from the parsed command line (``argparse.Namespace``) with
:meth:`Config.setOptions`, which converts and checks the values; bad values raise
:class:`OptionError` naming the option and the fix.  The config is pickled into the job store and
reloaded on ``--restart``, so it keeps a ``__dict__`` (no slots): scripts may also set attributes of
their own on it, as upstream allows, and options registered by plugins
(:meth:`Config.register_option`) live there too.

The value parsers live in :mod:`toil_core.common.parsing` and are re-exported here.
"""
import copy
import logging
import os
from typing import Any, Callable, ClassVar, Dict, List, Optional, Tuple

import attrs

from toil_core.common.parsing import (  # noqa: F401  (re-exported: the historical home of these names)
    CLEAN_CHOICES,
    DEFAULT_MAX_LOG_FILE_SIZE,
    LOG_LEVEL_NAMES,
    SYS_MAX_SIZE,
    NodeType,
    OptionError,
    _human2bytes,
    absolute_path,
    canonical_clean,
    canonical_log_level,
    human2bytes,
    local_core_count,
    normalize_jobstore,
    parse_accelerator_list,
    parse_bool_value,
    parse_float,
    parse_int,
    parse_int_list,
    parse_job_limit,
    parse_node_types,
    parse_number,
    parse_optional_bool,
    parse_signed_size,
    parse_size,
    parse_str_list,
    parseBool,
    parseSetEnv,
)

logger = logging.getLogger(__name__)

Converter = Callable[[Any], Any]

#: Keys of a Config field's ``metadata``.
_CONVERT = "convert"  # how setOptions converts a user's value (None: taken as is)
_FLAG = "flag"  # the command-line flag, where it is not ``--<attribute>``
_FROM_OPTIONS = "from_options"  # False for fields that belong to the run, not the user


def _option(default: Any = None, convert: Optional[Converter] = None, *, flag: Optional[str] = None,
            factory: Optional[Callable[[], Any]] = None, from_options: bool = True) -> Any:
    """A Config field: its default (or a factory for mutable ones) and how options reach it."""
    metadata = {_CONVERT: convert, _FLAG: flag, _FROM_OPTIONS: from_options}
    if factory is not None:
        return attrs.field(factory=factory, metadata=metadata)
    return attrs.field(default=default, metadata=metadata)


def _flag_option(default: bool = False, *, flag: Optional[str] = None) -> Any:
    """A boolean Config field (words such as "yes"/"off" are accepted from options)."""
    return _option(default, parse_bool_value, flag=flag)


def _alias(name: str) -> Any:
    """An old "preemptable" spelling of the attribute ``name``, read and written through."""
    def get(self: Any) -> Any:
        return getattr(self, name)

    def put(self: Any, value: Any) -> None:
        setattr(self, name, value)

    return property(get, put, doc=f"Old spelling of :attr:`{name}`.")


@attrs.define(slots=False, eq=False, repr=False, on_setattr=attrs.setters.NO_OP)
class Config:
    """Configuration of one workflow run; see the module docstring."""

    # -- core ---------------------------------------------------------------------------------
    jobStore: Optional[str] = _option(None, normalize_jobstore)
    workflowID: Optional[str] = _option(None, from_options=False)
    workflowAttemptNumber: int = _option(0, from_options=False)
    workDir: Optional[str] = _option(None, absolute_path)
    coordination_dir: Optional[str] = _option(None, absolute_path, flag="coordinationDir")
    noStdOutErr: bool = _flag_option()
    stats: bool = _flag_option()
    #: Set from ``--clean`` by :meth:`setOptions` itself, as it depends on ``--stats``.
    clean: str = _option("onSuccess", from_options=False)
    cleanWorkDir: str = _option("always", canonical_clean)
    clusterStats: Optional[str] = _option(None, absolute_path)
    restart: bool = _flag_option()
    # -- logging ------------------------------------------------------------------------------
    logLevel: str = _option("INFO", canonical_log_level)
    logFile: Optional[str] = _option(None)
    logRotating: bool = _flag_option(flag="rotatingLogging")
    maxLogFileSize: int = _option(DEFAULT_MAX_LOG_FILE_SIZE, parse_signed_size)
    writeLogs: Optional[str] = _option(None, absolute_path)
    writeLogsGzip: Optional[str] = _option(None, absolute_path)
    writeLogsFromAllJobs: bool = _flag_option()
    write_messages: Optional[str] = _option(None, absolute_path, flag="writeMessages")
    realTimeLogging: bool = _flag_option()
    # -- batch system -------------------------------------------------------------------------
    batchSystem: str = _option("single_machine", str)
    disableAutoDeployment: bool = _flag_option()
    max_jobs: int = _option(SYS_MAX_SIZE, parse_job_limit, flag="maxJobs")
    max_local_jobs: int = _option(convert=parse_job_limit, flag="maxLocalJobs", factory=local_core_count)
    manualMemArgs: bool = _flag_option()
    run_local_jobs_on_workers: bool = _flag_option(flag="runCwlInternalJobsOnWorkers")
    statePollingWait: float = _option(1, parse_number)
    batch_logs_dir: Optional[str] = _option(None, absolute_path, flag="batchLogsDir")
    scale: float = _option(1, parse_float)
    # Backend-specific batch system options (upstream keeps them on the Config too; their
    # command-line defaults may come from the environment, see options_groups).
    parasolCommand: str = _option("parasol")
    parasolMaxBatches: int = _option(1000, parse_int)
    mesos_endpoint: Optional[str] = _option(None, flag="mesosEndpoint")
    mesos_framework_id: Optional[str] = _option(None, flag="mesosFrameworkId")
    mesos_role: Optional[str] = _option(None, flag="mesosRole")
    mesos_name: str = _option("toil", flag="mesosName")
    kubernetes_host_path: Optional[str] = _option(None, flag="kubernetesHostPath")
    kubernetes_owner: Optional[str] = _option(None, flag="kubernetesOwner")
    kubernetes_service_account: Optional[str] = _option(None, flag="kubernetesServiceAccount")
    kubernetes_pod_timeout: float = _option(120, parse_number, flag="kubernetesPodTimeout")
    tes_endpoint: Optional[str] = _option(None, flag="tesEndpoint")
    tes_user: Optional[str] = _option(None, flag="tesUser")
    tes_password: Optional[str] = _option(None, flag="tesPassword")
    tes_bearer_token: Optional[str] = _option(None, flag="tesBearerToken")
    aws_batch_region: Optional[str] = _option(None, flag="awsBatchRegion")
    aws_batch_queue: Optional[str] = _option(None, flag="awsBatchQueue")
    aws_batch_job_role_arn: Optional[str] = _option(None, flag="awsBatchJobRoleArn")
    # -- storage ------------------------------------------------------------------------------
    linkImports: bool = _flag_option(True)
    moveExports: bool = _flag_option()
    #: None: the job store's preference.
    caching: Optional[bool] = _option(None, parse_optional_bool)
    # -- autoscaling --------------------------------------------------------------------------
    provisioner: Optional[str] = _option(None)
    nodeTypes: List[NodeType] = _option(convert=parse_node_types, factory=list)
    #: None until checked: then one count per node type (0 each when not given).
    minNodes: Optional[List[int]] = _option(None, parse_int_list)
    maxNodes: List[int] = _option(convert=parse_int_list, factory=lambda: [10])
    targetTime: float = _option(1800, parse_number)
    betaInertia: float = _option(0.1, parse_float)
    scaleInterval: float = _option(60, parse_number)
    preemptibleCompensation: float = _option(0.0, parse_float)
    nodeStorage: int = _option(50, parse_int)
    nodeStorageOverrides: List[str] = _option(convert=parse_str_list, factory=list)
    metrics: bool = _flag_option()
    assumeZeroOverhead: bool = _flag_option()
    # -- services -----------------------------------------------------------------------------
    maxServiceJobs: int = _option(SYS_MAX_SIZE, parse_int)
    maxPreemptibleServiceJobs: int = _option(SYS_MAX_SIZE, parse_int)
    deadlockWait: float = _option(60, parse_number)
    deadlockCheckInterval: float = _option(30, parse_number)
    # -- resources ----------------------------------------------------------------------------
    defaultMemory: int = _option(2147483648, parse_size)
    defaultCores: float = _option(1, parse_number)
    defaultDisk: int = _option(2147483648, parse_size)
    defaultAccelerators: List[Dict[str, Any]] = _option(convert=parse_accelerator_list, factory=list)
    defaultPreemptible: bool = _flag_option()
    maxCores: float = _option(SYS_MAX_SIZE, parse_number)
    maxMemory: int = _option(SYS_MAX_SIZE, parse_size)
    maxDisk: int = _option(SYS_MAX_SIZE, parse_size)
    # -- retrying / rescuing ------------------------------------------------------------------
    retryCount: int = _option(1, parse_int)
    enableUnlimitedPreemptibleRetries: bool = _flag_option()
    doubleMem: bool = _flag_option()
    maxJobDuration: float = _option(SYS_MAX_SIZE, parse_number)
    rescueJobsFrequency: float = _option(3600, parse_number)
    # -- miscellaneous ------------------------------------------------------------------------
    disableChaining: bool = _flag_option()
    disableJobStoreChecksumVerification: bool = _flag_option()
    sseKey: Optional[str] = _option(None, absolute_path)
    clientSideEncryption: bool = _flag_option()
    #: ``--setEnv``: name -> value, or None for "the leader's value".
    environment: Dict[str, Optional[str]] = _option(convert=parseSetEnv, flag="setEnv", factory=dict)
    servicePollingInterval: float = _option(60, parse_number)
    forceDockerAppliance: bool = _flag_option()
    statusWait: float = _option(3600, parse_number)
    disableProgress: bool = _flag_option()
    readGlobalFileMutableByDefault: bool = _flag_option()
    # -- debug --------------------------------------------------------------------------------
    debugWorker: bool = _flag_option()
    disableWorkerOutputCapture: bool = _flag_option()
    badWorker: float = _option(0.0, parse_float)
    badWorkerFailInterval: float = _option(0.01, parse_float)
    kill_polling_interval: float = _option(5, parse_number)
    # -- set by front ends --------------------------------------------------------------------
    cwl: bool = _flag_option()

    # Old "preemptable" spellings, kept as attribute aliases.
    defaultPreemptable = _alias("defaultPreemptible")
    preemptableCompensation = _alias("preemptibleCompensation")
    maxPreemptableServiceJobs = _alias("maxPreemptibleServiceJobs")
    enableUnlimitedPreemptableRetries = _alias("enableUnlimitedPreemptibleRetries")

    #: Extra options registered by plugins: attribute -> (default, converter or None).
    _extra_options: ClassVar[Dict[str, Tuple[Any, Optional[Converter]]]] = {}

    def __attrs_post_init__(self) -> None:
        for name, (default, _conv) in self._extra_options.items():
            self.__dict__.setdefault(name, copy.deepcopy(default))

    # -- plugins ------------------------------------------------------------------------------
    @classmethod
    def register_option(cls, name: str, default: Any = None,
                        converter: Optional[Converter] = None) -> None:
        """Let a plugin have ``setOptions`` copy its option ``name`` (the argparse dest) onto
        every Config, converted by ``converter`` when not None."""
        cls._extra_options[name] = (default, converter)

    @classmethod
    def has_option(cls, name: str) -> bool:
        """True if ``name`` is a core Config attribute (or old spelling) or a plugin's option."""
        return name in cls._extra_options or name in _FIELDS or name in _ALIASES

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
        assert self.sseKey is not None  # called only when it is set
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
        self.__dict__.update(config_defaults())
        for name, (default, _conv) in self._extra_options.items():
            self.__dict__.setdefault(name, copy.deepcopy(default))
        self.__dict__.update({_ALIASES.get(k, k): v for k, v in state.items()})


_FIELDS: Dict[str, "attrs.Attribute[Any]"] = {f.name: f for f in attrs.fields(Config)}

#: Old spelling -> attribute.
_ALIASES: Dict[str, str] = {
    "defaultPreemptable": "defaultPreemptible",
    "preemptableCompensation": "preemptibleCompensation",
    "maxPreemptableServiceJobs": "maxPreemptibleServiceJobs",
    "enableUnlimitedPreemptableRetries": "enableUnlimitedPreemptibleRetries",
}

_CONVERTERS: Dict[str, Converter] = {
    name: f.metadata[_CONVERT] for name, f in _FIELDS.items() if f.metadata[_CONVERT] is not None}

#: Config attribute -> command-line flag, where they differ (used in error messages).
FLAG_NAMES: Dict[str, str] = {name: f.metadata[_FLAG] for name, f in _FIELDS.items() if f.metadata[_FLAG]}

#: Attributes setOptions never takes from the options (they belong to the run, not the user).
_NOT_FROM_OPTIONS = frozenset(name for name, f in _FIELDS.items() if not f.metadata[_FROM_OPTIONS])


def config_default(name: str) -> Any:
    """The default of the Config field ``name`` (a fresh copy for mutable ones)."""
    default: Any = _FIELDS[name].default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]  # Factory is a class at runtime
        return default.factory()
    return default


def config_defaults() -> Dict[str, Any]:
    """Every Config field and its default (a fresh dict, so mutable defaults are not shared)."""
    return {name: config_default(name) for name in _FIELDS}


def _flag(attr: str) -> str:
    return "--" + FLAG_NAMES.get(attr, attr)


_DEFAULT_CONFIG: Optional[Config] = None


def default_config() -> Config:
    """A shared Config holding only the defaults, for code that reads a default before a
    workflow's config exists (such as a job's requirements before it is added to a workflow).
    Read it, never change it."""
    global _DEFAULT_CONFIG
    if _DEFAULT_CONFIG is None:
        _DEFAULT_CONFIG = Config()
    return _DEFAULT_CONFIG
