"""Helpers shared by the toil-hpc scheduler modules: running scheduler commands, job status
records, parsing durations and extra-argument environment variables, building job scripts."""
from __future__ import annotations

import logging
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from typing import Any, List, Mapping, Optional, Sequence

from toil_core.plugin_api import JOB_DONE as DONE  # noqa: F401  (the states, JobStatus and exit_reason_for:
from toil_core.plugin_api import JOB_PENDING as PENDING  # noqa: F401  part of this module's API)
from toil_core.plugin_api import JOB_RUNNING as RUNNING  # noqa: F401
from toil_core.plugin_api import WORKER_COMMAND, ToilError, exit_reason_for  # noqa: F401
from toil_core.plugin_api import SchedulerJobStatus as JobStatus  # noqa: F401

logger = logging.getLogger(__name__)

MiB = 1024 * 1024


class SchedulerCommandError(ToilError):
    """A scheduler command failed (or could not be started)."""

    def __init__(self, args: Sequence[str], returncode: Optional[int], stderr: str) -> None:
        self.args_run = list(args)
        self.returncode = returncode
        self.stderr = (stderr or "").strip()
        what = "could not be run" if returncode is None else f"exited with status {returncode}"
        super().__init__(f"`{shlex.join(self.args_run)}` {what}: {self.stderr or '(no error output)'}")


def run_scheduler_command(args: Sequence[str], input: Optional[str] = None, timeout: float = 300,
                          retries: int = 0, retry_delay: float = 2.0) -> str:
    """Run a scheduler command and return its stdout; retry ``retries`` times on failure."""
    attempt = 0
    while True:
        try:
            proc = subprocess.run(list(args), input=input, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            error = SchedulerCommandError(args, None, str(exc))
        else:
            if proc.returncode == 0:
                return proc.stdout
            error = SchedulerCommandError(args, proc.returncode, proc.stderr or proc.stdout)
        if attempt >= retries:
            raise error
        attempt += 1
        logger.warning("%s; retrying (%d of %d)", error, attempt, retries)
        time.sleep(retry_delay * attempt)


def run_scheduler_query(args: Sequence[str], timeout: float = 300) -> "subprocess.CompletedProcess[str]":
    """Run a query whose exit status may be nonzero for partly unknown jobs (``qstat -f A B``);
    only failing to start it raises."""
    try:
        return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SchedulerCommandError(args, None, str(exc)) from exc


def shell_path_with_variable(path: str, placeholder: str, variable: str) -> str:
    """``path`` quoted for the shell, with ``placeholder`` replaced by ``"${variable}"``."""
    return '"${%s}"' % variable if path == placeholder else \
        ('"${%s}"' % variable).join(shlex.quote(part) if part else "" for part in path.split(placeholder))


def parse_duration(text: str) -> Optional[float]:
    """Seconds in ``[D-]HH:MM:SS``, ``MM:SS`` or a plain number of seconds; None if unparseable."""
    text = (text or "").strip()
    match = re.fullmatch(r"(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)(?:\.\d+)?", text)
    if match:
        days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
        return float(((days * 24 + hours) * 60 + minutes) * 60 + seconds)
    try:
        return float(text)
    except ValueError:
        return None


def split_args(label: str, text: Optional[str]) -> List[str]:
    """The words of an extra-arguments setting (shell quoting honoured); ``label`` names it in errors."""
    try:
        return shlex.split(text or "")
    except ValueError as exc:
        raise ValueError(f"Cannot parse {label}={text!r}: {exc}") from None


def check_no_resource_args(env_name: str, args: Sequence[str], forbidden: Sequence[str]) -> None:
    """Refuse resource options in a user's extra arguments: Toil sets those itself per job.

    ``forbidden`` holds option names: ``--mem`` matches ``--mem`` and ``--mem=1G``; a short option
    such as ``-c`` also matches ``-c4``."""
    def clashes(arg: str, option: str) -> bool:
        if arg == option or arg.startswith(option + "="):
            return True
        return len(option) == 2 and not option.startswith("--") and arg.startswith(option)

    bad = [a for a in args if any(clashes(a, f) for f in forbidden)]
    if bad:
        raise ValueError(f"{env_name} must not set {', '.join(bad)}: Toil requests cores and memory for "
                         f"each job itself (from the job's requirements).")


def gpu_count(accelerators: Optional[Sequence[Mapping[str, Any]]]) -> int:
    return sum(int(a.get("count", 1)) for a in accelerators or () if a.get("kind", "gpu") == "gpu")


def resolve_worker_command(command: str) -> str:
    """Run ``_toil_worker`` from this interpreter's environment (the same venv on every node)."""
    try:
        parts = shlex.split(command)
    except ValueError:
        return command
    if not parts or parts[0] != WORKER_COMMAND:
        return command
    candidate = os.path.join(os.path.dirname(sys.executable), WORKER_COMMAND)
    if not os.path.exists(candidate):
        candidate = shutil.which(WORKER_COMMAND) or WORKER_COMMAND
    return shlex.join([candidate] + parts[1:])


def job_script(command: str, environment: Mapping[str, str], shell: str = "/bin/sh") -> str:
    """A shell script exporting ``environment`` and running ``command``."""
    lines = [f"#!{shell}"]
    for key, value in environment.items():
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            lines.append(f"export {key}={shlex.quote(value)}")
    lines.append(command)
    return "\n".join(lines) + "\n"
