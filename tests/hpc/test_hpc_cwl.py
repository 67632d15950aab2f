"""CWL workflows through toil-cwl-runner on a real one-node Slurm (``--batchSystem slurm``).

Each test runs one of the workflows of ``tests/cwl/data`` (scatter, a sub-workflow, secondaryFiles,
Directory inputs and outputs) with its job store, inputs, outputs and batch logs in a directory the
Slurm jobs can reach, checks the output object and the exported files, and checks that the tools
really ran as Slurm jobs (each leaves its batch logs behind).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable, Dict, Tuple

import pytest
from hpc_support import REPO, Scheduler, describe

pytest.importorskip("cwltool", reason="toil-cwl needs cwltool (pip install ./toil_cwl)")
pytest.importorskip("toil_cwl", reason="toil-cwl is not installed (pip install ./toil_cwl)")

DATA = REPO / "tests" / "cwl" / "data"


def _scatter(out: Dict[str, Any], outdir: Path) -> None:
    assert out["lengths"] == [6, 5, 6]
    assert [Path(f["path"]).read_text() for f in out["files"]] == ["ALPHA\n", "BETA\n", "GAMMA\n"]
    assert all(Path(f["path"]).parent == outdir for f in out["files"])


def _subworkflow(out: Dict[str, Any], outdir: Path) -> None:
    assert out == {"lengths": [6, 5, 6], "total": 17}


def _secondary_files(out: Dict[str, Any], outdir: Path) -> None:
    listing = Path(out["listing"]["path"]).read_text().split()
    assert sorted(listing) == ["sample.bam", "sample.bam.idx", "sample.meta"]
    assert Path(out["index_copy"]["path"]).read_text() == "index of sample\n"
    [bai] = out["result"]["secondaryFiles"]
    assert Path(bai["path"]) == outdir / "result.bam.bai"
    assert Path(bai["path"]).read_text() == "index\n"


def _directory(out: Dict[str, Any], outdir: Path) -> None:
    assert out["names"] == ["a.txt", "nested", "nested/b.txt"]
    root = Path(out["newdir"]["path"])
    assert root == outdir / "newdir"
    assert (root / "nested" / "b.txt").read_text() == "B\n"
    assert (root / "sub" / "joined.txt").read_text() == "A\nB\n"


WORKFLOWS: Dict[str, Tuple[str, str, Callable[[Dict[str, Any], Path], None]]] = {
    "scatter": ("scatter-wf.cwl", "scatter-job.yaml", _scatter),
    "subworkflow": ("subworkflow.cwl", "scatter-job.yaml", _subworkflow),
    "secondary_files": ("secondary.cwl", "secondary-job.yaml", _secondary_files),
    "directory": ("dirs.cwl", "dirs-job.yaml", _directory),
}


@pytest.fixture
def on_slurm(slurm: Scheduler, use_scheduler: Any) -> Scheduler:
    return use_scheduler(slurm)


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_cwl_workflow_on_slurm(on_slurm: Scheduler, name: str) -> None:
    document, job, check = WORKFLOWS[name]
    shared = on_slurm.shared_dir(f"cwl-{name}")
    try:
        data = shared / "data"
        shutil.copytree(DATA, data)
        outdir, logs = shared / "out", shared / "batchlogs"
        proc = on_slurm.run_python(
            ["-m", "toil_cwl", "--batchSystem", "slurm", "--jobStore", f"file:{shared / 'jobstore'}",
             "--outdir", str(outdir), "--batchLogsDir", str(logs), "--logLevel", "INFO",
             str(data / document), str(data / job)], cwd=shared, timeout=900)
        assert proc.returncode == 0, describe(proc)
        check(json.loads(proc.stdout), outdir)
        assert list(logs.glob("toil_job_*_std_output.log")), "no CWL tool ran as a Slurm job"
        assert not (shared / "jobstore").exists(), "a successful run removes its job store"
    finally:
        shutil.rmtree(shared, ignore_errors=True)
