"""``toil.lib.docker`` against a real engine: podman, and the docker CLI on podman's Docker API service.

The engine, its API service and the busybox image are set up by tests/support/docker_engine.py
(podman, runc and busybox-static are installed with apt-get on a fresh machine). Every test runs with
each client: ``podman`` directly, and ``docker -H unix://...`` talking to ``podman system service``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

from docker_engine import IMAGE, docker_clients
from toil_core.lib.docker import (
    FORGO,
    RM,
    ContainerError,
    apiDockerCall,
    containerIsRunning,
    dockerCall,
    dockerCheckOutput,
    dockerKill,
    subprocessDockerCall,
)

CLIENTS = ["podman", "docker-cli-on-podman-api"]


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, str]]:
    with docker_clients(tmp_path_factory.mktemp("engine")) as clients:
        yield clients


@pytest.fixture(params=CLIENTS)
def client(request: pytest.FixtureRequest, engines: Dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param not in engines:
        pytest.skip("no docker client installed on this machine (podman's Docker API is tested through it)")
    monkeypatch.setenv("TOIL_DOCKER_COMMAND", engines[request.param])
    return engines[request.param]


class StubJob:
    """What the helpers use of a job: its temp dir, its name and ``defer`` (recorded, run on demand)."""

    def __init__(self, temp_dir: Path) -> None:
        self.tempDir = str(temp_dir)
        self.description = "stub-job"
        self.deferred: List[Tuple[Callable[..., Any], tuple, dict]] = []

    def defer(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.deferred.append((function, args, kwargs))

    def run_deferred(self) -> None:
        for function, args, kwargs in self.deferred:
            function(*args, **kwargs)


@pytest.fixture
def job(tmp_path: Path) -> StubJob:
    work = tmp_path / "work"
    work.mkdir()
    return StubJob(work)


def _exists(client: str, name: str) -> bool:
    return subprocess.run(client.split() + ["container", "inspect", name], capture_output=True).returncode == 0


def test_output_is_returned(client: str, job: StubJob) -> None:
    assert apiDockerCall(job, IMAGE, parameters=["echo", "hello from a container"]) == b"hello from a container\n"


def test_working_dir_is_mounted_at_data(client: str, job: StubJob) -> None:
    apiDockerCall(job, IMAGE, parameters=["sh", "-c", "echo written > /data/out.txt"])
    assert (Path(job.tempDir) / "out.txt").read_text() == "written\n"


def test_runs_as_the_caller_unless_a_user_is_given(client: str, job: StubJob) -> None:
    assert apiDockerCall(job, IMAGE, parameters=["id", "-u"]).strip() == str(os.getuid()).encode()
    assert apiDockerCall(job, IMAGE, parameters=["id", "-u"], user="1234").strip() == b"1234"


def test_explicit_volumes_and_environment(client: str, job: StubJob, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "in.txt").write_text("input")
    out = apiDockerCall(job, IMAGE, parameters=["sh", "-c", "cat /mnt/in/in.txt; echo -n $GREETING"],
                        volumes={str(shared): {"bind": "/mnt/in", "mode": "ro"}}, environment={"GREETING": "-hi"})
    assert out == b"input-hi"


def test_pipeline_of_commands(client: str, job: StubJob) -> None:
    assert apiDockerCall(job, IMAGE, parameters=[["echo", "a b c"], ["wc", "-w"]],
                         entrypoint=["sh", "-c"]).strip() == b"3"


def test_failure_raises_container_error_with_the_exit_status(client: str, job: StubJob) -> None:
    with pytest.raises(ContainerError) as info:
        apiDockerCall(job, IMAGE, parameters=["sh", "-c", "echo oops >&2; exit 3"])
    assert info.value.exit_status == 3
    assert "oops" in str(info.value)


def test_streamed_and_demultiplexed_output(client: str, job: StubJob) -> None:
    chunks = list(apiDockerCall(job, IMAGE, parameters=["sh", "-c", "echo one; echo two"], stream=True))
    assert b"".join(chunks) == b"one\ntwo\n"
    out, err = apiDockerCall(job, IMAGE, parameters=["sh", "-c", "echo out; echo err >&2"], demux=True,
                             stderr=True)
    assert (out, err) == (b"out\n", b"err\n")


def test_detached_container_logs_and_removal(client: str, job: StubJob) -> None:
    container = apiDockerCall(job, IMAGE, parameters=["sh", "-c", "echo detached; sleep 1"], detach=True)
    assert container.wait()["StatusCode"] == 0
    assert b"detached" in container.logs()
    assert _exists(client, container.name)
    container.remove(force=True)
    assert not _exists(client, container.name)


def test_remove_leaves_no_container(client: str, job: StubJob) -> None:
    apiDockerCall(job, IMAGE, parameters=["true"], containerName="toil-test-removed", remove=True)
    assert not _exists(client, "toil-test-removed")


def test_deferred_cleanup_kills_and_removes_a_running_container(client: str, job: StubJob) -> None:
    container = apiDockerCall(job, IMAGE, parameters=["sleep", "300"], detach=True, deferParam=RM)
    assert containerIsRunning(container.name) is True
    job.run_deferred()  # what Toil runs when the job ends, or after its worker was killed
    assert containerIsRunning(container.name) is None


def test_forgo_registers_no_cleanup(client: str, job: StubJob) -> None:
    container = apiDockerCall(job, IMAGE, parameters=["sleep", "300"], detach=True, deferParam=FORGO)
    try:
        assert job.deferred == []
        assert containerIsRunning(container.name) is True
    finally:
        dockerKill(container.name, remove=True)
    assert containerIsRunning(container.name) is None


def test_legacy_calls(client: str, job: StubJob, tmp_path: Path) -> None:
    assert dockerCheckOutput(job, tool=IMAGE, parameters=["echo", "legacy"]) == "legacy\n"
    with open(tmp_path / "captured", "wb") as outfile:
        dockerCall(job, tool=IMAGE, parameters=["echo", "to a file"], outfile=outfile)
    assert (tmp_path / "captured").read_bytes() == b"to a file\n"
    (Path(job.tempDir) / "input.txt").write_text("from the work dir")
    assert subprocessDockerCall(job, tool=IMAGE, parameters=["cat", "/data/input.txt"], workDir=job.tempDir,
                                checkOutput=True) == "from the work dir"


KILLED_JOB = """
import os, signal, sys
from toil.common import Toil
from toil.job import Job
from toil.lib.docker import apiDockerCall

