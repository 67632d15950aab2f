"""JobDescription and its variants built and used as upstream Toil 5.10 builds them."""
import pytest

from toil.job import Job, JobDescription
from toil_core.job.description import CheckpointJobDescription, ServiceJobDescription


def test_built_with_upstream_positional_arguments_and_requirements():
    desc = JobDescription({"memory": "2G", "cores": 2, "disk": 1024, "preemptible": "true"}, "align",
                          unitName="sample1", displayName="Align sample1", local=True)
    assert (desc.memory, desc.cores, desc.disk, desc.preemptible) == (2 * 1000 ** 3, 2.0, 1024, True)
    assert (desc.jobName, desc.unitName, desc.displayName, desc.local) == ("align", "sample1", "Align sample1", True)
    assert desc.command is None


def test_a_plain_command_is_kept_for_a_batch_system_to_run():
    desc = JobDescription(command="sleep 1000", requirements={"memory": 1 << 20, "cores": 1, "disk": 0},
                          jobName="test1")
    assert desc.command == "sleep 1000"
    assert JobDescription.from_bytes(desc.to_bytes()).command == "sleep 1000"


def test_a_toil_command_names_the_body_file():
    desc = JobDescription({}, "job", command="_toil files/body-1 /usr/lib/python3 script False")
    assert desc.body_id == "files/body-1"
    desc.command = None
    assert desc.body_id is None and desc.command is None


def test_an_unknown_requirement_is_refused():
    with pytest.raises(ValueError, match="Unknown job requirement 'gpus'"):
        JobDescription({"gpus": 1}, "job")


def test_accelerator_requirements_are_parsed():
    desc = JobDescription({"accelerators": ["cuda:2"]}, "job")
    assert desc.accelerators[0]["count"] == 2 and desc.accelerators[0]["api"] == "cuda"


def test_checkpoint_and_service_jobs_get_upstreams_description_classes():
    class Echo(Job.Service):
        def start(self, job):
            return 1

        def stop(self, job):
            pass

    assert type(Job(checkpoint=True).description) is CheckpointJobDescription
    assert type(Job().description) is JobDescription
    host = Job()
    host.addService(Echo())
    assert type(host._services[0].description) is ServiceJobDescription


def test_stored_descriptions_come_back_as_their_variant():
    checkpoint = CheckpointJobDescription(jobName="ck")
    service = ServiceJobDescription(jobName="svc")
    assert type(JobDescription.from_bytes(checkpoint.to_bytes())) is CheckpointJobDescription
    assert type(JobDescription.from_bytes(service.to_bytes())) is ServiceJobDescription
    assert type(JobDescription.from_bytes(JobDescription(jobName="j").to_bytes())) is JobDescription


def test_restart_checkpoint_deletes_the_subtree_and_rearms_the_body(store):
    checkpoint = store.create_job(CheckpointJobDescription(jobName="ck"))
    child = store.create_job(JobDescription(jobName="child"))
    grandchild = store.create_job(JobDescription(jobName="grandchild"))
    child.children = [grandchild.jobStoreID]
    store.update_job(child)
    checkpoint.children = [child.jobStoreID]
    checkpoint.checkpoint_body_id = "files/saved-body"
    checkpoint.body_id = None  # it ran
    store.update_job(checkpoint)

    deleted = checkpoint.restartCheckpoint(store)

    assert sorted(deleted) == sorted([child.jobStoreID, grandchild.jobStoreID])
    assert not store.job_exists(child.jobStoreID) and not store.job_exists(grandchild.jobStoreID)
    stored = store.load_job(checkpoint.jobStoreID)
    assert stored.children == [] and stored.body_id == "files/saved-body"
    assert stored.remainingTryCount == checkpoint.remainingTryCount
