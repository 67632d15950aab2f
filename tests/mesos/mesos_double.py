"""A protocol double of a Mesos master and its agents, for the toil-mesos tests.

No Mesos master or agent installs on this machine (no Debian or PyPI package), so the tests run
against this double instead. It is NOT Mesos: it speaks the parts of the real v1 HTTP APIs that a
framework and an executor use, and keeps offers and resources honestly:

* the master's scheduler API (``POST /api/v1/scheduler``): SUBSCRIBE (a chunked RecordIO stream of
  SUBSCRIBED, OFFERS, RESCIND, UPDATE, MESSAGE, FAILURE, ERROR and HEARTBEAT events), ACCEPT with
  LAUNCH, DECLINE with filters, KILL, ACKNOWLEDGE, RECONCILE, MESSAGE, REVIVE, SUPPRESS, TEARDOWN;
  role validation and MULTI_ROLE allocation; framework failover timeouts; ``/master/slaves``;
* each agent's executor API (``POST /api/v1/executor``: SUBSCRIBE, UPDATE, MESSAGE) and ``/state``;
  an agent starts the framework's executor (the real ``_toil_mesos_executor``) as a local process
  in a sandbox directory with the ``MESOS_*`` environment a real agent gives it.

Several agents can run, each on its own loopback address (127.0.1.N), some marked
``preemptible:true``. A control port lets tests add an agent (as a provisioner starting a machine
would), kill an agent (its tasks become TASK_LOST),
restart the master (a failover: the streams break, state survives as the agents would report it)
and read a log of what happened. Run it as ``python mesos_double.py --agent 2:2048:4096
--agent 1:1024:4096:preemptible``; it prints one JSON line with its addresses when ready.
"""
from __future__ import annotations

import argparse
import base64
import http.server
import itertools
import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple

RESOURCE_NAMES = ("cpus", "mem", "disk")
TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR", "TASK_DROPPED",
            "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNREACHABLE", "TASK_UNKNOWN"}
HEARTBEAT = 2.0


def _record(event: Dict[str, Any]) -> bytes:
    data = json.dumps(event).encode()
    record = str(len(data)).encode() + b"\n" + data
    return b"%x\r\n%s\r\n" % (len(record), record)


def _scalars(resources: List[Dict[str, Any]]) -> Dict[str, float]:
    total = {name: 0.0 for name in RESOURCE_NAMES}
    for resource in resources or []:
        if resource.get("name") in total:
            total[resource["name"]] += float((resource.get("scalar") or {}).get("value", 0))
    return total


def role_problem(role: str) -> Optional[str]:
    """Why Mesos would refuse this role name, or None."""
    if role in ("", ".", ".."):
        return "Role name cannot be empty, '.' or '..'"
    if role.startswith("-"):
        return "Role name cannot start with '-'"
    if re.search(r"[\s\x00-\x1f\x7f\\]", role):
        return "Role name cannot contain whitespace, control characters or backslashes"
    if role.startswith("/") or role.endswith("/") or "//" in role:
        return "Role name cannot start or end with '/' or contain '//'"
    if any(part in (".", "..") for part in role.split("/")):
        return "Role path components cannot be '.' or '..'"
    return None


