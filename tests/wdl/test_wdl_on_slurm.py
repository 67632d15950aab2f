"""A WDL workflow run by ``toil-wdl-runner --batchSystem slurm`` on the real Slurm of the HPC tests.

Slurm is started by toil_hpc/scripts/slurm_up.sh through tests/hpc/hpc_support.py (a fast no-op when
the HPC tests already brought it up in this session). The workflow (data/slurm_scatter_gather.wdl)
scatters one task over three names and gathers their files with a second task; every task writes
the ``SLURM_JOB_ID`` of the job it ran in, so the test can check that each call was its own Slurm
job, submitted by toil-hpc (batch logs named after the Slurm job) and completed under the call's name.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from conftest import DATA

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hpc"))

NAMES = ["ada", "grace", "barbara"]


@pytest.fixture(scope="module")
def slurm() -> None:
    """The HPC tests' one-node Slurm, set up (or found up) by the recipe script."""
    from hpc_support import _impossible, _set_up

    reason = _impossible(apt_for="slurmctld")
    if reason:
        pytest.skip(f"real Slurm not available: {reason}")
    _set_up("slurm_up.sh", timeout=600)


def _scontrol_job(job_id: str) -> str:
    proc = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"scontrol does not know job {job_id}: {proc.stderr.strip()}"
    return proc.stdout


@pytest.mark.timeout(1200)
def test_a_scatter_and_gather_runs_each_call_as_a_slurm_job(slurm: None, tmp_path: Path,
                                                            run_wdl: Callable) -> None:
    greeting = tmp_path / "greeting.txt"
    greeting.write_text("hello\n")
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps({"slurm_scatter_gather.names": NAMES,
                                  "slurm_scatter_gather.greeting": str(greeting)}))
    logs = tmp_path / "batchlogs"
    result = run_wdl(DATA / "slurm_scatter_gather.wdl", inputs, "--batchSystem", "slurm",
                     "--batchLogsDir", logs, "--container", "none", timeout=600)
    out = result.output

    # the outputs: one labelled file per name, in scatter order, and the gathered file, in -o
    labelled = out["slurm_scatter_gather.labelled"]
    assert [Path(p).read_text() for p in labelled] == [f"hello {n}\n" for n in NAMES]
    gathered = Path(out["slurm_scatter_gather.gathered"])
    assert gathered.is_file() and gathered.resolve().is_relative_to(result.outdir.resolve())
    assert gathered.read_text() == "".join(f"hello {n}\n" for n in NAMES)
    assert out["slurm_scatter_gather.lines"] == len(NAMES)

    # every call ran inside a Slurm job of its own ...
    scatter_jobs = out["slurm_scatter_gather.scatter_jobs"]
    gather_job = out["slurm_scatter_gather.gather_job"]
    jobs = scatter_jobs + [gather_job]
    assert all(re.fullmatch(r"\d+", j) for j in jobs), f"not all tasks ran under Slurm: {jobs}"
    assert len(set(jobs)) == len(jobs), f"the calls shared Slurm jobs: {jobs}"
    # ... that toil-hpc submitted (its log is named after the Slurm job ID) ...
    logged = {m.group(1) for p in logs.iterdir()
              if (m := re.fullmatch(r"toil_job_\d+_batch_\w+_(\d+)_std_output\.log", p.name))}
    assert set(jobs) <= logged, f"Slurm jobs {sorted(set(jobs) - logged)} have no batch log in {sorted(logged)}"
    # ... and that Slurm ran them to completion under the WDL call's name (the TaskJob's unit name,
    # ``<workflow>.<call>``), not the Toil job's class name
    expected = {j: "label_one" for j in scatter_jobs} | {gather_job: "gather_all"}
    for job, call in expected.items():
        record = _scontrol_job(job)
        assert "JobState=COMPLETED" in record, record
        name = re.search(r"JobName=(\S+)", record)
        assert name and re.fullmatch(rf"toil_job_\d+_slurm_scatter_gather\.{call}", name.group(1)), \
            f"Slurm job {job} is not named after the WDL call {call}: {record}"
