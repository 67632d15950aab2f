"""Support for toil-hpc's tests: real schedulers started by the test session itself.

* Slurm: ``toil_hpc/scripts/slurm_up.sh`` (apt slurm-wlm + munge, one node on 127.0.0.1).
* Grid Engine: ``toil_hpc/scripts/sge_up.sh`` (apt gridengine-*, daemons inside a private network
  namespace; the clients are wrappers that enter it).
* HTCondor: ``toil_hpc/scripts/htcondor_up.sh`` (a Debian 13 chroot with a one-machine pool on
  127.0.0.1; jobs belong to the unprivileged user ``condorci``; Toil leaders run inside the chroot
  with its own Python environment holding this checkout's toil-core and toil-hpc).
* Torque and LSF: no installable server exists, so ``tests/hpc/fakes/fake_sched.py`` stands in for
  their commands, replaying the recorded output in ``tests/hpc/recorded`` and running the jobs here.

Set-up needs root (and apt-get the first time); without them the tests are skipped with the
reason. ``TOIL_TEST_HPC=0`` skips them on purpose. A set-up that should work but fails is an error.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import attrs
import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "toil_hpc" / "scripts"
HERE = Path(__file__).resolve().parent
FAKE_SCHED = HERE / "fakes" / "fake_sched.py"
CONDOR_USER = "condorci"


@attrs.define
class Scheduler:
    """A scheduler the tests can use, and how to reach it."""

    name: str                       #: the --batchSystem word
    env: Dict[str, str]             #: environment for its clients (in this process and subprocesses)
    real: bool                      #: a real scheduler (False: replayed recorded output)
    kill: Callable[[str], List[str]]  #: the scheduler's own kill command for a job ID
    memory_limit_note: Optional[str] = None  #: why memory is not enforced (None: it is)
    chroot: Optional[str] = None    #: HTCondor: the chroot leaders and jobs run in
    venv_python: Optional[str] = None
    job_user: Optional[str] = None

    def shared_dir(self, prefix: str) -> Path:
        """A fresh directory under /tmp that jobs (and their owner) can write."""
        path = Path(tempfile.mkdtemp(prefix=f"toil-hpc-{self.name}-{prefix}-", dir="/tmp"))
        if self.job_user:
            shutil.chown(path, self.job_user, self.job_user)
        path.chmod(0o777)
        return path

    def python_command(self, args: List[str], cwd: Path, env: Dict[str, str]) -> List[str]:
        """The command line running ``python ARGS`` in ``cwd`` the way a user of this scheduler would
        (for HTCondor: inside the chroot, as the job owner, with the TOIL_* variables of ``env``)."""
        if self.chroot is None:
            return [sys.executable, *args]
        inner_env = [f"{k}={v}" for k, v in sorted(env.items()) if k.startswith("TOIL_")]
        inner_env += [f"PATH={Path(self.venv_python).parent}:/usr/bin:/bin", f"HOME=/home/{self.job_user}",
                      f"TMPDIR={cwd / 'tmpdir'}", "PYTHONUNBUFFERED=1", "LANG=C.UTF-8",
                      "CONDOR_CONFIG=/etc/condor/toil-hpc-client.config"]
        return ["chroot", self.chroot, "runuser", "-u", self.job_user, "--", "env", "-i", *inner_env,
                "sh", "-c", 'cd "$0" && exec "$@"', str(cwd), self.venv_python, *args]

    def run_python(self, args: List[str], cwd: Path, extra_env: Optional[Dict[str, str]] = None,
                   timeout: float = 600, background: bool = False) -> Any:
        env = dict(os.environ)
        env.update(self.env)
        env.update(extra_env or {})
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        env["PYTHONUNBUFFERED"] = "1"
        (cwd / "tmpdir").mkdir(exist_ok=True)
        if self.job_user:
            shutil.chown(cwd / "tmpdir", self.job_user, self.job_user)
        env["TMPDIR"] = str(cwd / "tmpdir")
        cmd = self.python_command(args, cwd, env)
        proc = subprocess.Popen(cmd, cwd=str(cwd), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        if background:
            return proc
        return finish(proc, timeout)


def finish(proc: "subprocess.Popen[str]", timeout: float) -> "subprocess.CompletedProcess[str]":
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, err = proc.communicate()
        pytest.fail(f"{shlex.join(proc.args)} did not finish in {timeout} s\n{out[-3000:]}\n{err[-6000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def describe(proc: "subprocess.CompletedProcess[str]") -> str:
    return f"exit {proc.returncode}\n--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-12000:]}"


# ------------------------------------------------------------------------------------------------
# set-up
# ------------------------------------------------------------------------------------------------

def _impossible(*, netns: bool = False, chroot: bool = False, apt_for: Optional[str] = None) -> Optional[str]:
    """Why a real scheduler cannot be set up here, or None."""
    if os.environ.get("TOIL_TEST_HPC", "").lower() in ("0", "no", "false", "off", "skip"):
        return "TOIL_TEST_HPC=0 turns the HPC scheduler tests off"
    if not sys.platform.startswith("linux"):
        return "the HPC schedulers are set up on Linux only"
    if os.geteuid() != 0:
        return "starting a scheduler needs root (the CI runs the tests as root)"
    if apt_for and not shutil.which(apt_for) and not shutil.which("apt-get"):
        return f"{apt_for} is not installed and apt-get is not available to install it"
    if netns:
        if not shutil.which("ip"):
            return "the 'ip' command (iproute2) is missing: Grid Engine runs in a network namespace"
        probe = subprocess.run(["ip", "netns", "add", "toil-hpc-probe"], capture_output=True, text=True)
        subprocess.run(["ip", "netns", "del", "toil-hpc-probe"], capture_output=True)
        if probe.returncode != 0 and "File exists" not in probe.stderr:
            return f"network namespaces are not available ({probe.stderr.strip()})"
    if chroot:
        if not (shutil.which("debootstrap") or shutil.which("apt-get")
                or Path("/opt/toil-hpc-condor-trixie/usr/sbin/condor_master").exists()):
            return "HTCondor needs a Debian 13 chroot, and neither debootstrap nor apt-get is available"
        with tempfile.TemporaryDirectory() as probe:
            mounted = subprocess.run(["mount", "-t", "tmpfs", "toil-hpc-probe", probe], capture_output=True, text=True)
            if mounted.returncode == 0:
                subprocess.run(["umount", probe], capture_output=True)
            else:
                return f"HTCondor's chroot needs mounts, which are not permitted here ({mounted.stderr.strip()})"
    return None


def _set_up(script: str, timeout: float, env: Optional[Dict[str, str]] = None) -> str:
    started = time.time()
    proc = subprocess.run(["bash", str(SCRIPTS / script)], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        pytest.fail(f"{script} failed (exit {proc.returncode}) after {time.time() - started:.0f} s:\n"
                    f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}", pytrace=False)
    sys.stderr.write(f"\n[toil-hpc] {script}: ready in {time.time() - started:.1f} s\n")
    return proc.stdout


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate()`` until it is true (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
