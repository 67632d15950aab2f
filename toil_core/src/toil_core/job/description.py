"""JobDescription: the data the leader schedules with, stored as JSON in the job store.

A description is what the leader keeps in memory for every pending job, so it is a small
slotted attrs class. Only the user's job body (the Job object with its arguments) is pickled,
separately, and referenced by ``body_id``.
"""
from __future__ import annotations

import json
import operator
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import attrs

from toil_core.lib.accelerators import parse_accelerator
from toil_core.lib.conversions import human2bytes

#: Bump when the stored JSON layout changes incompatibly.
SCHEMA_VERSION = 1

JOB = "job"
SERVICE = "service"
#: ``body_id`` of a job whose pickled body is stored in its description (``inline_body``).
INLINE_BODY = "inline"


@attrs.define(slots=True, eq=False, init=False)
class JobDescription:
    """Everything the leader needs to know about one job, without its body.

    ``body_id`` is the job-store file holding the pickled Job; it is ``None`` once the job's
    ``run()`` has finished (upstream calls this "command is None"). Successors are listed by
    phase: all ``children`` (and their subtrees) finish before any ``followOns`` start.

    Built as upstream builds it, ``JobDescription(requirements, jobName, unitName="",
    displayName="", command=None, local=None)``: ``requirements`` maps ``memory``, ``cores``,
    ``disk``, ``accelerators`` and ``preemptible`` to values (``"2G"`` strings allowed), and
    ``command`` is ``"_toil <body file> ..."`` or any command line a batch system should run.
    Any stored field may be given by keyword as well.
    """

    jobName: str = "Job"
    unitName: str = ""
    displayName: str = ""
    jobStoreID: Optional[str] = None
    memory: int = 0
    cores: float = 1.0
    disk: int = 0
    accelerators: List[Dict[str, Any]] = attrs.field(factory=list)
    preemptible: bool = False
    local: bool = False
    checkpoint: bool = False
    kind: str = JOB
    body_id: Optional[str] = None
    #: For a checkpoint job: the body to rerun if its subtree fails completely.
    checkpoint_body_id: Optional[str] = None
    #: Small bodies are kept inside the description (base64 pickle) to save a file per job;
    #: ``body_id`` is then :data:`INLINE_BODY`.
    inline_body: Optional[str] = None
    children: List[str] = attrs.field(factory=list)
    followOns: List[str] = attrs.field(factory=list)
    #: Service host jobs of this job (every node of its service trees).
    services: List[str] = attrs.field(factory=list)
    #: For a service host: the service host it must wait for (its parent service).
    parent_service: Optional[str] = None
    predecessorNumber: int = 1
    remainingTryCount: int = 1
    filesToDelete: List[str] = attrs.field(factory=list)
    logJobStoreFileID: Optional[str] = None
    #: File holding the pickled return value, allocated when someone takes a promise.
    rv_file_id: Optional[str] = None
    #: The pickled return value itself (base64), for stores that keep a small one in the job's
    #: own record instead of a file (see ``AbstractJobStore.store_return_value``; stored only if set).
    inline_rv: Optional[str] = None
    #: Service host flag files: deleted by the host once started / by the leader to stop it.
    startJobStoreID: Optional[str] = None
    terminateJobStoreID: Optional[str] = None
    errorJobStoreID: Optional[str] = None
    #: Whether memory/disk were given explicitly (retries raise unset ones to defaults).
    memory_explicit: bool = False
    disk_explicit: bool = False
    #: Incremented on every stored update, for diagnostics and concurrent-update checks.
    version: int = 0
    #: A command given as ``command=`` that is not a ``_toil`` body reference (stored only if set).
    raw_command: Optional[str] = None
    #: Stored descriptions (without inline bodies) of successors the worker's commit that wrote
    #: this version created, for phases of two or more jobs (stored only if set): the leader,
    #: reading the job back when its worker exits, takes them from here instead of loading each
    #: (see :func:`toil_core.job.commit.commit_finished_job` for why they are still current then).
    created: List[Dict[str, Any]] = attrs.field(factory=list)
    #: No attempt at the job can have begun: set when the job is saved, cleared by whatever
    #: records an attempt's failure (or finish), and by ``--restart`` for jobs that own files. A
    #: worker starting a fresh job skips discarding the files of earlier attempts (stored only if
    #: set; see :func:`toil_core.job.attempt_files.begin_attempt`).
    fresh: bool = False

    def __init__(self, requirements: Optional[Mapping[str, Any]] = None, jobName: str = "Job",
                 unitName: Optional[str] = "", displayName: Optional[str] = "", command: Optional[str] = None,
                 local: Optional[bool] = None, **fields: Any) -> None:
        self.__attrs_init__(jobName=jobName, unitName=unitName or "", displayName=displayName or "",
                            local=bool(local), **fields)
        if requirements:
            self._apply_requirements(requirements)
        if command is not None:
            self.command = command

    def _apply_requirements(self, requirements: Mapping[str, Any]) -> None:
        for name, value in requirements.items():
            if value is None:
                continue
            if name in ("memory", "disk"):
                setattr(self, name, human2bytes(value) if isinstance(value, str) else int(value))
                setattr(self, f"{name}_explicit", True)
            elif name == "cores":
                self.cores = float(value)
            elif name in ("preemptible", "preemptable"):
                self.preemptible = value.strip().lower() in ("true", "1", "yes") \
                    if isinstance(value, str) else bool(value)
            elif name == "accelerators":
                items = value if isinstance(value, list) else [value]
                self.accelerators = [dict(parse_accelerator(item)) for item in items]
            else:
                raise ValueError(f"Unknown job requirement {name!r}: expected memory, cores, disk, "
                                 f"accelerators or preemptible.")

    # ------------------------------------------------------------------ properties
    @property
    def command(self) -> Optional[str]:
        """Upstream-compatible view: ``_toil <bodyID>`` while the job still has to run (or the
        command line it was given)."""
        if self.raw_command is not None:
            return self.raw_command
        return None if self.body_id is None else f"_toil {self.body_id}"

    @command.setter
    def command(self, value: Optional[str]) -> None:
        """``None`` marks the body as run; ``"_toil <file> ..."`` names the body's file; anything
        else is kept as the command line itself."""
        self.raw_command = None
        if value is None:
            self.body_id = None
        elif value.split()[:1] == ["_toil"] and len(value.split()) > 1:
            self.body_id = value.split()[1]
        else:
            self.raw_command = value

    @property
    def requirements(self) -> Dict[str, Any]:
        return {
            "memory": self.memory,
            "cores": self.cores,
            "disk": self.disk,
            "accelerators": self.accelerators,
            "preemptible": self.preemptible,
        }

    def requirements_string(self) -> str:
        return (
            f"memory: {self.memory}, cores: {self.cores}, disk: {self.disk}, "
            f"accelerators: {self.accelerators}, preemptible: {self.preemptible}"
        )

    @property
    def preemptable(self) -> bool:
        return self.preemptible

    def has_body(self) -> bool:
        return self.body_id is not None

    def next_phase(self) -> List[str]:
        """The successors that run next: children first, then follow-ons."""
        return self.children if self.children else self.followOns

    @property
    def stored_id(self) -> str:
        """The job-store ID of a saved description (what the leader and the commit protocol
        handle); ValueError for a description that was never saved."""
        job_id = self.jobStoreID
        if job_id is None:
            raise ValueError(f"job {self.jobName!r} has no job store ID: it was never saved")
        return job_id

    def successors(self) -> List[str]:
        return list(self.children) + list(self.followOns)

    # ------------------------------------------------------------------ storage
    def to_dict(self) -> Dict[str, Any]:
        data = dict(zip(_FIELD_ORDER, _get_fields(self)))
        if data["raw_command"] is None:
            del data["raw_command"]
        if not data["created"]:
            del data["created"]
        if not data["fresh"]:
            del data["fresh"]
        if data["inline_rv"] is None:
            del data["inline_rv"]
        data["schema"] = SCHEMA_VERSION
        return data

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "JobDescription":
        schema = data.pop("schema", SCHEMA_VERSION)
        if schema > SCHEMA_VERSION:
            raise ValueError(
                f"Job description schema {schema} is newer than this toil-core understands "
                f"({SCHEMA_VERSION}); upgrade toil-core to resume this workflow."
            )
        if cls is JobDescription:  # the variant upstream uses for this kind of job
            if data.get("kind") == SERVICE:
                cls = ServiceJobDescription
            elif data.get("checkpoint"):
                cls = CheckpointJobDescription
        desc = cls.__new__(cls)
        if cls in _OWN_CLASSES:
            # Stored fields as they are (no requirement parsing), by one generated function:
            # keys a newer minor version may add are ignored, missing ones get their defaults.
            # A tenth of the cost of ``__attrs_init__(**data)``, and ``--restart`` or ``toil
            # status`` of a million-job workflow builds a million of these.
            _build(desc, data)
            return desc
        # A subclass of someone else's may have fields of its own.
        known = data if _FIELD_NAMES.issuperset(data) else {k: v for k, v in data.items() if k in _FIELD_NAMES}
        for name in _SHARED_STRINGS:  # the same few names recur across thousands of jobs
            value = known.get(name)
            if type(value) is str:
                known[name] = sys.intern(value)
        desc.__attrs_init__(**known)
        return desc

    @classmethod
    def from_bytes(cls, raw: bytes) -> "JobDescription":
        return cls.from_dict(parse_stored(raw))

    def field_values(self) -> tuple:  # type: ignore[type-arg]
        """The values of every field, in declaration order (:meth:`from_field_values` takes them
        back): how a process that read descriptions hands them to another."""
        return _get_fields(self)  # type: ignore[no-any-return]

    @classmethod
    def from_field_values(cls, values: Sequence[Any]) -> "JobDescription":
        """The description with the field values ``values`` (see :meth:`field_values`), of the
        variant its ``kind`` and ``checkpoint`` call for."""
        if values[_KIND_AT] == SERVICE:
            desc: JobDescription = ServiceJobDescription.__new__(ServiceJobDescription)
        elif values[_CHECKPOINT_AT]:
            desc = CheckpointJobDescription.__new__(CheckpointJobDescription)
        else:
            desc = JobDescription.__new__(JobDescription)
        _assign(desc, values)
        return desc

    def copy(self) -> "JobDescription":
        return JobDescription.from_dict(json.loads(self.to_bytes()))

    def __str__(self) -> str:
        unit = f" {self.unitName}" if self.unitName else ""
        return f"'{self.jobName}'{unit} {self.jobStoreID}"

    def __repr__(self) -> str:
        return f"JobDescription({self})"


