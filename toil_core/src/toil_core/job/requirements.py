"""Resource requirements of jobs: parsing user values and filling in defaults.

Users give memory/disk as bytes or human strings ("2G", "1024 Mib"), cores as numbers or strings,
accelerators in several spellings and preemptible as bools or strings. Unset values stay ``None``
on the Job and are filled from the workflow's defaults when the job is saved.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from toil_core.job.promise import Promise, PromisedRequirement
from toil_core.lib.accelerators import parse_accelerator
from toil_core.lib.conversions import human2bytes

if TYPE_CHECKING:
    from toil_core.common.config import Config

try:  # Python 3.8+
    from typing import TypedDict
except ImportError:  # pragma: no cover
    from typing_extensions import TypedDict

ParsedAccelerators = List[Dict[str, Any]]


class RequirementsDict(TypedDict, total=False):
    """The shape of :attr:`Requirer.requirements` (upstream ``toil.job.RequirementsDict``)."""

    memory: int
    cores: Union[int, float]
    disk: int
    accelerators: ParsedAccelerators
    preemptible: bool


def parse_size(value: Any, name: str) -> Optional[int]:
    """Bytes from an int or a human string; floats are rejected as upstream Toil does."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"The {name} requirement must be a number of bytes or a string like '2G', not {value!r}.")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"The {name} requirement must not be negative, got {value}.")
        return value
    if isinstance(value, float):
        raise TypeError(
            f"The {name} requirement must be an int number of bytes or a string like '2G', "
            f"not the float {value!r}."
        )
    if isinstance(value, str):
        result = human2bytes(value)
        if result < 0:
            raise ValueError(f"The {name} requirement must not be negative, got {value!r}.")
        return result
    if _is_promise_like(value):
        return value  # resolved later by a PromisedRequirement wrapper
    raise TypeError(f"Cannot use {value!r} as the {name} requirement; give bytes or a string like '2G'.")


def parse_cores(value: Any) -> Optional[float]:
    """Cores as a positive number (fractions allowed); strings are converted."""
    if value is None:
        return None
    if _is_promise_like(value):
        return value
    if isinstance(value, bool):
        raise TypeError(f"The cores requirement must be a number, not {value!r}.")
    try:
        cores = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"The cores requirement must be a number, got {value!r}.") from None
    if not cores > 0 or cores == float("inf"):  # also NaN
        raise ValueError(f"The cores requirement must be a positive, finite number, got {value!r}.")
    return int(cores) if cores == int(cores) and not isinstance(value, float) else cores


def parse_preemptible(value: Any) -> Optional[bool]:
    """Bool from bools, 0/1 or 'true'/'false' strings in any case."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "t", "yes", "y", "on", "1"):
            return True
        if lowered in ("false", "f", "no", "n", "off", "0"):
            return False
    raise ValueError(f"The preemptible requirement must be true or false, got {value!r}.")


def parse_accelerators(value: Any) -> Optional[ParsedAccelerators]:
    """A list of accelerator requirement dicts from an int, string, dict or list of those."""
    if value is None:
        return None

    items: List[Any] = list(value) if isinstance(value, (list, tuple)) else [value]
    return [dict(parse_accelerator(item)) for item in items]


def _is_promise_like(value: Any) -> bool:
    return isinstance(value, (Promise, PromisedRequirement))


class Requirer:
    """Holds memory, cores, disk, accelerators and preemptible for jobs and services."""

    def __init__(
        self,
        memory: Union[int, str, None] = None,
        cores: Union[int, float, str, None] = None,
        disk: Union[int, str, None] = None,
        accelerators: Any = None,
        preemptible: Union[bool, int, str, None] = None,
    ) -> None:
        self._memory = parse_size(memory, "memory")
        self._cores = parse_cores(cores)
        self._disk = parse_size(disk, "disk")
        self._accelerators = parse_accelerators(accelerators)
        self._preemptible = parse_preemptible(preemptible)
        self._config: Optional[Config] = None

    def _defaults(self) -> Config:
        """Where unset requirements come from: the assigned workflow config, or (before one is
        assigned) the Config defaults."""
        if self._config is not None:
            return self._config
        # lazy: building the Config class would add to the import time of every `import toil.job`
        from toil_core.common.config import default_config

        return default_config()

    @property
    def memory(self) -> int:
        return self._memory if self._memory is not None else self._defaults().defaultMemory

    @memory.setter
    def memory(self, value: Any) -> None:
        self._memory = parse_size(value, "memory")

    @property
    def cores(self) -> float:
        return self._cores if self._cores is not None else self._defaults().defaultCores

    @cores.setter
    def cores(self, value: Any) -> None:
        self._cores = parse_cores(value)

    @property
    def disk(self) -> int:
        return self._disk if self._disk is not None else self._defaults().defaultDisk

    @disk.setter
    def disk(self, value: Any) -> None:
        self._disk = parse_size(value, "disk")

    @property
    def accelerators(self) -> ParsedAccelerators:
        if self._accelerators is not None:
            return self._accelerators
        default = self._defaults().defaultAccelerators or []
        return parse_accelerators(default) or []

    @accelerators.setter
    def accelerators(self, value: Any) -> None:
        self._accelerators = parse_accelerators(value)

    @property
    def preemptible(self) -> bool:
        if self._preemptible is not None:
            return self._preemptible
        return bool(self._defaults().defaultPreemptible)

    @preemptible.setter
    def preemptible(self, value: Any) -> None:
        self._preemptible = parse_preemptible(value)

    # Legacy spelling kept for old scripts.
    preemptable = preemptible

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
        return ", ".join(f"{k}: {v}" for k, v in self.requirements.items())

    def scale(self, requirement: str, factor: float) -> "Requirer":
        """A copy of this requirer with one numeric requirement multiplied by ``factor``."""
        if requirement not in ("memory", "cores", "disk"):
            raise ValueError(f"Cannot scale the {requirement} requirement; only memory, cores and disk.")
        scaled = copy.copy(self)
        value = getattr(self, requirement) * factor
        if requirement in ("memory", "disk"):
            value = int(value)
        setattr(scaled, "_" + requirement, value)
        return scaled

    def assignConfig(self, config: Config) -> None:
        """Attach the workflow config whose defaults fill unset requirements."""
        self._config = config
