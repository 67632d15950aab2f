"""CWL tools in containers (DockerRequirement), when a container runtime is usable here.

* A docker daemon: tools run with docker (cwltool's default).
* Podman: rootless podman runs with ``--podman``. As root, cwltool's podman mode cannot work
  (it always passes ``--userns=keep-id``, which rootful podman refuses), so the test runs the
  Docker mode through a ``docker`` shim that calls podman (podman speaks docker's CLI).

The ``container_engine`` fixture (tests/cwl/container_runtime.py) installs and sets up podman when
there is no docker daemon, and builds the image locally (no registry access is assumed):
TOIL_CWL_TEST_IMAGE, by default the conformance image (toil_cwl.conformance_images) for podman and
``busybox`` for docker.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(600)


TOOL = """cwlVersion: v1.2
class: CommandLineTool
requirements:
  DockerRequirement:
    dockerPull: {image}
inputs:
  infile:
    type: File
    inputBinding: {{position: 1}}
baseCommand: cat
stdout: copy.txt
outputs:
  copy: stdout
"""


def test_tool_in_container(run_cwl, tmp_path: Path, container_engine):
    engine = container_engine
    shim_dir = None
    if engine.shim_for:
        shim_dir = tmp_path / "shim"
        shim_dir.mkdir()
        shim = shim_dir / "docker"
        shim.write_text(f'#!/bin/sh\nexec "{engine.shim_for}" "$@"\n')
        shim.chmod(0o755)
    tool = tmp_path / "cat.cwl"
    tool.write_text(TOOL.format(image=engine.image))
    data = tmp_path / "in.txt"
    data.write_text("inside a container\n")
    run = run_cwl(tool, "--infile", data, extra=engine.flags, path_prepend=shim_dir)
    assert Path(run.output["copy"]["path"]).read_text() == "inside a container\n"


def test_no_container_ignores_docker_hint(run_cwl, tmp_path: Path):
    """--no-container runs a tool that only hints at Docker on the host (no runtime needed)."""
    tool = tmp_path / "hint.cwl"
    tool.write_text("""cwlVersion: v1.2
class: CommandLineTool
hints:
  DockerRequirement:
    dockerPull: docker.io/debian:stable-slim
inputs: []
baseCommand: [echo, host]
stdout: where.txt
outputs:
  where: stdout
""")
    run = run_cwl(tool, extra=["--no-container"])
    assert Path(run.output["where"]["path"]).read_text() == "host\n"


def test_no_container_refuses_a_required_docker(run_cwl, tmp_path: Path):
    """--no-container with DockerRequirement under requirements: exit 33 before any job runs, as
    cwltool does (not a failed job retried on a worker)."""
    tool = tmp_path / "needs-docker.cwl"
    tool.write_text(TOOL.format(image="docker.io/debian:stable-slim"))
    data = tmp_path / "in.txt"
    data.write_text("x\n")
    run = run_cwl(tool, "--infile", data, extra=["--no-container", "--jobStore", str(tmp_path / "js")],
                  check=False)
    assert run.returncode == 33, run.stderr[-3000:]
    assert run.stdout == ""
    assert "DockerRequirement" in run.stderr and "--no-container" in run.stderr
    assert not (tmp_path / "js").exists(), "nothing was started"


def test_no_container_reports_invalid_inputs_before_the_required_docker(run_cwl, tmp_path: Path):
    """Invalid inputs fail (exit 1) even when the tool also requires Docker under --no-container:
    cwltool validates the input object first, and the conformance test filesarray_secondaryfiles2
    (should_fail, tagged docker) counts an exit 33 there as not passed."""
    tool = tmp_path / "needs-docker.cwl"
    tool.write_text(TOOL.format(image="docker.io/debian:stable-slim").replace(
        "    type: File\n", "    type: File\n    secondaryFiles: [.dat]\n"))
    (tmp_path / "in.txt").write_text("x\n")  # without the required in.txt.dat
    run = run_cwl(tool, "--infile", tmp_path / "in.txt", extra=["--no-container"], check=False)
    assert run.returncode == 1, run.stderr[-3000:]
    assert "failed validation" in run.stderr


def test_conformance_image_runs_like_the_bash_image(container_engine):
    """The locally built conformance image answers to the suite's image names, and its entrypoint
    sends a leading option to bash like the official bash image (what docker_entrypoint needs)."""
    if not container_engine.name.startswith("podman"):
        pytest.skip(f"the conformance image is built with podman; the runtime here is {container_engine.name}")
    from toil_cwl.conformance_images import ensure_images

    names = ensure_images("podman")
    assert "docker.io/library/bash:4.4.12" in names
    out = subprocess.run(["podman", "run", "--rm", "--network=none", "bash:4.4.12", "-c", "echo moo; python --version"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("moo\nPython 3")
    plain = subprocess.run(["podman", "run", "-i", "--rm", "--network=none", "debian:stretch-slim", "rev"],
                           input="abc\n", capture_output=True, text=True, timeout=120)
    assert plain.stdout == "cba\n"
