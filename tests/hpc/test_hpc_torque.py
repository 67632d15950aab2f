"""toil-hpc's ``torque`` batch system against recorded Torque output.

No Torque server can be installed on the test machines, so ``qsub``/``qstat``/``qdel`` are the
stand-ins of tests/hpc/fakes/fake_sched.py: they run the jobs on this machine and print what
Torque 6 prints (tests/hpc/recorded/torque). What is tested is toil-hpc's side: the qsub command
line, reading ``qstat -f``, exit codes and reasons, and whole workflows through those commands.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Dict

import pytest
from hpc_suite import HERE, SchedulerSuite
from hpc_support import Scheduler
from toil_core.batch.abstract import BatchJobExitReason
from toil_hpc.torque import parse_qstat_f, torque_status

RECORDED = HERE / "recorded" / "torque"


def submissions(scheduler: Scheduler) -> list:
    calls = Path(scheduler.env["FAKE_SCHED_STATE"], "calls.log").read_text().splitlines()
    return [json.loads(c) for c in calls if json.loads(c)[0] == "qsub"]


class TestTorque(SchedulerSuite):
    __test__ = True
    scheduler_fixture = "torque"

    def requested(self, scheduler: Scheduler, scheduler_id: str) -> Dict[str, Any]:
        job = json.loads(Path(scheduler.env["FAKE_SCHED_STATE"], "jobs", scheduler_id.split(".")[0] + ".json")
                         .read_text())
        resources = ",".join(job["args"][i + 1] for i, a in enumerate(job["args"]) if a == "-l")
        ppn = int(resources.split("ppn=")[1].split(",")[0].split(":")[0])
        mem = int(resources.split("mem=")[1].split("mb")[0])
        return {"cores": ppn, "memory_mib": mem, "text": job["args"]}

    def test_torque_args_and_reqs(self, make_batch_system: Any, scheduler: Scheduler,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TOIL_TORQUE_ARGS", "-q fatq")
        monkeypatch.setenv("TOIL_TORQUE_REQS", "walltime=1:00:00")
        bs = make_batch_system()
        job_id = bs.issueBatchJob("sleep 5", self.job(cores=3, memory=2**30))
        while self.scheduler_id_of(bs, job_id) is None:
            time.sleep(0.1)
        args = submissions(scheduler)[-1][1:]
        bs.killBatchJobs([job_id])
        assert args[:3] == ["-V", "-N", f"toil_job_{job_id}_contract"[:15]]
        assert ["-l", "nodes=1:ppn=3,mem=1024mb", "-l", "walltime=1:00:00", "-q", "fatq"] == args[7:]

    def test_resource_requests_in_torque_reqs_are_refused(self, make_batch_system: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TOIL_TORQUE_REQS", "walltime=1:00:00,mem=4gb")
        with pytest.raises(ValueError, match="TOIL_TORQUE_REQS must not set mem=4gb"):
            make_batch_system()


def _record(state: str, exit_status: str = "") -> Dict[str, str]:
    name = {"Q": "qstat_f_queued.txt", "R": "qstat_f_running.txt"}.get(state, "qstat_f_completed.txt")
    text = (RECORDED / name).read_text()
    for key, value in {"job_id": "4242.torque-server.example.org", "name": "toil_job_1_x", "walltime": "00:01:05",
                       "exit_status": exit_status, "submit_args": "-V -N toil_job_1_x"}.items():
        text = text.replace("{" + key + "}", value)
    records = parse_qstat_f(text)
    assert list(records) == ["4242.torque-server.example.org"]
    return records["4242.torque-server.example.org"]


def test_recorded_qstat_f_is_parsed() -> None:
    record = _record("R")
    assert record["job_state"] == "R" and record["resources_used.walltime"] == "00:01:05"
    assert "PBS_O_SERVER=torque-server.example.org" in record["Variable_List"]  # continuation lines
    assert torque_status(record).state == "running" and torque_status(record).elapsed == 65
    assert torque_status(_record("Q")).state == "pending"


@pytest.mark.parametrize("exit_status, code, reason", [
    ("0", 0, None), ("3", 3, None), ("271", 143, BatchJobExitReason.KILLED),
    ("-10", 255, BatchJobExitReason.MEMLIMIT), ("-11", 255, BatchJobExitReason.KILLED),
    ("-3", 255, BatchJobExitReason.ERROR), ("", 255, BatchJobExitReason.KILLED),
])
def test_recorded_exit_statuses(exit_status: str, code: int, reason: Any) -> None:
    status = torque_status(_record("C", exit_status))
    assert (status.state, status.exit_code, status.reason) == ("done", code, reason)
