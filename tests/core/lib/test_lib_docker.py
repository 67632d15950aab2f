"""Tests for toil_core.lib.docker, using a fake ``docker`` client that records its arguments."""
import json
import os
import re
import sys
import textwrap

import pytest

from toil_core.lib.docker import (
    FORGO,
    STOP,
    ContainerError,
    Container,
    apiDockerCall,
    containerIsRunning,
    dockerCall,
    dockerCheckOutput,
    dockerKill,
    dockerStop,
    getContainerName,
)

FAKE_DOCKER = textwrap.dedent("""\
    #!{python}
    import json, os, sys
    args = sys.argv[1:]
    with open(os.environ["FAKE_DOCKER_LOG"], "a") as log:
        log.write(json.dumps([os.path.basename(sys.argv[0])] + args) + "\\n")
    state = os.environ["FAKE_DOCKER_STATE"]
    def path(name):
        return os.path.join(state, name)
    cmd = args[0]
    if cmd == "run":
        name = args[args.index("--name") + 1]
        if "--detach" in args:
            open(path(name), "w").write("running")
            print(name)
        else:
            if "--rm" not in args:
                open(path(name), "w").write("exited")
            sys.stdout.write("fake-stdout\\n"); sys.stdout.flush()
            sys.stderr.write("fake-stderr\\n"); sys.stderr.flush()
        sys.exit(int(os.environ.get("FAKE_DOCKER_EXIT", "0")))
    if cmd == "inspect":
        name = args[-1]
        if os.path.exists(path(name)):
            print(open(path(name)).read())
        else:
            sys.stderr.write("Error: No such object: %s\\n" % name); sys.exit(1)
    elif cmd in ("kill", "stop"):
        open(path(args[-1]), "w").write("exited")
    elif cmd == "rm":
        if os.path.exists(path(args[-1])):
            os.unlink(path(args[-1]))
    elif cmd == "logs":
        sys.stdout.write("log-out\\n"); sys.stdout.flush(); sys.stderr.write("log-err\\n")
    elif cmd == "wait":
        print(0)
""")


class FakeJob:
    """Stands in for a Job: has tempDir, a description and records defer() calls."""

    def __init__(self, temp_dir):
        self.tempDir = temp_dir
        self.description = "'MyJob' kind-MyJob/instance-abc"
        self.deferred = []

    def defer(self, function, *args, **kwargs):
        self.deferred.append((function, args, kwargs))


