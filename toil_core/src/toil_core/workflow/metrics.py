"""``--metrics``: the leader's job and cluster events as metric lines for a Prometheus dashboard.

:class:`ToilMetrics` (upstream ``toil.common.ToilMetrics``) subscribes to the leader's message bus
and turns each event into one line of the text protocol upstream's mtail exporter parses
(``issued_job JobName``, ``queue_size 3``, ``current_size 'm5.large' 2`` ...). By default the lines
go to upstream's ``toil-mtail`` container, started with the container client (docker or podman)
next to the ``toil-prometheus`` and ``toil-grafana`` dashboard containers; when no client or image
is available the metrics are dropped with a warning, as upstream does. ``sink`` sends the lines to
any text stream instead (a file that a local mtail tails, or a test's buffer).
"""
from __future__ import annotations

import base64
import logging
import os
import subprocess
import urllib.request
from typing import IO, Any, Callable, List, Optional

from toil_core.bus import (
    ClusterDesiredSizeMessage,
    ClusterSizeMessage,
    JobCompletedMessage,
    JobFailedMessage,
    JobIssuedMessage,
    JobMissingMessage,
    MessageBus,
    QueueSizeMessage,
)

__all__ = ["ToilMetrics"]

logger = logging.getLogger("toil.common")

_CONTAINER_TIMEOUT = 120.0


