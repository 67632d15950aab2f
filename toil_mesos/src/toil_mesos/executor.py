"""``_toil_mesos_executor``: the Mesos executor that runs Toil's tasks on an agent.

The agent starts it (one per framework per agent) with ``MESOS_AGENT_ENDPOINT``,
``MESOS_FRAMEWORK_ID``, ``MESOS_EXECUTOR_ID`` and ``MESOS_SANDBOX`` set; it subscribes to the
agent's v1 executor API and for each ``LAUNCH`` runs the task's command in its own process group
in the sandbox, reports ``TASK_RUNNING`` and then ``TASK_FINISHED`` / ``TASK_FAILED`` with the
exit status and wall time (JSON in the status ``data``). ``KILL`` kills the task's whole process
group (TERM, then KILL after a grace period) and reports ``TASK_KILLED``; ``SHUTDOWN`` or losing
the agent for longer than ``MESOS_RECOVERY_TIMEOUT`` kills every task and exits. Every few seconds
it sends the scheduler a framework message describing the node (see :mod:`toil_mesos.node_stats`).

The task's ``data`` is JSON: ``{"argv": [...]}`` (run directly) or ``{"command": "..."}`` (run
with /bin/sh), plus ``"environment"`` (added to the executor's) and the requested ``cores`` and
``memory``.
"""
from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from typing import Any, Dict, List, Optional

import attrs

from toil_mesos.http_api import ApiError, call, decode_data, encode_data, open_stream, parse_endpoint
from toil_mesos.node_stats import CpuMeter, NodeReport, memory_used_fraction

logger = logging.getLogger("toil_mesos.executor")

EXECUTOR_PATH = "/api/v1/executor"
#: Seconds between node reports (TOIL_MESOS_NODE_INFO_INTERVAL overrides it).
NODE_INFO_INTERVAL = 5.0
#: Seconds a killed task's group gets between SIGTERM and SIGKILL.
KILL_GRACE = 3.0


def parse_duration(text: Optional[str], default: float) -> float:
    """Seconds in a Mesos duration such as ``15mins``, ``10secs`` or ``500ms``."""
    if not text:
        return default
    match = re.fullmatch(r"\s*([0-9.]+)\s*(ns|us|ms|secs|mins|hrs|days|weeks)?\s*", text)
    if not match:
        return default
    unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "secs": 1, "mins": 60, "hrs": 3600, "days": 86400,
            "weeks": 604800}[match.group(2) or "secs"]
    return float(match.group(1)) * unit


@attrs.define
class RunningTask:
    task_id: str
    process: subprocess.Popen
    started: float
    cores: float
    memory: int
    killed: bool = False


