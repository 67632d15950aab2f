"""Unchanged Toil workflows with ``--batchSystem mesos`` against the Mesos protocol double
(mesos_support.py; no real Mesos master installs here, the double speaks the v1 scheduler and
executor APIs and runs the real ``_toil_mesos_executor``): the manual's chapter 12 tutorials,
the sort example of section 2.4, and a run against a real master when TOIL_TEST_MESOS_MASTER is set."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from mesos_support import REPO, describe, run_python

sys.path.insert(0, str(REPO / "tests" / "hpc"))
from hpc_suite import TUTORIALS, tutorial_copy  # noqa: E402  (the tutorials table the HPC suites use)

SORT = REPO / "tests" / "e2e" / "scripts" / "sort.py"


def _launched(cluster: Any) -> int:
    return len(cluster.state()["launches"])


@pytest.mark.parametrize("tutorial", sorted(TUTORIALS))
def test_tutorial(tutorial: str, tmp_path: Path, mesos_cluster: Any) -> None:
    script = tutorial_copy(tutorial, tmp_path)
    args = [script.name]
    if tutorial == "tutorial_multiplejobs.py":
        args.append(f"file:{tmp_path / 'jobstore'}")
    before = _launched(mesos_cluster)
    proc = run_python([*args, "--batchSystem", "mesos", "--mesosEndpoint", mesos_cluster.master],
                      cwd=tmp_path, env={"TMPDIR": str(tmp_path)})
    assert proc.returncode == 0, describe(proc)
    for line in TUTORIALS[tutorial]:
        assert line in proc.stderr + proc.stdout, describe(proc)
    assert "Traceback" not in proc.stderr, describe(proc)
    assert _launched(mesos_cluster) > before, "no job ran as a Mesos task"


def test_sort_example(tmp_path: Path, mesos_cluster: Any) -> None:
    before = _launched(mesos_cluster)
    proc = run_python([SORT, "file:jobStore", "--numLines=800", "--lineLength=10", "--N=3000",
                       "--overwriteOutput=True", "--batchSystem", "mesos", "--mesosMaster", mesos_cluster.master],
                      cwd=tmp_path)
    assert proc.returncode == 0, describe(proc)
    original = (tmp_path / "fileToSort.txt").read_text().splitlines()
    assert (tmp_path / "sortedFile.txt").read_text().splitlines() == sorted(original)
    assert len(original) == 800
    assert _launched(mesos_cluster) - before >= 4, "the sort did not split into Mesos tasks"
    assert not (tmp_path / "jobStore").exists()


@pytest.mark.skipif(not os.environ.get("TOIL_TEST_MESOS_MASTER"),
                    reason="no Mesos master can be installed on this machine (no Debian or PyPI package): the "
                           "other toil-mesos tests run against a protocol double of the Mesos HTTP APIs "
                           "(tests/mesos/mesos_double.py); set TOIL_TEST_MESOS_MASTER=HOST:PORT to run this "
                           "one against a real master whose agents have this toil-mesos installed")
def test_live_cluster(tmp_path: Path) -> None:
    from toil_core.testing import run_tiny_workflow

    result = run_tiny_workflow(tmp_path / "workflow", "mesos",
                               extra_args=["--mesosEndpoint", os.environ["TOIL_TEST_MESOS_MASTER"]])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tiny workflow result: 42" in result.stdout