class ServiceJobDescription(JobDescription):
    """The description of a job that hosts a service (``kind`` is ``"service"``)."""

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("kind", SERVICE)
        super().__init__(*args, **kwargs)


class CheckpointJobDescription(JobDescription):
    """The description of a checkpoint job: rerun from its saved body when its subtree fails."""

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("checkpoint", True)
        super().__init__(*args, **kwargs)

    def restartCheckpoint(self, jobStore: Any) -> List[str]:
        """Delete the checkpoint's successors and services (their whole subtree) from ``jobStore``
        and make the checkpoint runnable again from its saved body; the try count is left alone.
        The change is written at once (through the commit protocol, which forgets the successors
        before deleting them). Returns the IDs of the deleted jobs."""
        from toil_core.job.commit import reset_checkpoint, stored_subtree  # lazy: commit imports this module

        subtree = stored_subtree(jobStore, self)
        deleted = [job_id for job_id in subtree if jobStore.job_exists(job_id)]
        reset_checkpoint(jobStore, self, subtree)
        return deleted


_FIELDS = attrs.fields(JobDescription)
_FIELD_NAMES = frozenset(f.name for f in _FIELDS)
_FIELD_ORDER = tuple(f.name for f in _FIELDS)
_get_fields = operator.attrgetter(*_FIELD_ORDER)
_SHARED_STRINGS = ("jobName", "unitName", "displayName", "kind", "body_id")
_OWN_CLASSES = (JobDescription, ServiceJobDescription, CheckpointJobDescription)
_scan_once = json.decoder.JSONDecoder().scan_once  # type: ignore[attr-defined]