def start_and_die(job, image, name_file):
    container = apiDockerCall(job, image, parameters=["sleep", "300"], detach=True)
    with open(name_file, "w") as handle:
        handle.write(container.name)
    os.kill(os.getpid(), signal.SIGKILL)  # the job is killed while its container runs

if __name__ == "__main__":
    options = Job.Runner.getDefaultOptions(sys.argv[1])
    options.retryCount = 0
    with Toil(options) as toil:
        toil.start(Job.wrapJobFn(start_and_die, sys.argv[2], sys.argv[3]))
"""


def test_container_of_a_killed_job_is_removed(client: str, tmp_path: Path) -> None:
    script = tmp_path / "killed.py"
    script.write_text(KILLED_JOB)
    name_file = tmp_path / "container-name"
    env = dict(os.environ, TMPDIR=str(tmp_path))
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "js"), IMAGE, str(name_file)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode != 0  # the job died
    name = name_file.read_text()
    assert containerIsRunning(name) is None, proc.stderr[-3000:]


def test_engine_is_real(client: str, job: StubJob) -> None:
    """Guard against a stand-in: the container sees its own PID namespace and hostname."""
    out = apiDockerCall(job, IMAGE, parameters=["sh", "-c", "echo $$"])
    assert out.strip() == b"1"
    assert shutil.which(client.split()[0])
