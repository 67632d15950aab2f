"""Helpers shared by the contract suites (and useful in plugin tests of their own)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from toil_core.common.config import Config
from toil_core.job.description import JobDescription

__all__ = [
    "HEAVY_MODULES",
    "SubclassesAreTests",
    "core_requirement_problem",
    "make_config",
    "make_job_description",
    "run_tiny_workflow",
    "subprocess_env",
]

#: Modules a plugin's registration module must not import (it is imported by ``toil plugins
#: list --check``, by option parsing and by every run that names the backend).
HEAVY_MODULES = (
    "boto3", "botocore", "google.cloud", "googleapiclient", "kubernetes", "pymesos", "htcondor",
    "cwltool", "libcloud", "azure", "numpy", "pandas", "requests", "docker", "paramiko",
)

TINY_WORKFLOW_OK = "tiny workflow result: 42"


class SubclassesAreTests:
    """Base of the contract suites: the suite itself is not collected (``__test__ = False``),
    but every subclass is, unless it sets ``__test__`` itself."""

    __test__ = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__test__" not in cls.__dict__:
            cls.__test__ = True


def make_config(work_dir: Optional[os.PathLike] = None, **values: Any) -> Any:
    """A :class:`~toil_core.common.config.Config` with defaults, a fresh workflow ID and the
    given attributes (``work_dir`` is created and used as ``workDir``)."""
    config = Config()
    config.workflowID = str(uuid.uuid4())
    if work_dir is not None:
        Path(work_dir).mkdir(parents=True, exist_ok=True)
        config.workDir = str(work_dir)
    for name, value in values.items():
        setattr(config, name, value)
    return config


def make_job_description(name: str = "contract", cores: float = 1, memory: int = 100 * 2**20,
                         disk: int = 100 * 2**20, accelerators: Optional[List[Dict[str, Any]]] = None,
                         preemptible: bool = False) -> Any:
    """A job description with these requirements, as the leader passes to ``issueBatchJob``."""
    return JobDescription(jobName=name, displayName=name, jobStoreID=f"{name}-{uuid.uuid4().hex[:8]}",
                          cores=cores, memory=memory, disk=disk, accelerators=list(accelerators or []),
                          preemptible=preemptible)


def subprocess_env(extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The environment for a Python subprocess that must see what this process sees: this
    process's ``sys.path`` (fake distributions, ``pip install --target`` folders) goes into
    ``PYTHONPATH`` and the interpreter's ``bin`` directory first on ``PATH``."""
    env = dict(os.environ)
    paths = [p for p in sys.path if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    env.update(extra or {})
    return env


def run_tiny_workflow(workdir: os.PathLike, batch_system: Optional[str] = None,
                      job_store: Optional[str] = None, extra_args: Sequence[str] = (),
                      env: Optional[Mapping[str, str]] = None,
                      timeout: float = 300) -> "subprocess.CompletedProcess[str]":
    """Run :mod:`toil_core.testing.tiny_workflow` in a fresh interpreter from ``workdir``.

    The workflow (a root job, a child writing a file through the file store and a follow-on
    reading it back) prints ``tiny workflow result: 42`` on success. Its jobs run through the
    named batch system (``--batchSystem``), so this checks a backend end to end with real Toil
    workers. ``job_store`` defaults to ``file:<workdir>/jobstore``.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    args = [job_store or f"file:{workdir / 'jobstore'}"]
    if batch_system:
        args += ["--batchSystem", batch_system]
    args += list(extra_args)
    code = "import sys; from toil_core.testing.tiny_workflow import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=str(workdir), env=subprocess_env(env),
                          capture_output=True, text=True, timeout=timeout)


def wait_until(predicate: Any, timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate()`` until it is true (return True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def _release(text: str) -> List[int]:
    parts = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits or digits != piece:
            break
        parts.append(int(digits))
    return parts


def core_requirement_problem(requirements: Iterable[str], core: str = "toil-core") -> Optional[str]:
    """What is wrong with a distribution's requirement on ``toil-core``, or None if it is a
    bounded range within one major version (``toil-core>=1.0,<2`` or ``toil-core~=1.0``).

    ``requirements`` are ``Requires-Dist`` strings (``importlib.metadata`` ``requires``) or the
    ``dependencies`` of a pyproject.toml. Requirements behind an ``extra`` marker are ignored.
    """
    core_key = re.sub(r"[-_.]+", "-", core).lower()
    found = []
    for requirement in requirements:
        text, _, marker = requirement.partition(";")
        if "extra" in marker:
            continue
        match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$", text)
        if match and re.sub(r"[-_.]+", "-", match.group(1)).lower() == core_key:
            found.append(re.sub(r"[\s()]", "", match.group(3)))
    if not found:
        return f"no requirement on {core}: declare e.g. '{core}>=1.0,<2'"
    if len(found) > 1:
        return f"{core} is required more than once: {found}"
    clauses = [c for c in found[0].split(",") if c]
    ops: Dict[str, List[str]] = {}
    for clause in clauses:
        match = re.match(r"^(===|~=|==|!=|>=|<=|>|<)(.+)$", clause)
        if not match:
            return f"cannot read the {core} requirement {found[0]!r}"
        ops.setdefault(match.group(1), []).append(match.group(2))
    if "==" in ops or "===" in ops:
        return f"{core}{found[0]} is an exact pin; use a range such as '{core}>=1.0,<2'"
    if "~=" in ops:
        release = _release(ops["~="][0])
        return None if len(release) == 2 else (
            f"{core}~={ops['~='][0]} is narrower than a major version; use '~=X.Y' or '>=X.Y,<X+1'")
    if ">=" not in ops or "<" not in ops:
        return f"{core}{found[0]} needs both a lower (>=X.Y) and an upper (<X+1) bound"
    low, high = _release(ops[">="][0]), _release(ops["<"][0])
    if not low or not high or any(high[1:]) or high[0] != low[0] + 1:
        return f"{core}{found[0]} should allow exactly one major version: '>={ops['>='][0]},<{(low or [0])[0] + 1}'"
    return None