def descendants(pid: int) -> List[int]:
    """All live descendants of ``pid`` (read from /proc)."""
    children: Dict[int, List[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL a process and everything under it (a real agent kills the container's cgroup)."""
    for pid in [process.pid, *descendants(process.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Stream:
    """One open event stream (a subscribed scheduler or executor)."""

    def __init__(self) -> None:
        self.events: "list[Optional[Dict[str, Any]]]" = []
        self.cond = threading.Condition()
        self.id = str(uuid.uuid4())

    def send(self, event: Optional[Dict[str, Any]]) -> None:
        with self.cond:
            self.events.append(event)
            self.cond.notify()

    def close(self) -> None:
        self.send(None)

    def pump(self, handler: http.server.BaseHTTPRequestHandler, heartbeat: float) -> None:
        """Write events to the HTTP response until closed or the client goes away."""
        while True:
            with self.cond:
                if not self.events:
                    self.cond.wait(heartbeat)
                batch, self.events = self.events, []
            if not batch:
                batch = [{"type": "HEARTBEAT"}]
            for event in batch:
                if event is None:
                    try:
                        handler.wfile.write(b"0\r\n\r\n")
                    except OSError:
                        pass
                    return
                try:
                    handler.wfile.write(_record(event))
                    handler.wfile.flush()
                except OSError:
                    return


class Framework:
    def __init__(self, framework_id: str, info: Dict[str, Any]) -> None:
        self.id = framework_id
        self.info = info
        self.stream: Optional[Stream] = None
        self.disconnected_at: Optional[float] = time.monotonic()
        self.filters: Dict[str, float] = {}
        self.suppressed = False
        self.unacked: Dict[str, Tuple[str, Dict[str, Any]]] = {}  # uuid -> (agent id, status)
        roles = info.get("roles") or []
        multi = any(c.get("type") == "MULTI_ROLE" for c in info.get("capabilities") or [])
        self.role: Optional[str] = roles[0] if roles and multi else None

    def send(self, event: Dict[str, Any]) -> None:
        if self.stream is not None:
            self.stream.send(event)


class Executor:
    def __init__(self, framework_id: str, info: Dict[str, Any], process: subprocess.Popen, sandbox: str) -> None:
        self.framework_id = framework_id
        self.info = info
        self.process = process
        self.sandbox = sandbox
        self.stream: Optional[Stream] = None
        self.pending: List[Dict[str, Any]] = []

    def send(self, event: Dict[str, Any]) -> None:
        if self.stream is not None:
            self.stream.send(event)
        else:
            self.pending.append(event)


class Task:
    def __init__(self, framework_id: str, info: Dict[str, Any], agent_id: str) -> None:
        self.framework_id = framework_id
        self.info = info
        self.id = info["task_id"]["value"]
        self.agent_id = agent_id
        self.executor_id = info["executor"]["executor_id"]["value"]
        self.resources = _scalars(info.get("resources") or [])
        self.state = "TASK_STAGING"


class Agent:
    def __init__(self, index: int, spec: str, work_dir: str, hostname: Optional[str] = None) -> None:
        parts = spec.split(":")
        self.total = {"cpus": float(parts[0]), "mem": float(parts[1]), "disk": float(parts[2])}
        self.preemptible = len(parts) > 3 and parts[3] == "preemptible"
        self.id = f"{uuid.uuid4()}-S{index}"
        #: where the agent listens; ``hostname`` is the name it registers with (a machine's private
        #: IP, say, when a test provisioner's instance stands behind it), by default the same
        self.address = f"127.0.1.{index + 1}"
        self.hostname = hostname or self.address
        self.work_dir = os.path.join(work_dir, f"agent{index}")
        self.alive = True
        self.executors: Dict[Tuple[str, str], Executor] = {}
        self.tasks: Dict[str, Task] = {}
        self.server: Optional[http.server.ThreadingHTTPServer] = None
        self.port = 0
        self.runs = itertools.count()
        self.launched = time.time()

    def attributes_v1(self) -> List[Dict[str, Any]]:
        return [{"name": "preemptible", "type": "TEXT", "text": {"value": "true" if self.preemptible else "false"}}]

    def used(self) -> Dict[str, float]:
        used = {name: 0.0 for name in RESOURCE_NAMES}
        for task in self.tasks.values():
            if task.state not in TERMINAL:
                for name in RESOURCE_NAMES:
                    used[name] += task.resources[name]
        return used

    def resources_v1(self, amounts: Dict[str, float], role: Optional[str]) -> List[Dict[str, Any]]:
        out = []
        for name in RESOURCE_NAMES:
            resource: Dict[str, Any] = {"name": name, "type": "SCALAR", "scalar": {"value": round(amounts[name], 4)}}
            if role:
                resource["allocation_info"] = {"role": role}
            else:
                resource["role"] = "*"
            out.append(resource)
        return out

    def state(self) -> Dict[str, Any]:
        return {"id": self.id, "hostname": self.hostname, "address": self.address, "port": self.port, "resources": self.total,
                "used_resources": self.used(), "attributes": {"preemptible": "true" if self.preemptible else "false"},
                "active": self.alive, "launched": self.launched,
                "tasks": [{"id": t.id, "framework_id": t.framework_id, "state": t.state} for t in self.tasks.values()]}


class MesosDouble:
    def __init__(self, agent_specs: List[str], work_dir: str, port: int = 0) -> None:
        self.lock = threading.RLock()
        self.work_dir = work_dir
        self.frameworks: Dict[str, Framework] = {}
        self.agents = [Agent(i, spec, work_dir) for i, spec in enumerate(agent_specs)]
        self.offers: Dict[str, Tuple[str, str, Dict[str, float]]] = {}  # id -> (framework, agent, amounts)
        self.log: Dict[str, Any] = {"subscriptions": [], "launches": [], "declines": 0, "kills": [],
                                    "teardowns": [], "refused": [], "reconciles": 0, "lost": [],
                                    "agents_added": [], "agents_killed": []}
        self.master_up = False
        self.port = port
        self.server: Optional[http.server.ThreadingHTTPServer] = None
        self.round_robin = itertools.count()
        self.stopped = threading.Event()

    # ------------------------------------------------------------------ servers
    def start(self) -> None:
        for agent in self.agents:
            agent.server = _server((agent.address, 0), self, agent)
            agent.port = agent.server.server_address[1]
            threading.Thread(target=agent.server.serve_forever, daemon=True).start()
        self._start_master()
        threading.Thread(target=self._allocator, daemon=True).start()

    def _start_master(self) -> None:
        self.server = _server(("127.0.0.1", self.port), self, None)
        self.port = self.server.server_address[1]
        self.master_up = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def restart_master(self, down: float) -> None:
        """A failover: the master goes away for ``down`` seconds; streams and offers are lost,
        frameworks, agents and tasks are known again afterwards (as agents re-register)."""
        with self.lock:
            self.master_up = False
            server, self.server = self.server, None
            for framework in self.frameworks.values():
                if framework.stream is not None:
                    framework.stream.close()
                    framework.stream = None
            self.offers.clear()
        if server is not None:
            server.shutdown()
            server.server_close()
        time.sleep(down)
        with self.lock:
            self._start_master()
            for framework in self.frameworks.values():
                framework.disconnected_at = time.monotonic()

    def shutdown(self) -> None:
        self.stopped.set()
        with self.lock:
            for agent in self.agents:
                for executor in agent.executors.values():
                    kill_tree(executor.process)

    # ------------------------------------------------------------------ allocation
    def _allocator(self) -> None:
        while not self.stopped.wait(0.05):
            with self.lock:
                if not self.master_up:
                    continue
                now = time.monotonic()
                for framework in list(self.frameworks.values()):
                    timeout = float(framework.info.get("failover_timeout") or 0)
                    if framework.stream is None and framework.disconnected_at is not None \
                            and now - framework.disconnected_at > timeout:
                        self.teardown(framework.id, "failover timeout")
                for agent in self.agents:
                    self._offer(agent, now)

    def _offer(self, agent: Agent, now: float) -> None:
        if not agent.alive or any(a == agent.id for _f, a, _r in self.offers.values()):
            return
        used = agent.used()
        free = {name: agent.total[name] - used[name] for name in RESOURCE_NAMES}
        if free["cpus"] < 0.01 or free["mem"] < 1:
            return
        candidates = [f for f in self.frameworks.values() if f.stream is not None and not f.suppressed
                      and f.filters.get(agent.id, 0) <= now]
        if not candidates:
            return
        framework = candidates[next(self.round_robin) % len(candidates)]
        offer_id = f"{framework.id}-O{len(self.offers)}-{uuid.uuid4().hex[:6]}"
        self.offers[offer_id] = (framework.id, agent.id, free)
        framework.send({"type": "OFFERS", "offers": {"offers": [{
            "id": {"value": offer_id}, "framework_id": {"value": framework.id}, "agent_id": {"value": agent.id},
            "hostname": agent.hostname, "attributes": agent.attributes_v1(),
            "url": {"scheme": "http", "address": {"hostname": agent.hostname, "ip": agent.address,
                                                  "port": agent.port}, "path": "/slave(1)"},
            "resources": agent.resources_v1(free, framework.role)}]}})

    def agent(self, agent_id: str) -> Optional[Agent]:
        return next((a for a in self.agents if a.id == agent_id), None)

    # ------------------------------------------------------------------ scheduler calls
    def subscribe(self, body: Dict[str, Any]) -> Tuple[Optional[Framework], Optional[str]]:
        info = body.get("subscribe", {}).get("framework_info") or {}
        for role in info.get("roles") or ([info["role"]] if info.get("role") else []):
            problem = role_problem(role)
            if problem:
                self.log["refused"].append(role)
                return None, f"Failed to validate FrameworkInfo: Role '{role}' is invalid: {problem}"
        given = (body.get("framework_id") or info.get("id") or {}).get("value")
        with self.lock:
            framework_id = given or f"{uuid.uuid4()}-0000"
            framework = self.frameworks.get(framework_id)
            if framework is None:
                framework = self.frameworks[framework_id] = Framework(framework_id, info)
            elif framework.stream is not None:
                framework.stream.send({"type": "ERROR", "error": {"message": "Framework failed over"}})
                framework.stream.close()
            framework.info = info
            framework.stream = Stream()
            framework.disconnected_at = None
            self.log["subscriptions"].append({"given": given, "framework_id": framework_id})
            framework.send({"type": "SUBSCRIBED", "subscribed": {
                "framework_id": {"value": framework_id}, "heartbeat_interval_seconds": HEARTBEAT,
                "master_info": {"id": "double", "ip": 0, "port": self.port, "hostname": "127.0.0.1"}}})
            for _agent_id, status in framework.unacked.values():
                framework.send({"type": "UPDATE", "update": {"status": status}})
        return framework, None

    def stream_ended(self, framework: Framework, stream: Stream) -> None:
        with self.lock:
            if framework.stream is stream:
                framework.stream = None
                framework.disconnected_at = time.monotonic()
                for offer_id in [o for o, (f, _a, _r) in self.offers.items() if f == framework.id]:
                    del self.offers[offer_id]

    def scheduler_call(self, body: Dict[str, Any], stream_id: Optional[str]) -> Tuple[int, str]:
        with self.lock:
            framework = self.frameworks.get((body.get("framework_id") or {}).get("value", ""))
            if framework is None or framework.stream is None or framework.stream.id != stream_id:
                return 400, "The framework is not subscribed on this stream (Mesos-Stream-Id)"
            kind = body.get("type")
            handler = getattr(self, f"_call_{str(kind).lower()}", None)
            if handler is None:
                return 400, f"Unsupported call {kind}"
            return handler(framework, body.get(str(kind).lower()) or {}) or (202, "")

    def _master_update(self, framework: Framework, task_id: str, agent_id: str, state: str, reason: str,
                       message: str, with_uuid: bool = True) -> None:
        status = {"task_id": {"value": task_id}, "state": state, "source": "SOURCE_MASTER", "reason": reason,
                  "message": message, "agent_id": {"value": agent_id}, "timestamp": time.time()}
        if with_uuid:
            status["uuid"] = base64.b64encode(uuid.uuid4().bytes).decode()
            framework.unacked[status["uuid"]] = (agent_id, status)
        framework.send({"type": "UPDATE", "update": {"status": status}})

    def _call_accept(self, framework: Framework, accept: Dict[str, Any]) -> None:
        offer_ids = [o["value"] for o in accept.get("offer_ids", [])]
        offers = [self.offers.pop(o, None) for o in offer_ids]
        tasks = [t for op in accept.get("operations", []) if op.get("type") == "LAUNCH"
                 for t in op.get("launch", {}).get("task_infos", [])]
        agents = {o[1] for o in offers if o is not None}
        if any(o is None or o[0] != framework.id for o in offers) or len(agents) != 1:
            for task in tasks:
                self._master_update(framework, task["task_id"]["value"], task["agent_id"]["value"], "TASK_LOST",
                                    "REASON_INVALID_OFFERS", "Task launched with invalid offers")
            return
        agent = self.agent(agents.pop())
        assert agent is not None
        left = {name: sum(o[2][name] for o in offers if o) for name in RESOURCE_NAMES}
        for info in tasks:
            task_id = info["task_id"]["value"]
            wanted = _scalars(info.get("resources") or [])
            problem = None
            if framework.role and any((r.get("allocation_info") or {}).get("role") != framework.role
                                      for r in info.get("resources") or []):
                problem = f"Task resources must be allocated to role '{framework.role}'"
            elif any(wanted[n] > left[n] + 1e-6 for n in RESOURCE_NAMES):
                problem = f"Task uses more resources {wanted} than available {left}"
            elif info["agent_id"]["value"] != agent.id:
                problem = "Task's agent differs from the offer's"
            if problem:
                self._master_update(framework, task_id, agent.id, "TASK_ERROR", "REASON_TASK_INVALID", problem)
                continue
            for name in RESOURCE_NAMES:
                left[name] -= wanted[name]
            self.log["launches"].append({"task_id": task_id, "agent": agent.hostname, "framework": framework.id})
            self._launch(agent, framework, info)
        refuse = float((accept.get("filters") or {}).get("refuse_seconds", 5))
        framework.filters[agent.id] = time.monotonic() + refuse

    def _call_decline(self, framework: Framework, decline: Dict[str, Any]) -> None:
        refuse = float((decline.get("filters") or {}).get("refuse_seconds", 5))
        for offer in decline.get("offer_ids", []):
            found = self.offers.pop(offer["value"], None)
            if found is not None and found[0] == framework.id:
                self.log["declines"] += 1
                framework.filters[found[1]] = time.monotonic() + refuse

    def _find_task(self, framework: Framework, task_id: str) -> Optional[Task]:
        for agent in self.agents:
            task = agent.tasks.get(task_id)
            if task is not None and task.framework_id == framework.id:
                return task
        return None

    def _call_kill(self, framework: Framework, kill: Dict[str, Any]) -> None:
        task_id = kill["task_id"]["value"]
        self.log["kills"].append(task_id)
        task = self._find_task(framework, task_id)
        agent = self.agent(task.agent_id) if task else None
        if task is None or agent is None or not agent.alive:
            self._master_update(framework, task_id, (kill.get("agent_id") or {}).get("value", ""), "TASK_LOST",
                                "REASON_RECONCILIATION", "Attempted to kill an unknown task")
            return
        if task.state in TERMINAL:
            return
        executor = agent.executors.get((framework.id, task.executor_id))
        if executor is None or executor.stream is None:  # not started yet: the agent drops it
            if executor is not None:
                executor.pending = [e for e in executor.pending if e.get("type") != "LAUNCH"
                                    or e["launch"]["task"]["task_id"]["value"] != task_id]
            self._agent_update(agent, framework.id, {"task_id": {"value": task_id}, "state": "TASK_KILLED",
                                                     "source": "SOURCE_AGENT", "message": "killed before start",
                                                     "uuid": base64.b64encode(uuid.uuid4().bytes).decode()})
            return
        executor.send({"type": "KILL", "kill": {"task_id": {"value": task_id}}})

    def _call_acknowledge(self, framework: Framework, ack: Dict[str, Any]) -> None:
        found = framework.unacked.pop(ack.get("uuid", ""), None)
        if found is None:
            return
        agent = self.agent(found[0])
        task = agent.tasks.get(ack["task_id"]["value"]) if agent else None
        if agent is not None and task is not None and agent.alive:
            executor = agent.executors.get((framework.id, task.executor_id))
            if executor is not None:
                executor.send({"type": "ACKNOWLEDGED", "acknowledged": {"task_id": ack["task_id"],
                                                                        "uuid": ack["uuid"]}})

    def _call_reconcile(self, framework: Framework, reconcile: Dict[str, Any]) -> None:
        self.log["reconciles"] += 1
        wanted = [t["task_id"]["value"] for t in reconcile.get("tasks", [])]
        if not wanted:
            wanted = [t.id for a in self.agents for t in a.tasks.values() if t.framework_id == framework.id]
        for task_id in wanted:
            task = self._find_task(framework, task_id)
            agent = self.agent(task.agent_id) if task else None
            if task is None or agent is None or not agent.alive:
                self._master_update(framework, task_id, "", "TASK_LOST", "REASON_RECONCILIATION", "unknown task",
                                    with_uuid=False)
            else:
                self._master_update(framework, task_id, agent.id, task.state, "REASON_RECONCILIATION", "",
                                    with_uuid=False)

    def _call_message(self, framework: Framework, message: Dict[str, Any]) -> None:
        agent = self.agent(message["agent_id"]["value"])
        executor = agent.executors.get((framework.id, message["executor_id"]["value"])) if agent else None
        if executor is not None:
            executor.send({"type": "MESSAGE", "message": {"data": message.get("data", "")}})

    def _call_revive(self, framework: Framework, _body: Dict[str, Any]) -> None:
        framework.filters.clear()
        framework.suppressed = False

    def _call_suppress(self, framework: Framework, _body: Dict[str, Any]) -> None:
        framework.suppressed = True

    def _call_teardown(self, framework: Framework, _body: Dict[str, Any]) -> None:
        self.teardown(framework.id, "TEARDOWN call")

    def teardown(self, framework_id: str, why: str) -> None:
        """End a framework: its executors are shut down and its tasks killed."""
        framework = self.frameworks.pop(framework_id, None)
        if framework is None:
            return
        self.log["teardowns"].append({"framework_id": framework_id, "why": why})
        if framework.stream is not None:
            framework.stream.close()
        for offer_id in [o for o, (f, _a, _r) in self.offers.items() if f == framework_id]:
            del self.offers[offer_id]
        for agent in self.agents:
            for key in [k for k in agent.executors if k[0] == framework_id]:
                executor = agent.executors.pop(key)
                executor.send({"type": "SHUTDOWN"})
                threading.Thread(target=_reap, args=(executor.process, 2.0), daemon=True).start()
            for task in agent.tasks.values():
                if task.framework_id == framework_id and task.state not in TERMINAL:
                    task.state = "TASK_KILLED"

    # ------------------------------------------------------------------ agents
    def _launch(self, agent: Agent, framework: Framework, info: Dict[str, Any]) -> None:
        task = Task(framework.id, info, agent.id)
        agent.tasks[task.id] = task
        key = (framework.id, task.executor_id)
        executor = agent.executors.get(key)
        if executor is None:
            executor = self._start_executor(agent, framework, info["executor"])
            agent.executors[key] = executor
        executor.send({"type": "LAUNCH", "launch": {"framework_info": framework.info, "task": info}})

    def _start_executor(self, agent: Agent, framework: Framework, info: Dict[str, Any]) -> Executor:
        executor_id = info["executor_id"]["value"]
        sandbox = os.path.join(agent.work_dir, "frameworks", framework.id, "executors", executor_id, "runs",
                               str(next(agent.runs)))
        os.makedirs(sandbox)
        command = info.get("command") or {}
        env = dict(os.environ)
        for variable in (command.get("environment") or {}).get("variables", []):
            env[variable["name"]] = variable.get("value", "")
        env.update({"MESOS_AGENT_ENDPOINT": f"{agent.address}:{agent.port}", "MESOS_FRAMEWORK_ID": framework.id,
                    "MESOS_EXECUTOR_ID": executor_id, "MESOS_DIRECTORY": sandbox, "MESOS_SANDBOX": sandbox,
                    "MESOS_SLAVE_ID": agent.id, "MESOS_AGENT_ID": agent.id, "MESOS_CHECKPOINT": "0",
                    "MESOS_RECOVERY_TIMEOUT": "15secs"})
        argv: Any = command.get("value", "") if command.get("shell", True) else \
            [command.get("value", ""), *command.get("arguments", [])[1:]]
        with open(os.path.join(sandbox, "stdout"), "wb") as out, open(os.path.join(sandbox, "stderr"), "wb") as err:
            process = subprocess.Popen(argv, shell=command.get("shell", True), cwd=sandbox, env=env, stdout=out,
                                       stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        executor = Executor(framework.id, info, process, sandbox)
        threading.Thread(target=self._watch_executor, args=(agent, framework.id, executor_id, executor),
                         daemon=True).start()
        return executor

    def _watch_executor(self, agent: Agent, framework_id: str, executor_id: str, executor: Executor) -> None:
        code = executor.process.wait()
        with self.lock:
            if agent.executors.get((framework_id, executor_id)) is executor:
                del agent.executors[(framework_id, executor_id)]
            if not agent.alive:
                return
            for task in agent.tasks.values():
                if task.framework_id == framework_id and task.executor_id == executor_id and task.state not in TERMINAL:
                    self._agent_update(agent, framework_id, {
                        "task_id": {"value": task.id}, "state": "TASK_FAILED", "source": "SOURCE_AGENT",
                        "reason": "REASON_EXECUTOR_TERMINATED", "message": f"Executor exited with {code}",
                        "uuid": base64.b64encode(uuid.uuid4().bytes).decode()})
            framework = self.frameworks.get(framework_id)
            if framework is not None:
                framework.send({"type": "FAILURE", "failure": {"agent_id": {"value": agent.id},
                                                               "executor_id": {"value": executor_id}, "status": code}})

    def _agent_update(self, agent: Agent, framework_id: str, status: Dict[str, Any]) -> None:
        """A status update reaching the agent: recorded there and forwarded to the framework."""
        task = agent.tasks.get(status["task_id"]["value"])
        if task is not None:
            task.state = status["state"]
        status = {**status, "agent_id": {"value": agent.id}}
        framework = self.frameworks.get(framework_id)
        if framework is None:
            return
        if status.get("uuid"):
            framework.unacked[status["uuid"]] = (agent.id, status)
        if self.master_up:
            framework.send({"type": "UPDATE", "update": {"status": status}})

    def executor_subscribe(self, agent: Agent, body: Dict[str, Any]) -> Tuple[Optional[Executor], Optional[Stream]]:
        with self.lock:
            key = (body["framework_id"]["value"], body["executor_id"]["value"])
            executor = agent.executors.get(key)
            framework = self.frameworks.get(key[0])
            if executor is None or framework is None or not agent.alive:
                return None, None
            if executor.stream is not None:
                executor.stream.close()
            stream = Stream()
            stream.send({"type": "SUBSCRIBED", "subscribed": {
                "executor_info": executor.info, "framework_info": framework.info,
                "agent_info": {"id": {"value": agent.id}, "hostname": agent.hostname, "port": agent.port,
                               "resources": agent.resources_v1(agent.total, None),
                               "attributes": agent.attributes_v1()},
                "container_id": {"value": str(uuid.uuid4())}}})
            for event in executor.pending:
                stream.send(event)
            executor.pending = []
            executor.stream = stream
            return executor, stream

    def executor_call(self, agent: Agent, body: Dict[str, Any]) -> Tuple[int, str]:
        with self.lock:
            if not agent.alive:
                return 503, "agent is gone"
            framework_id = body["framework_id"]["value"]
            if body.get("type") == "UPDATE":
                self._agent_update(agent, framework_id, body["update"]["status"])
            elif body.get("type") == "MESSAGE":
                framework = self.frameworks.get(framework_id)
                if framework is not None:
                    framework.send({"type": "MESSAGE", "message": {
                        "agent_id": {"value": agent.id}, "executor_id": body["executor_id"],
                        "data": body["message"].get("data", "")}})
            else:
                return 400, f"Unsupported call {body.get('type')}"
        return 202, ""

    def add_agent(self, spec: str, hostname: Optional[str] = None) -> Agent:
        """A new machine joins the cluster (a provisioner started it): it is offered from now on."""
        with self.lock:
            agent = Agent(len(self.agents), spec, self.work_dir, hostname)
            agent.server = _server((agent.address, 0), self, agent)
            agent.port = agent.server.server_address[1]
            threading.Thread(target=agent.server.serve_forever, daemon=True).start()
            self.agents.append(agent)
            self.log["agents_added"].append({"hostname": agent.hostname, "time": time.time()})
        return agent

    def kill_agent(self, hostname: str) -> None:
        """The agent's machine dies: its processes are gone, its tasks LOST, its offers rescinded."""
        with self.lock:
            agent = next(a for a in self.agents if a.hostname == hostname)
            agent.alive = False
            self.log["agents_killed"].append({"hostname": agent.hostname, "time": time.time()})
            for executor in agent.executors.values():
                kill_tree(executor.process)
            for offer_id in [o for o, (_f, a, _r) in self.offers.items() if a == agent.id]:
                framework_id = self.offers.pop(offer_id)[0]
                if framework_id in self.frameworks:
                    self.frameworks[framework_id].send({"type": "RESCIND", "rescind": {"offer_id": {"value": offer_id}}})
            for task in agent.tasks.values():
                framework = self.frameworks.get(task.framework_id)
                if task.state not in TERMINAL:
                    self.log["lost"].append(task.id)
                    task.state = "TASK_LOST"
                    if framework is not None:
                        self._master_update(framework, task.id, agent.id, "TASK_LOST", "REASON_AGENT_REMOVED",
                                            "Agent removed")
            for framework in self.frameworks.values():
                framework.send({"type": "FAILURE", "failure": {"agent_id": {"value": agent.id}}})
            server, agent.server = agent.server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def slaves(self) -> Dict[str, Any]:
        with self.lock:
            return {"slaves": [agent.state() for agent in self.agents if agent.alive]}


def _reap(process: subprocess.Popen, grace: float) -> None:
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    kill_tree(process)


def _server(address: Tuple[str, int], double: MesosDouble, agent: Optional[Agent]) -> http.server.ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"double": double, "agent": agent})
    server = http.server.ThreadingHTTPServer(address, handler)
    server.daemon_threads = True
    return server


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    double: MesosDouble
    agent: Optional[Agent]

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, text: str = "", content_type: str = "text/plain") -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self, stream_id: Optional[str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        if stream_id:
            self.send_header("Mesos-Stream-Id", stream_id)
        self.end_headers()
        self.close_connection = True

    def do_GET(self) -> None:
        if self.agent is not None and self.path in ("/state", "/slave(1)/state", "/state.json"):
            with self.double.lock:
                self._reply(200, json.dumps(self.agent.state()), "application/json")
        elif self.agent is None and self.path in ("/master/slaves", "/slaves"):
            self._reply(200, json.dumps(self.double.slaves()), "application/json")
        elif self.agent is None and self.path in ("/master/state", "/state"):
            with self.double.lock:
                frameworks = [{"id": f.id, "name": f.info.get("name"), "roles": f.info.get("roles", []),
                               "active": f.stream is not None} for f in self.double.frameworks.values()]
            self._reply(200, json.dumps({"frameworks": frameworks, **self.double.slaves()}), "application/json")
        elif self.path == "/health":
            self._reply(200)
        else:
            self._reply(404, "not found")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._reply(400, "malformed JSON")
            return
        if self.agent is None and self.path == "/api/v1/scheduler":
            if body.get("type") == "SUBSCRIBE":
                framework, problem = self.double.subscribe(body)
                if framework is None:
                    self._reply(400, problem or "refused")
                    return
                stream = framework.stream
                assert stream is not None
                self._start_stream(stream.id)
                stream.pump(self, HEARTBEAT)
                self.double.stream_ended(framework, stream)
            else:
                self._reply(*self.double.scheduler_call(body, self.headers.get("Mesos-Stream-Id")))
        elif self.agent is not None and self.path == "/api/v1/executor":
            if body.get("type") == "SUBSCRIBE":
                executor, stream = self.double.executor_subscribe(self.agent, body)
                if stream is None:
                    self._reply(400, "unknown executor")
                    return
                self._start_stream(None)
                stream.pump(self, HEARTBEAT)
            else:
                self._reply(*self.double.executor_call(self.agent, body))
        else:
            self._reply(404, "not found")


class _ControlHandler(http.server.BaseHTTPRequestHandler):
    double: MesosDouble

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        with self.double.lock:
            data = json.dumps({**self.double.log, "master_up": self.double.master_up,
                               "frameworks": sorted(self.double.frameworks), **self.double.slaves()})
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data.encode())

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if self.path == "/add_agent":
            agent = self.double.add_agent(body["spec"], body.get("hostname"))
            data = json.dumps({"hostname": agent.hostname, "address": agent.address, "port": agent.port,
                               "id": agent.id}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if self.path == "/kill_agent":
            self.double.kill_agent(body["hostname"])
        elif self.path == "/restart_master":
            threading.Thread(target=self.double.restart_master, args=(float(body.get("down", 2)),),
                             daemon=True).start()
        self.send_response(204)
        self.end_headers()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agent", action="append", default=[], help="CPUS:MEM_MB:DISK_MB[:preemptible]")
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    double = MesosDouble(args.agent, args.work_dir, args.port)
    double.start()
    control = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("Control", (_ControlHandler,), {"double": double}))
    threading.Thread(target=control.serve_forever, daemon=True).start()

    def stop(*_: Any) -> None:
        double.shutdown()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(json.dumps({"master": f"127.0.0.1:{double.port}", "control": f"127.0.0.1:{control.server_address[1]}",
                      "agents": [{"hostname": a.hostname, "address": a.address, "port": a.port, "id": a.id,
                                  "preemptible": a.preemptible}
                                 for a in double.agents]}), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
