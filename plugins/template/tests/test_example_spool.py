"""The example_spool batch system (a submit-and-poll backend) keeps toil-core's contracts."""
from __future__ import annotations

from toil_core.testing import BatchSystemContract, make_config, make_job_description


class TestExampleSpoolBatchSystem(BatchSystemContract):
    batch_system_name = "example_spool"


def test_spool_records_each_job_and_its_exit_code(tmp_path):
    from toil_core.plugins.registry import get_batch_system_class

    system = get_batch_system_class("example_spool")(make_config(example_spool_dir=str(tmp_path)), 4, 2**30, 2**30)
    try:
        batch_id = system.issueBatchJob("exit 7", make_job_description())
        update = system.getUpdatedBatchJob(60)
        assert update is not None and (update.jobID, update.exitStatus) == (batch_id, 7)
        folders = [p for p in tmp_path.iterdir() if p.is_dir()]
        assert len(folders) == 1 and (folders[0] / "status").read_text() == "7"
    finally:
        system.shutdown()
