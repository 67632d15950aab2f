"""toil-hpc's ``htcondor`` batch system against a real HTCondor pool (Debian 13's htcondor 23.9 in
a chroot, toil_hpc/scripts/htcondor_up.sh), driven through the pip ``htcondor`` 24 bindings.

Batch systems made in this process submit as root claiming to be the pool's job owner (HTCondor
refuses root-owned jobs); workflows run inside the chroot as that user.
"""
from __future__ import annotations

import time
from typing import Any, Dict

import pytest
from hpc_suite import SchedulerSuite, wait_for
from hpc_support import Scheduler


def _job_ad(scheduler_id: str, attributes: list) -> Dict[str, Any]:
    import htcondor

    ads = htcondor.Schedd().query(f"ClusterId == {scheduler_id}", attributes)
    return dict(ads[0]) if ads else {}


class TestHTCondor(SchedulerSuite):
    __test__ = True
    scheduler_fixture = "htcondor"

    def requested(self, scheduler: Scheduler, scheduler_id: str) -> Dict[str, Any]:
        ad = _job_ad(scheduler_id, ["RequestCpus", "RequestMemory", "Owner"])
        return {"cores": int(ad.get("RequestCpus", 0)), "memory_mib": int(ad.get("RequestMemory", 0)), "text": ad}

    def test_htcondor_params_and_owner(self, make_batch_system: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TOIL_HTCONDOR_PARAMS", '+ToilHpcTest = "yes"; accounting_group = toiltest')
        bs = make_batch_system()
        job_id = bs.issueBatchJob("sleep 20", self.job())
        while self.scheduler_id_of(bs, job_id) is None:
            time.sleep(0.1)
        ad = _job_ad(self.scheduler_id_of(bs, job_id), ["ToilHpcTest", "AcctGroup", "Owner", "ToilBatchJobID"])
        bs.killBatchJobs([job_id])
        assert ad.get("ToilHpcTest") == "yes" and ad.get("AcctGroup") == "toiltest", ad
        assert ad.get("Owner") == "condorci" and ad.get("ToilBatchJobID") == job_id, ad

    def test_bad_params_are_refused(self, make_batch_system: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TOIL_HTCONDOR_PARAMS", "request_cpus")
        with pytest.raises(ValueError, match="is not 'key = value'"):
            make_batch_system()

    def test_held_job_is_removed_and_reported(self, make_batch_system: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        # the schedd holds the job at its next periodic evaluation
        monkeypatch.setenv("TOIL_HTCONDOR_PARAMS", "periodic_hold = True")
        bs = make_batch_system()
        job_id = bs.issueBatchJob("true", self.job())
        update = wait_for(bs, job_id, timeout=120)
        assert update.exitReason.name == "FAILED" and update.exitStatus != 0
