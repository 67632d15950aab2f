"""toil-cwl-runner end to end: the manual's example, workflows, files and directories."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(300)


def sha1(path: Path) -> str:
    return "sha1$" + hashlib.sha1(path.read_bytes()).hexdigest()


def test_manual_example(run_cwl, data_dir):
    """Seeds 2.2: ``toil-cwl-runner example.cwl example-job.yaml`` writes output.txt."""
    run = run_cwl(data_dir / "example.cwl", data_dir / "example-job.yaml")
    out = run.output["output"]
    exported = run.outdir / "output.txt"
    assert exported.read_text() == "Hello world!\n"
    assert out["class"] == "File"
    assert out["basename"] == "output.txt"
    assert out["location"] == exported.as_uri()
    assert out["path"] == str(exported)
    assert out["size"] == 13
    assert out["checksum"] == sha1(exported)
    # stdout holds only the output object (logging goes to stderr)
    assert json.loads(run.stdout) == run.output


def test_default_outdir_is_cwd(run_cwl, data_dir, tmp_path):
    """Without --outdir the outputs land in the current directory."""
    run = run_cwl(data_dir / "example.cwl", data_dir / "example-job.yaml", default_outdir=True)
    assert run.output["output"]["path"] == str(tmp_path / "output.txt")
    assert (tmp_path / "output.txt").read_text() == "Hello world!\n"


def test_inputs_on_the_command_line(run_cwl, data_dir):
    """Workflow inputs may be given as options after the document, like cwltool."""
    run = run_cwl(data_dir / "example.cwl", "--message", "from the command line")
    assert (run.outdir / "output.txt").read_text() == "from the command line\n"


def test_scatter_workflow(run_cwl, data_dir):
    run = run_cwl(data_dir / "scatter-wf.cwl", data_dir / "scatter-job.yaml")
    out = run.output
    assert out["lengths"] == [6, 5, 6]
    names = [f["basename"] for f in out["files"]]
    assert names == ["alpha.txt", "beta.txt", "gamma.txt"]
    for word, entry in zip(["alpha", "beta", "gamma"], out["files"]):
        path = Path(entry["path"])
        assert path.parent == run.outdir
        assert path.read_text() == word.upper() + "\n"
        assert entry["checksum"] == sha1(path)


def test_subworkflow(run_cwl, data_dir):
    run = run_cwl(data_dir / "subworkflow.cwl", data_dir / "scatter-job.yaml")
    assert run.output == {"lengths": [6, 5, 6], "total": 17}


def test_secondary_files(run_cwl, data_dir):
    run = run_cwl(data_dir / "secondary.cwl", data_dir / "secondary-job.yaml")
    out = run.output
    # The tool saw the primary file with both secondary files beside it.
    listing = Path(out["listing"]["path"]).read_text().split()
    assert sorted(listing) == ["sample.bam", "sample.bam.idx", "sample.meta"]
    assert Path(out["index_copy"]["path"]).read_text() == "index of sample\n"
    # Output secondary files are collected and exported next to the primary.
    result = out["result"]
    assert result["basename"] == "result.bam"
    [bai] = result["secondaryFiles"]
    assert bai["basename"] == "result.bam.bai"
    assert Path(bai["path"]).read_text() == "index\n"
    assert Path(bai["path"]).parent == run.outdir


def test_missing_secondary_file_fails(run_cwl, data_dir):
    (data_dir / "sample.bam.idx").unlink()
    run = run_cwl(data_dir / "secondary.cwl", data_dir / "secondary-job.yaml", check=False)
    assert run.returncode != 0
    assert "sample.bam.idx" in run.stderr or "secondary" in run.stderr.lower()


def test_directory_input_and_output(run_cwl, data_dir):
    run = run_cwl(data_dir / "dirs.cwl", data_dir / "dirs-job.yaml")
    out = run.output
    assert out["names"] == ["a.txt", "nested", "nested/b.txt"]
    newdir = out["newdir"]
    assert newdir["class"] == "Directory"
    root = Path(newdir["path"])
    assert root == run.outdir / "newdir"
    assert (root / "a.txt").read_text() == "A\n"
    assert (root / "nested" / "b.txt").read_text() == "B\n"
    assert (root / "sub" / "joined.txt").read_text() == "A\nB\n"
    # The printed object lists the exported directory, like cwltool does.
    names = sorted(entry["basename"] for entry in newdir["listing"])
    assert names == ["a.txt", "nested", "sub"]
    for entry in newdir["listing"]:
        assert entry["location"].startswith(root.as_uri())


def test_validation_error_exit_code(run_cwl, data_dir):
    bad = data_dir / "bad.cwl"
    bad.write_text("cwlVersion: v1.2\nclass: CommandLineTool\ninputs: {x: NoSuchType}\noutputs: []\n")
    run = run_cwl(bad, check=False)
    assert run.returncode == 1
    assert run.stdout == ""


def test_unsupported_requirement_exit_code(run_cwl, data_dir):
    tool = data_dir / "needs-docker.cwl"
    tool.write_text(
        "cwlVersion: v1.2\nclass: CommandLineTool\nrequirements:\n  DockerRequirement:\n"
        "    dockerPull: debian:stable-slim\ninputs: []\noutputs: []\nbaseCommand: 'true'\n")
    run = run_cwl(tool, check=False, extra=["--no-container"])
    assert run.returncode == 33, run.stderr[-3000:]


def test_failing_tool(run_cwl, data_dir):
    tool = data_dir / "fail.cwl"
    tool.write_text("cwlVersion: v1.2\nclass: CommandLineTool\ninputs: []\noutputs: []\n"
                    "baseCommand: 'false'\n")
    run = run_cwl(tool, check=False, extra=["--retryCount", "0"])
    assert run.returncode == 1
    assert run.stdout == ""


def test_a_failed_tool_resumes_from_the_printed_command(run_cwl, data_dir, tmp_path):
    """Issue 14, part 2: the run keeps its temporary job store and prints the exact command that
    resumes it (the messages themselves are rows of tests/faults/test_bad_inputs.py)."""
    tool = data_dir / "missing.cwl"
    tool.write_text("cwlVersion: v1.2\nclass: CommandLineTool\ninputs: []\noutputs: []\n"
                    "baseCommand: no_such_command_xyz\n")
    run = run_cwl(tool, check=False, extra=["--retryCount", "2"])
    err = run.stderr
    assert run.returncode == 1, err[-3000:]
    store = re.search(r"toil-cwl-runner --restart --jobStore (file:\S+) ", err)
    assert store, err
    assert Path(store.group(1)[len("file:"):]).is_dir()
    assert str(tmp_path / "tmp") in store.group(1)
    resumed = run_cwl("--restart", "--jobStore", store.group(1), tool, check=False)
    assert "does not exist" not in resumed.stderr, resumed.stderr[-3000:]
    assert "completed permanentFail" in resumed.stderr  # it really resumed (and failed the same way)


