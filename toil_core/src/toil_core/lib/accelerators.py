"""Accelerator (GPU) requirements and local GPU discovery.

Jobs ask for accelerators with ``accelerators=`` (an int, a string such as ``"cuda:1"`` or
``"nvidia-tesla-k80:2"``, a dict, or a list of those); :func:`parse_accelerator` normalises
each into an :class:`AcceleratorRequirement` dict. The local helpers look at ``nvidia-smi`` so
the single-machine batch system can hand out GPUs and restrict jobs to theirs.
"""
from __future__ import annotations

import functools
import os
import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union


try:  # Python >= 3.11
    from typing import NotRequired, TypedDict
except ImportError:  # pragma: no cover - Python 3.9/3.10
    from typing import TypedDict

    try:
        from typing_extensions import NotRequired
    except ImportError:
        NotRequired = Optional  # type: ignore[misc,assignment]


class AcceleratorRequirement(TypedDict):
    """Requirement for ``count`` accelerators of a ``kind`` (e.g. 'gpu'), optionally narrowed
    by ``model`` (e.g. 'nvidia-tesla-k80'), ``brand`` ('nvidia', 'amd') and ``api`` ('cuda')."""

    count: int
    kind: str
    model: NotRequired[str]
    brand: NotRequired[str]
    api: NotRequired[str]


KINDS = {"gpu"}
APIS = {"cuda", "rocm", "opencl"}
BRANDS = {"nvidia", "amd"}
#: Brand implied by an API that only one vendor implements.
API_BRANDS = {"cuda": "nvidia", "rocm": "amd"}
_FIELDS = ("kind", "brand", "api", "model")

ParseableAcceleratorRequirement = Union[str, int, Mapping[str, Any], AcceleratorRequirement]


def _parse_count(value: Any, spec: Any) -> int:
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        raise ValueError(f"Accelerator count in {spec!r} must be a whole number, not {value!r}")
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"Accelerator count in {spec!r} must be a whole number, not {value!r}") from None
    if count < 1:
        raise ValueError(f"Accelerator count in {spec!r} must be at least 1, not {count}")
    return count


def _ordered(fields: Dict[str, Any]) -> AcceleratorRequirement:
    """Return the requirement with keys in a stable order (count, kind, brand, api, model)."""
    result: Dict[str, Any] = {"count": fields["count"], "kind": fields.get("kind", "gpu")}
    for key in ("brand", "api", "model"):
        if fields.get(key):
            result[key] = fields[key]
    return result  # type: ignore[return-value]


def _parse_word(word: str, spec: Any) -> Dict[str, str]:
    lowered = word.lower()
    if not lowered:
        raise ValueError(f"Could not parse accelerator {spec!r}: empty accelerator type")
    if lowered in KINDS:
        return {"kind": lowered}
    if lowered in APIS:
        return {"api": lowered, **({"brand": API_BRANDS[lowered]} if lowered in API_BRANDS else {})}
    if lowered in BRANDS:
        return {"brand": lowered}
    brand = next((b for b in BRANDS if lowered.startswith(b + "-")), None)
    if brand is None:
        import difflib  # lazy: only for a misspelt name; every workflow script imports this module

        close = difflib.get_close_matches(lowered, sorted(KINDS | APIS | BRANDS), n=1, cutoff=0.75)
        if close:
            raise ValueError(
                f"Unknown accelerator {word!r} in {spec!r}: did you mean {close[0]!r}? Give a kind "
                f"({', '.join(sorted(KINDS))}), an API ({', '.join(sorted(APIS))}), a brand "
                f"({', '.join(sorted(BRANDS))}) or a model name such as 'nvidia-tesla-k80'.")
    return {"model": word, **({"brand": brand} if brand else {})}


