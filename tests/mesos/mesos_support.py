"""Helpers of the toil-mesos tests: the Mesos protocol double (``mesos_double.py``; no real Mesos
installs on this machine) run as a subprocess, and workflow runs against it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest

HERE = Path(__file__).resolve().parent
DOUBLE = HERE / "mesos_double.py"
#: Agents of the shared cluster: two ordinary ones and a preemptible one (cores:MiB:MiB).
AGENTS = ["2:2048:8192", "2:2048:8192", "1:1024:8192:preemptible"]


class MesosCluster:
    """A running double: ``master`` is the HOST:PORT to give --mesosEndpoint."""

    def __init__(self, work_dir: Path, agents: List[str]) -> None:
        work_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, TOIL_MESOS_NODE_INFO_INTERVAL="0.5")
        self.log_path = work_dir / "double.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(DOUBLE), "--work-dir", str(work_dir / "agents"),
                 *[f"--agent={spec}" for spec in agents]],
                stdout=subprocess.PIPE, stderr=log, env=env, start_new_session=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the Mesos double did not start: {self.log_path.read_text()}")
        ready = json.loads(line)
        self.master: str = ready["master"]
        self.control: str = ready["control"]
        self.agents: List[Dict[str, Any]] = ready["agents"]

    def state(self) -> Dict[str, Any]:
        with urllib.request.urlopen(f"http://{self.control}/", timeout=10) as answer:
            return json.load(answer)

    def _post(self, path: str, body: Dict[str, Any]) -> None:
        request = urllib.request.Request(f"http://{self.control}{path}", data=json.dumps(body).encode(),
                                         method="POST")
        urllib.request.urlopen(request, timeout=30).close()

    def kill_agent(self, hostname: str) -> None:
        self._post("/kill_agent", {"hostname": hostname})

    def restart_master(self, down: float) -> None:
        self._post("/restart_master", {"down": down})

    def agent_state(self, hostname: str) -> Dict[str, Any]:
        agent = next(a for a in self.agents if a["hostname"] == hostname)
        address = agent.get("address", hostname)
        with urllib.request.urlopen(f"http://{address}:{agent['port']}/state", timeout=10) as answer:
            return json.load(answer)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll until ``predicate`` returns something true; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


WORKFLOWS = HERE / "workflows"
REPO = HERE.parents[1]


def workflow_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """This interpreter's bin directory first on PATH (where ``_toil_worker`` lives)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(extra or {})
    return env


def run_python(args: List[Any], cwd: Path, timeout: float = 300, background: bool = False,
               env: Optional[Dict[str, str]] = None) -> Any:
    """Run ``python ARGS`` in ``cwd``; with ``background`` return the Popen (output in cwd/run.out/.err)."""
    command = [sys.executable, *[str(a) for a in args]]
    if background:
        out = open(cwd / "run.out", "w")
        err = open(cwd / "run.err", "w")
        return subprocess.Popen(command, cwd=str(cwd), env=workflow_env(env), stdout=out, stderr=err,
                                start_new_session=True)
    return subprocess.run(command, cwd=str(cwd), env=workflow_env(env), capture_output=True, text=True,
                          timeout=timeout)


def describe(proc: Any) -> str:
    return f"exit {proc.returncode}\n--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-6000:]}"


def markers(marker_dir: Path) -> List[Dict[str, Any]]:
    """The attempts the test workflow recorded (workflows/mesos_wf.py)."""
    return [json.loads(p.read_text()) for p in sorted(marker_dir.glob("job*.json"))]
