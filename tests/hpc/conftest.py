"""Session fixtures of toil-hpc's tests: one per scheduler (see hpc_support.py for how each is
set up, and why Torque and LSF are replayed from recorded output)."""
from __future__ import annotations

import importlib.util
import os
import shlex
import sys
from typing import Any, Callable, Dict, List

import pytest
from hpc_support import CONDOR_USER, FAKE_SCHED, REPO, Scheduler, _impossible, _set_up

_SESSION_CACHE: Dict[str, Any] = {}


def _once(key: str, make: Callable[[], Any]) -> Any:
    """Set a scheduler up once per session; a skip or failure is remembered too."""
    if key not in _SESSION_CACHE:
        try:
            _SESSION_CACHE[key] = ("ok", make())
        except pytest.skip.Exception as exc:
            _SESSION_CACHE[key] = ("skip", str(exc))
        except BaseException as exc:  # noqa: BLE001 - replayed to every test that needs it
            _SESSION_CACHE[key] = ("fail", str(exc))
    state, value = _SESSION_CACHE[key]
    if state == "skip":
        pytest.skip(value)
    if state == "fail":
        pytest.fail(value, pytrace=False)
    return value


@pytest.fixture(scope="session")
def slurm() -> Scheduler:
    def make() -> Scheduler:
        reason = _impossible(apt_for="slurmctld")
        if reason:
            pytest.skip(f"real Slurm not available: {reason}")
        _set_up("slurm_up.sh", timeout=600)
        return Scheduler("slurm", {}, True, lambda job_id: ["scancel", job_id])
    return _once("slurm", make)


@pytest.fixture(scope="session")
def grid_engine() -> Scheduler:
    def make() -> Scheduler:
        reason = _impossible(netns=True, apt_for="sge_qmaster")
        if reason:
            pytest.skip(f"real Grid Engine not available: {reason}")
        out = _set_up("sge_up.sh", timeout=900)
        bin_dir = out.strip().splitlines()[-1].split("bin:", 1)[1].strip()
        env = {"PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "SGE_ROOT": "/var/lib/gridengine",
               "SGE_CELL": "default"}
        return Scheduler("grid_engine", env, True, lambda job_id: [f"{bin_dir}/qdel", job_id],
                         memory_limit_note="h_vmem is an address-space limit: the job fails with MemoryError")
    return _once("grid_engine", make)


@pytest.fixture(scope="session")
def htcondor() -> Scheduler:
    def make() -> Scheduler:
        reason = _impossible(chroot=True)
        if reason:
            pytest.skip(f"real HTCondor not available: {reason}")
        if importlib.util.find_spec("htcondor") is None:
            pytest.skip("the htcondor Python bindings are not installed (pip install 'toil-hpc[htcondor]')")
        _set_up("htcondor_up.sh", timeout=1200, env={"REPO": str(REPO), "CI_USER": CONDOR_USER})
        root = "/opt/toil-hpc-condor-trixie"
        env = {"CONDOR_CONFIG": "/var/lib/toil-hpc-condor/condor_client.config",
               "_CONDOR_SEC_CLAIMTOBE_USER": CONDOR_USER}
        return Scheduler("htcondor", env, True, lambda job_id: ["chroot", root, "env", "-u", "CONDOR_CONFIG", "condor_rm", job_id],
                         chroot=root, venv_python="/opt/toil-hpc-venv/bin/python", job_user=CONDOR_USER)
    return _once("htcondor", make)


def _fake(flavor: str, commands: List[str], kill: str, tmp: Any) -> Scheduler:
    if not sys.platform.startswith("linux"):
        pytest.skip("the recorded-output stand-ins use /proc (Linux only)")
    bin_dir = tmp.mktemp(f"fake-{flavor}-bin")
    for command in commands:
        wrapper = bin_dir / command
        wrapper.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(FAKE_SCHED))} "
                           f"{flavor} {command} \"$@\"\n")
        wrapper.chmod(0o755)
    state = tmp.mktemp(f"fake-{flavor}-state")
    env = {"PATH": str(bin_dir) + os.pathsep + os.environ.get("PATH", ""), "FAKE_SCHED_STATE": str(state)}
    return Scheduler(flavor, env, False, lambda job_id: [str(bin_dir / kill), job_id])


@pytest.fixture(scope="session")
def torque(tmp_path_factory: Any) -> Scheduler:
    """Torque cannot be installed: its commands are replayed from recorded output."""
    return _once("torque", lambda: _fake("torque", ["qsub", "qstat", "qdel"], "qdel", tmp_path_factory))


@pytest.fixture(scope="session")
def lsf(tmp_path_factory: Any) -> Scheduler:
    """LSF cannot be installed: its commands are replayed from recorded output."""
    return _once("lsf", lambda: _fake("lsf", ["bsub", "bjobs", "bkill"], "bkill", tmp_path_factory))


_SCHEDULER_FIXTURES = {"slurm", "grid_engine", "htcondor", "torque", "lsf"}


def pytest_collection_modifyitems(config: Any, items: List[Any]) -> None:
    """A test that is first to need a scheduler also waits for its set-up (HTCondor's chroot takes
    minutes on a fresh machine): give those tests more than the suite's default timeout."""
    if not config.pluginmanager.hasplugin("timeout"):
        return
    for item in items:
        if _SCHEDULER_FIXTURES & set(getattr(item, "fixturenames", ())) or \
                getattr(getattr(item, "cls", None), "scheduler_fixture", None):
            item.add_marker(pytest.mark.timeout(1800))


@pytest.fixture
def use_scheduler(monkeypatch: pytest.MonkeyPatch) -> Callable[[Scheduler], Scheduler]:
    """Point this process's environment at a scheduler (for batch systems run in-process)."""
    def use(scheduler: Scheduler) -> Scheduler:
        for key, value in scheduler.env.items():
            monkeypatch.setenv(key, value)
        if "htcondor" in sys.modules and scheduler.name == "htcondor":
            sys.modules["htcondor"].reload_config()
        return scheduler
    return use