class ToilMetrics:
    """Publishes the bus's job and cluster events as metric lines (see the module docstring)."""

    def __init__(self, bus: MessageBus, provisioner: Any = None, *, sink: Optional[IO[str]] = None) -> None:
        self.provisioner = provisioner
        self._sink = sink
        self.mtailProc: Optional["subprocess.Popen[bytes]"] = None
        self.nodeExporterProc: Optional["subprocess.Popen[bytes]"] = None
        from toil_core.version import dockerRegistry, dockerTag  # lazy: only --metrics needs them

        registry = os.environ.get("TOIL_DOCKER_REGISTRY", dockerRegistry)
        self.mtailImage = f"{registry}/toil-mtail:{dockerTag}"
        self.grafanaImage = f"{registry}/toil-grafana:{dockerTag}"
        self.prometheusImage = f"{registry}/toil-prometheus:{dockerTag}"
        if sink is None:
            cluster_name = "none" if provisioner is None else str(getattr(provisioner, "clusterName", "none"))
            zone = "Default" if provisioner is None else str(getattr(provisioner, "_zone", None) or "Default")
            self.startDashboard(clusterName=cluster_name, zone=zone)
            self.mtailProc = self._start_mtail()
        handlers: List[Any] = [
            (ClusterSizeMessage, self.logClusterSize),
            (ClusterDesiredSizeMessage, self.logClusterDesiredSize),
            (QueueSizeMessage, self.logQueueSize),
            (JobMissingMessage, self.logMissingJob),
            (JobIssuedMessage, self.logIssuedJob),
            (JobFailedMessage, self.logFailedJob),
            (JobCompletedMessage, self.logCompletedJob),
        ]
        self._listeners: List[Callable[[], None]] = [bus.subscribe(kind, handler) for kind, handler in handlers]

    # ------------------------------------------------------------------ containers
    @staticmethod
    def _client() -> Optional[List[str]]:
        from toil_core.lib.container_cli import docker_command  # lazy: see __init__

        try:
            return docker_command()
        except RuntimeError:
            return None

    @classmethod
    def _containerRunning(cls, containerName: str) -> bool:
        client = cls._client()
        if client is None:
            return False
        result = subprocess.run(client + ["inspect", "-f", "{{.State.Running}}", containerName],
                                capture_output=True, text=True, timeout=_CONTAINER_TIMEOUT)
        return result.returncode == 0 and result.stdout.strip() == "true"

    def _start_mtail(self) -> Optional["subprocess.Popen[bytes]"]:
        client = self._client()
        if client is None:
            logger.warning("Could not start the toil metrics server: no docker or podman client.")
            return None
        subprocess.run(client + ["rm", "-f", "toil_mtail"], capture_output=True, timeout=_CONTAINER_TIMEOUT)
        try:
            return subprocess.Popen(client + ["run", "--rm", "--interactive", "--net=host", "--name", "toil_mtail",
                                              self.mtailImage], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        except OSError as error:
            logger.warning("Could not start the toil metrics server: %s", error)
            return None

    def startDashboard(self, clusterName: str, zone: str) -> None:
        """Start the Prometheus and Grafana containers (once per machine) and point Grafana at
        Prometheus; a failure only costs the dashboard (a warning says so)."""
        client = self._client()
        if client is None:
            logger.warning("Could not start the prometheus/grafana dashboard: no docker or podman client.")
            return
        runs = [("toil_prometheus", ["-d", "--net=host", self.prometheusImage, clusterName, zone]),
                ("toil_grafana", ["-d", "-p=3000:3000", self.grafanaImage])]
        for name, args in runs:
            if self._containerRunning(name):
                continue
            subprocess.run(client + ["rm", "-f", name], capture_output=True, timeout=_CONTAINER_TIMEOUT)
            result = subprocess.run(client + ["run", "--name", name] + args, capture_output=True,
                                    timeout=_CONTAINER_TIMEOUT)
            if result.returncode != 0:
                logger.warning("Could not start the prometheus/grafana dashboard (%s).", name)
                return
        try:
            self.add_prometheus_data_source()
        except OSError:
            logger.debug("Could not add the data source to Grafana; no metrics will be displayed.")

    def add_prometheus_data_source(self) -> None:
        """Register the local Prometheus as Grafana's data source (Grafana's default login)."""
        request = urllib.request.Request(
            "http://localhost:3000/api/datasources", method="POST",
            data=b'{"name":"DS_PROMETHEUS","type":"prometheus","url":"http://localhost:9090","access":"direct"}',
            headers={"content-type": "application/json",
                     "Authorization": "Basic " + base64.b64encode(b"admin:admin").decode()})
        urllib.request.urlopen(request, timeout=10).close()

    # ------------------------------------------------------------------ metric lines
    def log(self, message: str) -> None:
        """Send one metric line to the sink (or the mtail container)."""
        if self._sink is not None:
            self._sink.write(message + "\n")
            self._sink.flush()
        elif self.mtailProc is not None and self.mtailProc.stdin is not None:
            try:
                self.mtailProc.stdin.write((message + "\n").encode("utf-8"))
                self.mtailProc.stdin.flush()
            except (BrokenPipeError, ValueError):
                logger.debug("The metrics server went away; dropping metrics from now on.")
                self.mtailProc = None

    def logClusterSize(self, m: ClusterSizeMessage) -> None:
        self.log(f"current_size '{m.instance_type}' {int(m.current_size)}")

    def logClusterDesiredSize(self, m: ClusterDesiredSizeMessage) -> None:
        self.log(f"desired_size '{m.instance_type}' {int(m.desired_size)}")

    def logQueueSize(self, m: QueueSizeMessage) -> None:
        self.log(f"queue_size {int(m.queue_size)}")

    def logMissingJob(self, m: JobMissingMessage) -> None:
        self.log("missing_job")

    def logIssuedJob(self, m: JobIssuedMessage) -> None:
        self.log(f"issued_job {m.job_type}")

    def logFailedJob(self, m: JobFailedMessage) -> None:
        self.log(f"failed_job {m.job_type}")

    def logCompletedJob(self, m: JobCompletedMessage) -> None:
        self.log(f"completed_job {m.job_type}")

    def shutdown(self) -> None:
        """Stop listening and stop the mtail and node-exporter processes this object started."""
        for unsubscribe in self._listeners:
            unsubscribe()
        self._listeners = []
        for proc in (self.mtailProc, self.nodeExporterProc):
            if proc is not None:
                proc.kill()
                proc.wait()
        self.mtailProc = self.nodeExporterProc = None