def parse_accelerator(spec: ParseableAcceleratorRequirement) -> AcceleratorRequirement:
    """Normalise one accelerator spec; unspecified means one GPU.

    >>> parse_accelerator("nvidia-tesla-k80:2")
    {'count': 2, 'kind': 'gpu', 'brand': 'nvidia', 'model': 'nvidia-tesla-k80'}
    >>> parse_accelerator("cuda:1")
    {'count': 1, 'kind': 'gpu', 'brand': 'nvidia', 'api': 'cuda'}
    """
    if isinstance(spec, bool):
        raise TypeError(f"Cannot parse {spec!r} as an accelerator requirement")
    if isinstance(spec, int):
        return _ordered({"count": _parse_count(spec, spec)})
    if isinstance(spec, str):
        parts = [p.strip() for p in spec.strip().split(":")]
        if len(parts) > 2 or not spec.strip():
            raise ValueError(f"Could not parse accelerator {spec!r}: expected TYPE, COUNT or TYPE:COUNT, "
                             f"e.g. 'gpu', '2', 'cuda:1', 'nvidia-tesla-k80:2'")
        fields: Dict[str, Any] = {"count": 1}
        if len(parts) == 1 and parts[0].isdigit():
            fields["count"] = _parse_count(parts[0], spec)
        else:
            if len(parts) == 2:
                fields["count"] = _parse_count(parts[1], spec)
            fields.update(_parse_word(parts[0], spec))
        return _ordered(fields)
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"count", *_FIELDS}
        if unknown:
            raise ValueError(f"Unknown accelerator fields {sorted(unknown)} in {dict(spec)!r}; "
                             f"allowed: count, kind, brand, api, model")
        fields = {k: v for k, v in spec.items() if v is not None}
        for key in _FIELDS:
            if key in fields and not isinstance(fields[key], str):
                raise TypeError(f"Accelerator field {key!r} must be a string, not {fields[key]!r}")
        if "kind" in fields and fields["kind"].lower() not in KINDS:
            raise ValueError(f"Unknown accelerator kind {fields['kind']!r} in {dict(spec)!r}; the known "
                             f"kinds are: {', '.join(sorted(KINDS))}")
        fields["count"] = _parse_count(spec.get("count", 1), dict(spec))
        return _ordered(fields)
    raise TypeError(f"Cannot parse {spec!r} (type {type(spec).__name__}) as an accelerator requirement")


def parse_accelerator_list(
    specs: Union[None, str, ParseableAcceleratorRequirement, Sequence[ParseableAcceleratorRequirement]],
) -> List[AcceleratorRequirement]:
    """Parse ``--defaultAccelerators``-style specs: comma-separated string, list, or single spec."""
    if specs is None:
        return []
    if isinstance(specs, str):
        return [parse_accelerator(p.strip()) for p in specs.split(",") if p.strip()]
    if isinstance(specs, (int, Mapping)):
        return [parse_accelerator(specs)]
    return [parse_accelerator(s) for s in specs]


def accelerator_satisfies(candidate: AcceleratorRequirement, requirement: AcceleratorRequirement,
                          ignore: Iterable[str] = ()) -> bool:
    """True if ``candidate`` matches every non-count field ``requirement`` specifies (bar ``ignore``)."""
    skip = set(ignore)
    for key in _FIELDS:
        if key in skip or key not in requirement:
            continue
        wanted = str(requirement[key]).lower()  # type: ignore[literal-required]
        if key not in candidate or str(candidate[key]).lower() != wanted:  # type: ignore[literal-required]
            return False
    return True


def accelerators_fully_satisfy(candidates: Optional[List[AcceleratorRequirement]],
                               requirement: AcceleratorRequirement, ignore: Iterable[str] = ()) -> bool:
    """True if the matching ``candidates`` together provide at least ``requirement['count']``."""
    skip = list(ignore)
    matching = [c for c in candidates or [] if accelerator_satisfies(c, requirement, skip)]
    available = sum(c.get("count", 1) for c in matching)
    return available >= requirement.get("count", 1)


