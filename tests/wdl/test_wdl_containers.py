"""Tasks with a ``docker``/``container`` runtime run under podman (installed by the tests as for the
CWL container tier, tests/support/podman_setup.py), with an image built locally from this machine's
busybox and bash (toil_wdl.images: no registry is reachable); and the quick conformance tier again
with containers (the suite's tasks name ubuntu images, given to the local image)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import DATA
from podman_setup import ensure_podman
from toil_wdl.conformance import find_suite, run_suite
from toil_wdl.images import IMAGE, MARKER, SUITE_IMAGES, ensure_image

pytestmark = pytest.mark.timeout(900)

#: Conformance tests whose tasks name a container image (md5sum and globs in ubuntu:22.04/24.04,
#: the Directory tests of WDL development in ubuntu:24.04).
CONTAINER_QUICK = {"1.1": "68,79", "development": "83,84"}


@pytest.fixture(scope="module")
def image():
    """The locally built task image (podman installed and configured first when run as root)."""
    try:
        ensure_podman()
        ensure_image(SUITE_IMAGES)
    except RuntimeError as err:
        pytest.fail(f"podman cannot run containers here: {err}")
    assert not os.path.exists(MARKER), "the host must not have the image's marker file"
    return IMAGE


@pytest.fixture
def boxed_inputs(tmp_path, image):
    (tmp_path / "data.txt").write_text("from the host\n")
    return json.dumps({"boxed.image": image, "boxed.data": "data.txt"})


def test_task_command_runs_in_its_container(run_wdl, boxed_inputs):
    result = run_wdl(DATA / "container.wdl", "-i", boxed_inputs, "--container", "podman").output
    assert result["boxed.marker"] == "toil-wdl task image"


def test_files_go_into_the_container_and_come_back(run_wdl, boxed_inputs):
    run = run_wdl(DATA / "container.wdl", "-i", boxed_inputs)
    assert Path(run.output["boxed.copy"]).read_text() == "from the host\nadded in the task\n"
    assert Path(run.output["boxed.copy"]).parent == run.outdir


def test_named_engine_without_the_image_is_one_clear_error(run_wdl, tmp_path, image):
    (tmp_path / "data.txt").write_text("x\n")
    inputs = json.dumps({"boxed.image": "localhost/no-such-image:1", "boxed.data": "data.txt"})
    run = run_wdl(DATA / "container.wdl", "-i", inputs, "--container", "podman", check=False)
    assert run.returncode == 1
    assert "localhost/no-such-image:1" in run.stderr and "Traceback" not in run.stderr


def test_container_none_runs_the_command_on_the_host(run_wdl, boxed_inputs):
    result = run_wdl(DATA / "container.wdl", "-i", boxed_inputs, "--container", "none").output
    assert result["boxed.marker"] == "on the host"


@pytest.mark.parametrize("version", sorted(CONTAINER_QUICK))
def test_quick_conformance_tier_in_containers(image, version):
    suite = find_suite()
    if suite is None:
        pytest.skip("the WDL conformance suite (shared/conformance/wdl-conformance-tests) is not beside "
                    "this checkout; set TOIL_WDL_CONFORMANCE to its folder")
    # an engine named explicitly must have the image: a task that ran on the host instead would fail
    result = run_suite(suite, "toil-wdl-runner", version, numbers=CONTAINER_QUICK[version], threads=2,
                       extra_args="--container podman")
    expected = len(CONTAINER_QUICK[version].split(","))
    assert (result["passed"], result["failed"], result["skipped"]) == (expected, 0, 0), \
        result["output"][-8000:] + result["stderr"][-3000:]
