"""What each toil-hpc batch system asks its scheduler for (command lines and submit descriptions),
and the small parsers; no scheduler is contacted."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from toil_core.testing import make_config

from toil_hpc.grid_engine_base import check_no_resource_args, parse_duration, resolve_worker_command

GPU = [{"count": 2, "kind": "gpu", "model": "tesla"}]


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Any]:
    made = []

    def build(name: str, **values: Any) -> Any:
        from toil_core.plugins.registry import get_batch_system_class

        config = make_config(tmp_path / "work", batchSystem=name, batch_logs_dir=str(tmp_path / "logs"), **values)
        system = get_batch_system_class(name)(config, 8, 64 * 2**30, 64 * 2**30)
        made.append(system)
        return system

    yield build
    for system in made:
        system.shutdown()


def test_worker_command_uses_this_environments_worker() -> None:
    resolved = resolve_worker_command("_toil_worker myJob file:/tmp/js kind-abc")
    assert resolved == f"{os.path.join(os.path.dirname(sys.executable), '_toil_worker')} myJob file:/tmp/js kind-abc"
    assert resolve_worker_command("echo hi; exit 3") == "echo hi; exit 3"


def test_slurm_submission(make: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TOIL_SLURM_ARGS", "-t 1:00:00 --qos 'fat q'")
    monkeypatch.setenv("TOIL_SLURM_PE", "multicore")
    bs = make("slurm")
    line = bs.prepareSubmission(2, 3 * 2**30, 5, "run it", "my job/1", {"A": "x y"}, GPU)
    assert line[:3] == ["sbatch", "--parsable", "--job-name=toil_job_5_my_job_1"]
    assert f"--output={tmp_path}/logs/toil_job_5_batch_SlurmBatchSystem_%j_std_output.log" in line
    assert "--cpus-per-task=2" in line and "--mem=3072M" in line and "--gres=gpu:tesla:2" in line
    assert "--partition=multicore" in line
    assert line[-6:-1] == ["-t", "1:00:00", "--qos", "fat q", "--wrap"]
    assert line[-1] == "export A='x y'\nrun it\n"
    single = bs.prepareSubmission(1, 2**20, 6, "true", "j", {}, [])
    assert not any(a.startswith("--partition") for a in single)


def test_slurm_refuses_resource_args(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for args in ("--mem=2G", "-c 4", "-c4", "--cpus-per-task=2", "--mem-per-cpu=1G"):
        monkeypatch.setenv("TOIL_SLURM_ARGS", args)
        with pytest.raises(ValueError, match="TOIL_SLURM_ARGS must not set"):
            make("slurm")


def test_grid_engine_submission(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOIL_GRIDENGINE_ARGS", "-q batch.q")
    monkeypatch.setenv("TOIL_GRIDENGINE_PE", "-pe shm")
    bs = make("grid_engine")
    line, script = bs.prepareSubmission(4, 8 * 2**30, 3, "run", "j", {"A": "1"}, [])
    assert line[:6] == ["qsub", "-terse", "-V", "-cwd", "-S", "/bin/sh"]
    assert ["-pe", "shm", "4"] == line[line.index("-pe"):line.index("-pe") + 3]
    assert "h_vmem=2048M" in line and line[-2:] == ["-q", "batch.q"]
    assert any(a.endswith("_batch_GridEngineBatchSystem_$JOB_ID_std_output.log") for a in line)
    assert script == "#!/bin/sh\nexport A=1\nrun\n"
    small, _ = bs.prepareSubmission(1, 50 * 2**20, 4, "run", "j", {}, [])
    assert "h_vmem=512M" in small  # raised to what a Python worker needs to start
    with pytest.raises(ValueError, match="accelerators"):
        bs.prepareSubmission(1, 2**30, 5, "run", "j", {}, GPU)


def test_grid_engine_manual_mem_args(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOIL_GRIDENGINE_ARGS", "-l mem_free=4G")
    line, _ = make("grid_engine", manualMemArgs=True).prepareSubmission(1, 2**30, 0, "run", "j", {}, [])
    assert not any("h_vmem" in a for a in line) and line[-2:] == ["-l", "mem_free=4G"]


def test_torque_submission(make: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TOIL_TORQUE_REQS", "walltime=2:00:00")
    bs = make("torque")
    line, script = bs.prepareSubmission(2, 2**30, 9, "run", "j", {}, [])
    assert line[-4:] == ["-l", "nodes=1:ppn=2,mem=1024mb", "-l", "walltime=2:00:00"]
    logs = f"{tmp_path}/logs/toil_job_9_batch_TorqueBatchSystem_"
    assert f"exec >{logs}\"${{PBS_JOBID}}\"_std_output.log 2>{logs}\"${{PBS_JOBID}}\"_std_error.log" in script


def test_lsf_submission(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LSF_ENVDIR", raising=False)
    monkeypatch.delenv("LSF_CONFDIR", raising=False)
    bs = make("lsf")
    line, _ = bs.prepareSubmission(2, 2**30, 1, "run", "j", {}, GPU)
    assert ["-n", "2", "-R", "span[hosts=1]"] == line[7:11]
    if bs.memory_unit == "KB" and not bs.per_task:  # no lsf.conf on this machine
        assert ["-R", "select[mem>=1048576] rusage[mem=1048576]", "-M", "1048576"] == line[11:15]
    assert line[-2:] == ["-gpu", "num=2"]


def test_htcondor_submit_description(make: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("htcondor")
    monkeypatch.setenv("TOIL_HTCONDOR_PARAMS", "requirements = TARGET.has_sse4_2 == true; accounting_group = test")
    bs = make("htcondor")
    desc = bs.prepareSubmission(2, 2**30, 4, "echo \"it's\"", "j", {"A": "x 'y'"}, GPU)
    assert desc["arguments"] == "\"'-c' 'echo \"\"it''s\"\"'\""
    assert desc["environment"] == "\"A='x ''y'''\""
    assert desc["request_cpus"] == "2" and desc["request_memory"] == "1024MB" and desc["request_gpus"] == "2"
    assert desc["requirements"] == "TARGET.has_sse4_2 == true" and desc["accounting_group"] == "test"
    assert desc["log"].endswith("toil_job_4_batch_HTCondorBatchSystem_$(Cluster)_job_events.log")
    assert desc["initialdir"] == str(tmp_path / "logs")


def test_helpers() -> None:
    assert parse_duration("1-02:03:04") == 93784 and parse_duration("05:06") == 306 and parse_duration("7") == 7
    assert parse_duration("N/A") is None
    check_no_resource_args("X", ["--comment=--mem", "-q", "fat"], ["--mem", "-c"])