@functools.lru_cache(maxsize=None)
def have_working_nvidia_smi() -> bool:
    """True if ``nvidia-smi`` is on PATH and runs successfully (cached; ``cache_clear()`` resets)."""
    # lazy: every workflow script imports this module (toil.job), few ask for GPUs
    import shutil
    import subprocess

    if shutil.which("nvidia-smi") is None:
        return False
    try:
        subprocess.run(["nvidia-smi"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


@functools.lru_cache(maxsize=None)
def have_working_nvidia_docker_runtime() -> bool:
    """True if a container engine is reachable and advertises an ``nvidia`` runtime."""
    # lazy: only GPU jobs in containers ask; every workflow script imports this module
    from toil_core.lib.container_cli import docker_command
    import subprocess  # lazy: see have_working_nvidia_smi

    try:
        result = subprocess.run(docker_command() + ["info", "--format", "{{json .Runtimes}}"],
                                capture_output=True, text=True, timeout=60)
    except (OSError, RuntimeError, subprocess.SubprocessError):
        return False
    return result.returncode == 0 and "nvidia" in result.stdout


@functools.lru_cache(maxsize=None)
def count_nvidia_gpus() -> int:
    """Number of GPUs ``nvidia-smi -L`` lists, or 0 when nvidia-smi is missing or broken."""
    if not have_working_nvidia_smi():
        return 0
    import subprocess  # lazy: see have_working_nvidia_smi

    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, check=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in out.splitlines() if line.strip().startswith("GPU "))


@functools.lru_cache(maxsize=None)
def count_amd_gpus() -> int:
    """Number of GPUs ``rocm-smi --showid`` lists (its ``GPU[N]`` lines), or 0 when rocm-smi is
    missing or fails. AMD GPUs are handed out like NVIDIA ones, restricted with
    ``ROCR_VISIBLE_DEVICES``."""
    import shutil  # lazy: see have_working_nvidia_smi
    import subprocess

    if shutil.which("rocm-smi") is None:
        return 0
    try:
        out = subprocess.run(["rocm-smi", "--showid"], capture_output=True, text=True, check=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return len(set(re.findall(r"^\s*GPU\[(\d+)\]", out, re.MULTILINE)))


def _visible(variable: str, count: int) -> List[str]:
    visible = os.environ.get(variable)
    if visible is not None:
        return [d.strip() for d in visible.split(",") if d.strip()][:count]
    return [str(i) for i in range(count)]


def get_host_accelerator_numbers() -> List[str]:
    """Host NVIDIA device ids we may use, honouring an inherited ``CUDA_VISIBLE_DEVICES``."""
    return _visible("CUDA_VISIBLE_DEVICES", count_nvidia_gpus())


def get_amd_host_accelerator_numbers() -> List[str]:
    """Host AMD device ids we may use, honouring an inherited ``ROCR_VISIBLE_DEVICES``."""
    return _visible("ROCR_VISIBLE_DEVICES", count_amd_gpus())


def get_individual_local_accelerators() -> List[AcceleratorRequirement]:
    """List every usable local accelerator with count 1, indexed as in job assignments: the
    NVIDIA GPUs (``nvidia-smi``) first, then the AMD GPUs (``rocm-smi``)."""
    nvidia: List[AcceleratorRequirement] = [{"count": 1, "kind": "gpu", "brand": "nvidia", "api": "cuda"}
                                            for _ in get_host_accelerator_numbers()]
    amd: List[AcceleratorRequirement] = [{"count": 1, "kind": "gpu", "brand": "amd", "api": "rocm"}
                                         for _ in get_amd_host_accelerator_numbers()]
    return nvidia + amd


def get_restrictive_environment_for_local_accelerators(accelerator_numbers: Iterable[int]) -> Dict[str, str]:
    """Environment restricting a process to the given local accelerators (indices into
    :func:`get_individual_local_accelerators`): ``CUDA_VISIBLE_DEVICES`` for the NVIDIA ones and,
    on a machine with AMD GPUs, ``ROCR_VISIBLE_DEVICES`` for those (each empty when the process
    gets none of that brand)."""
    numbers = sorted(set(accelerator_numbers))
    host = get_host_accelerator_numbers()
    amd_host = get_amd_host_accelerator_numbers()
    if amd_host:
        if any(n < 0 or n >= len(host) + len(amd_host) for n in numbers):
            raise ValueError(f"Accelerator numbers {numbers} out of range; "
                             f"{len(host) + len(amd_host)} available")
        return {"CUDA_VISIBLE_DEVICES": ",".join(host[n] for n in numbers if n < len(host)),
                "ROCR_VISIBLE_DEVICES": ",".join(amd_host[n - len(host)] for n in numbers if n >= len(host))}
    if os.environ.get("CUDA_VISIBLE_DEVICES") is not None:
        if any(n < 0 or n >= len(host) for n in numbers):
            raise ValueError(f"Accelerator numbers {numbers} out of range; {len(host)} available")
        return {"CUDA_VISIBLE_DEVICES": ",".join(host[n] for n in numbers)}
    return {"CUDA_VISIBLE_DEVICES": ",".join(str(n) for n in numbers)}


def assign_local_accelerators(requirements: Sequence[Mapping[str, Any]],
                              available: Sequence[AcceleratorRequirement],
                              free: Iterable[int]) -> Optional[List[int]]:
    """Indices (into ``available``) of free accelerators that together satisfy every requirement,
    each index used once; None if the free ones cannot. Greedy, in index order."""
    pool = sorted(set(free))
    chosen: List[int] = []
    for requirement in requirements:
        wanted = int(requirement.get("count", 1))
        matching = [i for i in pool if i not in chosen
                    and accelerator_satisfies(available[i], requirement)]  # type: ignore[arg-type]
        if len(matching) < wanted:
            return None
        chosen.extend(matching[:wanted])
    return chosen