def decode_stored(raw: bytes) -> Union[str, bytes]:
    """A stored description's text (``raw`` itself if it is not UTF-8: :func:`parse_stored`
    then lets ``json.loads`` detect its encoding or fail)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def parse_stored(raw: Union[str, bytes]) -> Any:
    """The JSON value of a stored description (its bytes, or their :func:`decode_stored` text).

    Stored descriptions are compact UTF-8 JSON: parsed by the decoder's scanner directly, which
    skips what ``json.loads`` does around it (detecting the encoding, matching whitespace) at a
    quarter of a small description's parsing cost. Anything else (whitespace around the value,
    another encoding, invalid JSON) goes through ``json.loads``, which parses it or raises its
    usual error.
    """
    text = decode_stored(raw) if isinstance(raw, bytes) else raw
    if isinstance(text, bytes):
        return json.loads(text)
    try:
        value, end = _scan_once(text, 0)
    except StopIteration:
        return json.loads(text)
    if end != len(text):
        return json.loads(text)
    return value


def _make_build() -> Any:
    """``build(desc, data)``: set every field of ``desc`` from the stored dict ``data`` (its
    default, or a new empty list, where ``data`` lacks it; the recurring names interned)."""
    lines = ["def build(desc, data):", "    get = data.get"]
    env: Dict[str, Any] = {"intern": sys.intern, "str": str, "MISSING": object()}
    for field in _FIELDS:
        name = field.name
        if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            env[f"factory_{name}"] = field.default.factory  # type: ignore[union-attr]
            lines.append(f"    value = get({name!r}, MISSING)")
            lines.append(f"    desc.{name} = factory_{name}() if value is MISSING else value")
            continue
        env[f"default_{name}"] = field.default
        if name in _SHARED_STRINGS:
            lines.append(f"    value = get({name!r}, default_{name})")
            lines.append(f"    desc.{name} = intern(value) if type(value) is str else value")
        else:
            lines.append(f"    desc.{name} = get({name!r}, default_{name})")
    exec(compile("\n".join(lines) + "\n", "<JobDescription stored-field builder>", "exec"), env)
    return env["build"]


_build = _make_build()
_KIND_AT = _FIELD_ORDER.index("kind")
_CHECKPOINT_AT = _FIELD_ORDER.index("checkpoint")


def _make_assign() -> Any:
    """``assign(desc, values)``: set every field of ``desc`` from ``values`` (declaration order)."""
    targets = ", ".join(f"desc.{name}" for name in _FIELD_ORDER)
    env: Dict[str, Any] = {}
    exec(compile(f"def assign(desc, values):\n    {targets}, = values\n", "<JobDescription field assign>",
                 "exec"), env)
    return env["assign"]


_assign = _make_assign()