def _install_fake(bin_dir, name="docker"):
    script = bin_dir / name
    script.write_text(FAKE_DOCKER.format(python=sys.executable))
    script.chmod(0o755)
    return script


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """Put a fake docker first on PATH; return a helper exposing its recorded calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "state").mkdir()
    _install_fake(bin_dir)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_DOCKER_LOG", str(tmp_path / "calls.jsonl"))
    monkeypatch.setenv("FAKE_DOCKER_STATE", str(tmp_path / "state"))
    monkeypatch.delenv("TOIL_DOCKER_COMMAND", raising=False)
    monkeypatch.delenv("FAKE_DOCKER_EXIT", raising=False)

    class Recorder:
        state = tmp_path / "state"
        bin = bin_dir

        @staticmethod
        def calls():
            log = tmp_path / "calls.jsonl"
            return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

        @staticmethod
        def run_args():
            return next(c[1:] for c in Recorder.calls() if c[1] == "run")
    return Recorder


@pytest.fixture
def job(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    return FakeJob(str(work))


def test_run_returns_stdout_bytes(fake, job):
    assert apiDockerCall(job, "ubuntu", parameters=["echo", "hi"]) == b"fake-stdout\n"


def test_run_command_line(fake, job):
    apiDockerCall(job, "ubuntu", parameters=["echo", "hello world"], containerName="c1")
    assert fake.run_args() == ["run", "--quiet", "--name", "c1", "--user", f"{os.getuid()}:{os.getgid()}",
                               "--volume", f"{job.tempDir}:/data:rw", "ubuntu", "echo", "hello world"]


def test_working_dir_mounted_at_data(fake, job, tmp_path):
    apiDockerCall(job, "ubuntu", working_dir=str(tmp_path / "wd"))
    assert f"{tmp_path / 'wd'}:/data:rw" in fake.run_args()
    assert (tmp_path / "wd").is_dir()


def test_list_of_lists_is_pipefail_chain(fake, job):
    apiDockerCall(job, "ubuntu", parameters=[["echo", "a b"], ["wc", "-l"]])
    args = fake.run_args()
    assert "--entrypoint=/bin/bash" in args
    assert args[-3:] == ["ubuntu", "-c", "set -eo pipefail && echo 'a b' | wc -l"]


def test_entrypoint_list_split_into_flag_and_arguments(fake, job):
    apiDockerCall(job, "ubuntu", entrypoint=["/bin/bash", "-c"], parameters=["echo hi"])
    args = fake.run_args()
    assert "--entrypoint=/bin/bash" in args and args[-3:] == ["ubuntu", "-c", "echo hi"]


def test_volumes_environment_user_and_extra_kwargs(fake, job, tmp_path):
    apiDockerCall(job, "img", volumes={str(tmp_path / "v"): {"bind": "/in", "mode": "ro"}},
                  environment={"A": "1"}, user="0:0", privileged=True, network_mode="host",
                  log_config={"type": "json-file", "config": {"max-size": "1m"}})
    args = fake.run_args()
    pairs = [args[j:j + 2] for j in range(len(args) - 1)]
    for expected in (["--volume", f"{tmp_path / 'v'}:/in:ro"], ["--env", "A=1"], ["--user", "0:0"],
                     ["--network", "host"], ["--log-driver", "json-file"], ["--log-opt", "max-size=1m"]):
        assert expected in pairs
    assert "--privileged" in args and "/data" not in " ".join(args)


def test_remove_adds_rm_flag(fake, job):
    apiDockerCall(job, "img", remove=True)
    assert "--rm" in fake.run_args()


def test_default_defer_kills_and_removes(fake, job):
    apiDockerCall(job, "img", containerName="c2")
    assert job.deferred == [(dockerKill, ("c2",), {"remove": True})]


def test_defer_stop(fake, job):
    apiDockerCall(job, "img", containerName="c3", deferParam=STOP)
    assert job.deferred == [(dockerStop, ("c3",), {})]


def test_defer_forgo_registers_nothing(fake, job):
    apiDockerCall(job, "img", deferParam=FORGO)
    assert job.deferred == []


def test_invalid_defer_param(fake, job):
    with pytest.raises(RuntimeError, match="deferParam"):
        apiDockerCall(job, "img", deferParam=7)


def test_stderr_merged_when_requested(fake, job):
    out = apiDockerCall(job, "img", stderr=True)
    assert b"fake-stdout" in out and b"fake-stderr" in out


def test_demux_returns_separate_streams(fake, job):
    assert apiDockerCall(job, "img", stderr=True, demux=True) == (b"fake-stdout\n", b"fake-stderr\n")


def test_stream_returns_generator(fake, job):
    chunks = apiDockerCall(job, "img", stream=True)
    assert not isinstance(chunks, bytes)
    assert b"".join(chunks) == b"fake-stdout\n"


def test_nonzero_exit_raises_container_error(fake, job, monkeypatch):
    monkeypatch.setenv("FAKE_DOCKER_EXIT", "3")
    with pytest.raises(ContainerError) as info:
        apiDockerCall(job, "img", parameters=["false"])
    assert info.value.exit_status == 3 and b"fake-stderr" in info.value.stderr
    assert "img" in str(info.value)


def test_detach_returns_container(fake, job):
    container = apiDockerCall(job, "img", detach=True, containerName="d1")
    assert isinstance(container, Container) and container.name == "d1"
    assert "--detach" in fake.run_args() and container.status == "running"


def test_detach_with_stdout_writes_streamfile(fake, job, tmp_path):
    apiDockerCall(job, "img", detach=True, stdout=True, streamfile=str(tmp_path / "out.log"))
    assert (tmp_path / "out.log").read_bytes() == b"log-out\n"


def test_container_wait(fake, job):
    assert apiDockerCall(job, "img", detach=True).wait() == {"StatusCode": 0}


def test_container_is_running_states(fake):
    (fake.state / "up").write_text("running")
    (fake.state / "down").write_text("exited")
    states = (containerIsRunning("up"), containerIsRunning("down"), containerIsRunning("gone"))
    assert states == (True, False, None)


def test_docker_kill_kills_and_removes(fake):
    (fake.state / "k").write_text("running")
    dockerKill("k", remove=True)
    verbs = [c[1] for c in fake.calls()]
    assert "kill" in verbs and "rm" in verbs and not (fake.state / "k").exists()


def test_docker_kill_missing_container_is_quiet(fake):
    dockerKill("nothing", remove=True)
    assert [c[1] for c in fake.calls()] == ["inspect"]


def test_docker_stop_is_gentle(fake):
    (fake.state / "s").write_text("running")
    dockerStop("s")
    verbs = [c[1] for c in fake.calls()]
    assert "stop" in verbs and "kill" not in verbs and (fake.state / "s").exists()


def test_container_name_format(job):
    name = getContainerName(job)
    assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*", name) and "MyJob" in name
    assert name != getContainerName(job)


def test_toil_docker_command_override(fake, job, monkeypatch):
    _install_fake(fake.bin, "mydocker")
    monkeypatch.setenv("TOIL_DOCKER_COMMAND", str(fake.bin / "mydocker"))
    apiDockerCall(job, "img")
    assert fake.calls()[-1][0] == "mydocker"


def test_podman_used_when_docker_missing(fake, job, monkeypatch, tmp_path):
    only = tmp_path / "onlypodman"
    only.mkdir()
    _install_fake(only, "podman")
    monkeypatch.setenv("PATH", str(only))
    apiDockerCall(job, "img")
    assert fake.calls()[-1][0] == "podman"


def test_no_client_raises_clear_error(job, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("TOIL_DOCKER_COMMAND", raising=False)
    with pytest.raises(RuntimeError, match="docker"):
        apiDockerCall(job, "img")


def test_legacy_docker_check_output(fake, job):
    assert dockerCheckOutput(job=job, tool="quay.io/ucsc_cgl/bwa", parameters=["index", "/data/ref.fa"]) == \
        "fake-stdout\n"
    args = fake.run_args()
    assert ["--volume", f"{job.tempDir}:/data:rw"] == args[args.index("--volume"):args.index("--volume") + 2]
    assert args[-3:] == ["quay.io/ucsc_cgl/bwa", "index", "/data/ref.fa"]


def test_legacy_docker_parameters_replace_default_mount(fake, job):
    dockerCheckOutput(job, "img", parameters=["ls"], dockerParameters=["--network", "none"])
    args = fake.run_args()
    assert "--volume" not in args and args[-4:] == ["--network", "none", "img", "ls"]


def test_legacy_docker_call_writes_outfile(fake, job, tmp_path):
    with open(tmp_path / "out", "wb") as out:
        assert dockerCall(job=job, tool="img", workDir=job.tempDir, parameters=["ls"], outfile=out) is None
    assert (tmp_path / "out").read_bytes() == b"fake-stdout\n"
    assert job.deferred and job.deferred[0][0] is dockerKill