class ToilExecutor:
    """Runs tasks for one framework on one agent (see the module docstring)."""

    def __init__(self, environ: Dict[str, str]) -> None:
        self.host, self.port = parse_endpoint(environ["MESOS_AGENT_ENDPOINT"])
        self.framework_id = environ["MESOS_FRAMEWORK_ID"]
        self.executor_id = environ["MESOS_EXECUTOR_ID"]
        self.sandbox = environ.get("MESOS_SANDBOX") or environ.get("MESOS_DIRECTORY") or os.getcwd()
        self.recovery_timeout = parse_duration(environ.get("MESOS_RECOVERY_TIMEOUT"), 15 * 60)
        self.report_interval = float(environ.get("TOIL_MESOS_NODE_INFO_INTERVAL") or NODE_INFO_INTERVAL)
        self.tasks: Dict[str, RunningTask] = {}
        self.unacknowledged: Dict[str, Dict[str, Any]] = {}  # uuid -> status
        self.lock = threading.RLock()
        self.done = threading.Event()
        self.agent_address = self.host
        self.cores_total = float(os.cpu_count() or 1)
        self.memory_total = 0
        self.cpu = CpuMeter()

    # ------------------------------------------------------------------ talking to the agent
    def _call(self, body: Dict[str, Any]) -> None:
        body = {"executor_id": {"value": self.executor_id}, "framework_id": {"value": self.framework_id}, **body}
        status, _headers, text = call(self.host, self.port, EXECUTOR_PATH, body, timeout=30)
        if status not in (200, 202):
            raise ApiError(f"{body['type']} refused by the agent: HTTP {status} {text.decode(errors='replace')}",
                           status)

    def send_status(self, task_id: str, state: str, message: str = "", data: Optional[Dict[str, Any]] = None) -> None:
        status: Dict[str, Any] = {
            "task_id": {"value": task_id}, "state": state, "source": "SOURCE_EXECUTOR",
            "executor_id": {"value": self.executor_id}, "timestamp": time.time(),
            "uuid": encode_data(uuid.uuid4().bytes)}
        if message:
            status["message"] = message
        if data is not None:
            status["data"] = encode_data(json.dumps(data).encode())
        with self.lock:
            self.unacknowledged[status["uuid"]] = status
        try:
            self._call({"type": "UPDATE", "update": {"status": status}})
        except (OSError, ApiError) as error:  # resent when re-subscribing
            logger.warning("Could not send %s of task %s yet: %s", state, task_id, error)

    def run(self) -> int:
        threading.Thread(target=self._report_loop, name="node-info", daemon=True).start()
        lost_since: Optional[float] = None
        while not self.done.is_set():
            with self.lock:
                body = {"type": "SUBSCRIBE", "executor_id": {"value": self.executor_id},
                        "framework_id": {"value": self.framework_id},
                        "subscribe": {"unacknowledged_updates": [
                            {"framework_id": {"value": self.framework_id}, "executor_id": {"value": self.executor_id},
                             "status": s} for s in self.unacknowledged.values()],
                            "unacknowledged_tasks": []}}
            try:
                stream = open_stream(self.host, self.port, EXECUTOR_PATH, body, timeout=30)
                stream.set_timeout(None)
                lost_since = None
                try:
                    for event in stream.events():
                        self._handle(event)
                        if self.done.is_set():
                            break
                finally:
                    stream.close()
            except (OSError, ApiError) as error:
                logger.warning("Lost the agent at %s:%s: %s", self.host, self.port, error)
            if self.done.is_set():
                break
            lost_since = lost_since or time.monotonic()
            if time.monotonic() - lost_since > self.recovery_timeout:
                logger.error("The agent did not come back within %.0f s; killing all tasks", self.recovery_timeout)
                break
            time.sleep(1)
        self.kill_all()
        return 0

    def _handle(self, event: Dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "SUBSCRIBED":
            agent = event["subscribed"].get("agent_info") or {}
            self.agent_address = agent.get("hostname") or self.host
            for resource in agent.get("resources") or []:
                value = (resource.get("scalar") or {}).get("value")
                if resource.get("name") == "cpus" and value:
                    self.cores_total = float(value)
                elif resource.get("name") == "mem" and value:
                    self.memory_total = int(float(value) * 2**20)
            with self.lock:  # updates the agent may have missed while we were away
                pending = list(self.unacknowledged.values())
            for status in pending:
                try:
                    self._call({"type": "UPDATE", "update": {"status": status}})
                except (OSError, ApiError):
                    pass
        elif kind == "LAUNCH":
            self.launch(event["launch"]["task"])
        elif kind == "KILL":
            threading.Thread(target=self.kill, args=(event["kill"]["task_id"]["value"],), daemon=True).start()
        elif kind == "ACKNOWLEDGED":
            with self.lock:
                self.unacknowledged.pop(event["acknowledged"]["uuid"], None)
        elif kind == "SHUTDOWN":
            self.done.set()
        elif kind == "ERROR":
            logger.error("The agent reports an error: %s", event.get("error", {}).get("message"))

    # ------------------------------------------------------------------ tasks
    def launch(self, task: Dict[str, Any]) -> None:
        task_id = task["task_id"]["value"]
        started = time.time()  # before the process starts: the wall time never falls short
        try:
            payload = json.loads(decode_data(task.get("data")))
            env = dict(os.environ)
            env.update(payload.get("environment") or {})
            env["TOIL_WORKDIR"] = env.get("TOIL_WORKDIR") or self.sandbox
            if payload.get("argv"):
                process = subprocess.Popen(payload["argv"], cwd=self.sandbox, env=env, start_new_session=True)
            else:
                process = subprocess.Popen(payload["command"], shell=True, cwd=self.sandbox, env=env,
                                           start_new_session=True)
        except Exception as error:  # a bad task or a missing program: the task fails, the executor lives
            logger.exception("Could not start task %s", task_id)
            self.send_status(task_id, "TASK_FAILED", f"could not start: {error}",
                             {"exit_status": 127, "wall_time": 0.0})
            return
        running = RunningTask(task_id, process, started, float(payload.get("cores", 0)),
                              int(payload.get("memory", 0)))
        with self.lock:
            self.tasks[task_id] = running
        self.send_status(task_id, "TASK_RUNNING")
        threading.Thread(target=self._wait, args=(running,), name=f"task-{task_id}", daemon=True).start()

    def _wait(self, task: RunningTask) -> None:
        code = task.process.wait()
        wall = time.time() - task.started
        with self.lock:
            self.tasks.pop(task.task_id, None)
        status = code if code >= 0 else 128 - code
        if task.killed:
            self.send_status(task.task_id, "TASK_KILLED", "killed by the scheduler",
                             {"exit_status": status, "wall_time": wall})
        elif code == 0:
            self.send_status(task.task_id, "TASK_FINISHED", "", {"exit_status": 0, "wall_time": wall})
        else:
            self.send_status(task.task_id, "TASK_FAILED", f"exited with status {status}",
                             {"exit_status": status, "wall_time": wall})

    def kill(self, task_id: str) -> None:
        with self.lock:
            task = self.tasks.get(task_id)
        if task is None:
            return
        task.killed = True
        _kill_group(task.process, signal.SIGTERM)
        try:
            task.process.wait(timeout=KILL_GRACE)
        except subprocess.TimeoutExpired:
            pass
        _kill_group(task.process, signal.SIGKILL)  # also whatever the task left in its group

    def kill_all(self) -> None:
        with self.lock:
            tasks = list(self.tasks.values())
        for task in tasks:
            task.killed = True
            _kill_group(task.process, signal.SIGKILL)

    # ------------------------------------------------------------------ node reports
    def report(self) -> NodeReport:
        with self.lock:
            tasks = list(self.tasks.values())
        return NodeReport(self.agent_address, self.cpu.used_fraction(), memory_used_fraction(), self.cores_total,
                          self.memory_total, sum(t.cores for t in tasks), sum(t.memory for t in tasks), len(tasks))

    def _report_loop(self) -> None:
        while not self.done.wait(self.report_interval):
            try:
                data = json.dumps(self.report().to_json()).encode()
                self._call({"type": "MESSAGE", "message": {"data": encode_data(data)}})
            except (OSError, ApiError) as error:
                logger.debug("Could not send the node report: %s", error)


def _kill_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def main(argv: Optional[List[str]] = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    missing = [name for name in ("MESOS_AGENT_ENDPOINT", "MESOS_FRAMEWORK_ID", "MESOS_EXECUTOR_ID")
               if not os.environ.get(name)]
    if missing:
        print(f"_toil_mesos_executor is started by a Mesos agent; {', '.join(missing)} not set.", file=sys.stderr)
        return 2
    executor = ToilExecutor(dict(os.environ))

    def terminate(*_: Any) -> None:  # the agent stops us: take the tasks along
        executor.done.set()
        executor.kill_all()
        os._exit(0)

    signal.signal(signal.SIGTERM, terminate)
    return executor.run()


if __name__ == "__main__":
    sys.exit(main())
