"""toil-hpc's ``lsf`` batch system against recorded LSF output.

No LSF can be installed on the test machines, so ``bsub``/``bjobs``/``bkill`` are the stand-ins of
tests/hpc/fakes/fake_sched.py: they run the jobs on this machine, enforce ``-M`` like LSF
(TERM_MEMLIMIT) and print what LSF 10.1 prints (tests/hpc/recorded/lsf).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest
from hpc_suite import HERE, SchedulerSuite, wait_for
from hpc_support import Scheduler
from toil_core.batch.abstract import BatchJobExitReason
from toil_hpc.lsf import lsf_status, parse_bjobs

RECORDED = HERE / "recorded" / "lsf"


def _job(scheduler: Scheduler, scheduler_id: str) -> Dict[str, Any]:
    return json.loads(Path(scheduler.env["FAKE_SCHED_STATE"], "jobs", f"{scheduler_id}.json").read_text())


class TestLSF(SchedulerSuite):
    __test__ = True
    scheduler_fixture = "lsf"

    def requested(self, scheduler: Scheduler, scheduler_id: str) -> Dict[str, Any]:
        args = _job(scheduler, scheduler_id)["args"]
        return {"cores": int(args[args.index("-n") + 1]), "memory_mib": int(args[args.index("-M") + 1]) // 1024,
                "text": args}

    def test_lsf_args_units_and_per_task_reservation(self, make_batch_system: Any, scheduler: Scheduler,
                                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        (tmp_path / "lsf.conf").write_text("LSF_UNITS_FOR_LIMITS=MB\n")
        params = tmp_path / "lsbatch" / "cluster1" / "configdir"
        params.mkdir(parents=True)
        (params / "lsb.params").write_text("Begin Parameters\nRESOURCE_RESERVE_PER_TASK = Y\nEnd Parameters\n")
        monkeypatch.setenv("LSF_ENVDIR", str(tmp_path))
        monkeypatch.setenv("TOIL_LSF_ARGS", "-q medium")
        monkeypatch.setenv("FAKE_LSF_UNIT", "mb")
        bs = make_batch_system()
        job_id = bs.issueBatchJob("true", self.job(cores=2, memory=2**30))
        assert wait_for(bs, job_id).exitStatus == 0
        newest = max(int(p.stem) for p in Path(scheduler.env["FAKE_SCHED_STATE"], "jobs").glob("*.json"))
        args = _job(scheduler, str(newest))["args"]
        assert args[args.index("-n") + 1] == "2"
        assert "select[mem>=512] rusage[mem=512]" in args and args[args.index("-M") + 1] == "1024"
        assert args[-2:] == ["-q", "medium"]

    def test_old_lsf_without_json(self, make_batch_system: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("FAKE_LSF_NO_JSON", "1")
        bs = make_batch_system()
        job_id = bs.issueBatchJob("exit 4", self.job())
        update = wait_for(bs, job_id)
        assert (update.exitStatus, update.exitReason) == (4, BatchJobExitReason.FAILED)
        assert bs._json is False


def _records(template: str, **values: Any) -> Dict[str, Dict[str, str]]:
    record = (RECORDED / template).read_text()
    for key, value in {"job_id": "7007", "run_time": "12", "exit_code": "", "exit_reason": "", **values}.items():
        record = record.replace("{" + key + "}", str(value))
    return parse_bjobs('{"COMMAND":"bjobs","JOBS":1,"RECORDS":[%s]}' % record)


@pytest.mark.parametrize("template, values, expected", [
    ("bjobs_json_pending.txt", {}, ("pending", None, None)),
    ("bjobs_json_running.txt", {}, ("running", None, None)),
    ("bjobs_json_done.txt", {}, ("done", 0, BatchJobExitReason.FINISHED)),
    ("bjobs_json_exit.txt", {"exit_code": 3}, ("done", 3, BatchJobExitReason.FAILED)),
    ("bjobs_json_exit.txt", {"exit_code": 137,
                             "exit_reason": "TERM_MEMLIMIT: job killed after reaching LSF memory usage limit"},
     ("done", 137, BatchJobExitReason.MEMLIMIT)),
    ("bjobs_json_exit.txt", {"exit_code": 130, "exit_reason": "TERM_OWNER: job killed by owner"},
     ("done", 130, BatchJobExitReason.KILLED)),
    ("bjobs_json_exit.txt", {"exit_code": 140, "exit_reason": "TERM_RUNLIMIT: job killed after reaching LSF run time limit"},
     ("done", 140, BatchJobExitReason.KILLED)),
])
def test_recorded_bjobs_records(template: str, values: Dict[str, Any], expected: Any) -> None:
    status = lsf_status(_records(template, **values)["7007"])
    assert (status.state, status.exit_code, status.reason) == expected


def test_recorded_unknown_job_is_left_out() -> None:
    assert lsf_status(_records("bjobs_json_unknown.txt")["7007"]) is None
