"""Harness of the AWS autoscaling test: EC2 instances of moto's server stand for machines whose
Mesos agents join the Mesos protocol double.

No instance boots under moto, so :class:`InstanceAgents` plays the part of the boot: it watches
moto's EC2 API for the worker instances of a cluster and, for each new one, adds an agent to the
double with the resources of its instance type (``describe_instance_types``) and the instance's
private IP as the agent's hostname (as a real agent on that machine registers); when the
instance is terminated, the agent dies with it. :class:`MetadataService` answers the instance
metadata calls of the leader (IMDSv2 token and ``instance-id``) as the cluster's leader instance
would, so ``--provisioner aws`` finds its cluster as on EC2.
"""
from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import attrs

LIVE = ("pending", "running")
#: The worker disk (GiB) of the autoscaling runs on aws (``--nodeStorage``).
NODE_STORAGE_GIB = 8
WORKFLOW = Path(__file__).resolve().parent / "workflows" / "burst_then_tail.py"


@attrs.frozen
class AutoscaledRun:
    """What :func:`run_autoscaled` saw: the leader's exit status and output, samples of
    (time, live agents, live worker instances), and the agents harness (its events and errors)."""

    returncode: int
    output: str
    samples: List[Tuple[float, int, int]]
    agents: "InstanceAgents"


def run_autoscaled(tmp_path: Path, ec2: Any, cluster: Any, image: str, double: Any, options: List[Any],
                   env: Optional[Dict[str, str]] = None, deadline: float = 240) -> AutoscaledRun:
    """Run workflows/burst_then_tail.py (markers in ``tmp_path/markers``) with ``--batchSystem mesos``
    on ``double`` and ``--provisioner aws`` on ``cluster``, the leader posing as the cluster's leader
    instance, an agent standing behind each worker instance; ``options`` are the scaling options."""
    from mesos_support import run_python

    marker_dir = tmp_path / "markers"
    marker_dir.mkdir(exist_ok=True)
    metadata = MetadataService(cluster.getLeader().name)
    samples: List[Tuple[float, int, int]] = []
    try:
        with InstanceAgents(ec2, cluster.clusterName, double.control, NODE_STORAGE_GIB * 1024) as agents:
            proc = run_python([WORKFLOW, f"file:{tmp_path / 'js'}", "--markers", marker_dir,
                               "--batchSystem", "mesos", "--mesosEndpoint", double.master, "--provisioner", "aws",
                               "--nodeStorage", str(NODE_STORAGE_GIB), "--scaleInterval", "1", "--targetTime", "1",
                               "--betaInertia", "0", "--logInfo", *options],
                              cwd=tmp_path, background=True,
                              env={"AWS_EC2_METADATA_SERVICE_ENDPOINT": metadata.url, "TOIL_AWS_AMI": image,
                                   **(env or {})})
            try:
                end = time.monotonic() + deadline
                while proc.poll() is None:
                    assert time.monotonic() < end, "the autoscaled workflow did not finish in time"
                    samples.append((time.time(), len(double.state()["slaves"]),
                                    len(live_workers(ec2, cluster.clusterName))))
                    time.sleep(0.3)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            agents.sync()  # the instances the leader terminated on its way out
    finally:
        metadata.close()
    output = (tmp_path / "run.out").read_text() + (tmp_path / "run.err").read_text()
    return AutoscaledRun(proc.returncode, output, samples, agents)


def live_workers(ec2: Any, cluster_name: str) -> List[str]:
    """The ids of the cluster's worker instances that are pending or running."""
    found = ec2.describe_instances(Filters=[{"Name": "tag:clusterName", "Values": [cluster_name]},
                                            {"Name": "tag:ToilNodeType", "Values": ["worker"]},
                                            {"Name": "instance-state-name", "Values": list(LIVE)}])
    return [i["InstanceId"] for r in found["Reservations"] for i in r["Instances"]]


class InstanceAgents:
    """Keep one agent of ``control`` (the double's control address) per live worker instance of
    ``cluster_name``; ``events`` records (time, "start"/"stop", instance id, private IP)."""

    def __init__(self, ec2: Any, cluster_name: str, control: str, disk_mib: int, interval: float = 0.3) -> None:
        self.ec2 = ec2
        self.cluster_name = cluster_name
        self.control = control
        self.disk_mib = disk_mib
        self.interval = interval
        self.agents: Dict[str, str] = {}  # instance id -> agent hostname (the private IP)
        self.addresses: Dict[str, str] = {}  # agent listening address -> instance id
        self.events: List[Dict[str, Any]] = []
        self.errors: List[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="instance-agents", daemon=True)

    def __enter__(self) -> "InstanceAgents":
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _post(self, path: str, body: Dict[str, Any]) -> Any:
        request = urllib.request.Request(f"http://{self.control}{path}", data=json.dumps(body).encode(),
                                         method="POST")
        with urllib.request.urlopen(request, timeout=30) as answer:
            text = answer.read()
        return json.loads(text) if text else None

    def _spec(self, instance_type: str) -> str:
        info = self.ec2.describe_instance_types(InstanceTypes=[instance_type])["InstanceTypes"][0]
        return f"{info['VCpuInfo']['DefaultVCpus']}:{info['MemoryInfo']['SizeInMiB']}:{self.disk_mib}"

    def _workers(self) -> Dict[str, Dict[str, Any]]:
        found = self.ec2.describe_instances(Filters=[{"Name": "tag:clusterName", "Values": [self.cluster_name]},
                                                     {"Name": "tag:ToilNodeType", "Values": ["worker"]}])
        return {i["InstanceId"]: i for r in found["Reservations"] for i in r["Instances"]}

    def sync(self) -> None:
        """One pass: start agents for new live instances, stop those of terminated ones."""
        workers = self._workers()
        for instance_id, instance in workers.items():
            live = instance["State"]["Name"] in LIVE
            if live and instance_id not in self.agents:
                hostname = instance["PrivateIpAddress"]
                spec = self._spec(instance["InstanceType"])
                if instance.get("InstanceLifecycle") == "spot":
                    spec += ":preemptible"
                agent = self._post("/add_agent", {"spec": spec, "hostname": hostname})
                self.agents[instance_id] = hostname
                self.addresses[agent["address"]] = instance_id
                self.events.append({"time": time.time(), "event": "start", "instance": instance_id,
                                    "hostname": hostname, "spec": spec})
            elif not live and instance_id in self.agents:
                hostname = self.agents.pop(instance_id)
                self._post("/kill_agent", {"hostname": hostname})
                self.events.append({"time": time.time(), "event": "stop", "instance": instance_id,
                                    "hostname": hostname})

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sync()
            except Exception as error:  # noqa: BLE001 - reported by the test, not swallowed
                self.errors.append(repr(error))
            self._stop.wait(self.interval)


class MetadataService:
    """An instance metadata service (IMDSv2) on loopback that says it is ``instance_id``; give its
    ``url`` to the leader as ``AWS_EC2_METADATA_SERVICE_ENDPOINT``."""

    def __init__(self, instance_id: str) -> None:
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self) -> None:
                if self.path == "/latest/api/token":
                    self._reply(200, "test-token")
                else:
                    self._reply(404, "")

            def do_GET(self) -> None:
                if self.headers.get("X-aws-ec2-metadata-token") != "test-token":
                    self._reply(401, "")
                elif self.path == "/latest/meta-data/instance-id":
                    self._reply(200, service.instance_id)
                else:
                    self._reply(404, "")

        self.instance_id = instance_id
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
