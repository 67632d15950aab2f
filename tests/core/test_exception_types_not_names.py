"""Missing jobs and files are recognised by exception type, and the single-machine case by a capability flag.

A backend may raise a subclass of the upstream exception (with its own name) or name a batch system
class differently; a check on class names would miss both.
"""
import pytest

from toil_core.batch.abstract import AbstractBatchSystem
from toil_core.batch.single_machine import SingleMachineBatchSystem
from toil_core.job.description import JobDescription
from toil_core.job.saving import load_job_body
from toil_core.jobstores.errors import NoSuchFileException, NoSuchJobException
from toil_core.leader import restart
from toil_core.leader.tracker import JobTracker


class JobGoneFromMyStore(NoSuchJobException):
    """What a backend might raise: a subclass with its own name."""


class FileGoneFromMyStore(NoSuchFileException):
    pass


class StoreRaising:
    locator = "file:/somewhere"

    def __init__(self, error):
        self.error = error

    def load_job(self, job_id):
        raise self.error

    def read_file_stream(self, file_id):
        raise self.error


def test_restart_treats_a_subclass_of_no_such_job_as_missing():
    assert restart._load(StoreRaising(JobGoneFromMyStore("j1")), "j1") is None


def test_restart_does_not_swallow_other_errors():
    with pytest.raises(OSError):
        restart._load(StoreRaising(OSError("disk on fire")), "j1")


def test_leader_treats_a_subclass_of_no_such_job_as_missing():
    tracker = JobTracker(StoreRaising(JobGoneFromMyStore("j1")))
    assert tracker.load("j1") is None


def test_leader_does_not_swallow_other_errors():
    tracker = JobTracker(StoreRaising(OSError("disk on fire")))
    with pytest.raises(OSError):
        tracker.load("j1")


def test_missing_body_of_any_no_such_file_subclass_says_the_store_is_damaged():
    desc = JobDescription(jobName="lost")
    desc.body_id = "files/body-1"
    with pytest.raises(NoSuchFileException, match="is damaged"):
        load_job_body(StoreRaising(FileGoneFromMyStore("files/body-1")), desc)


def test_single_machine_declares_it_runs_workers_beside_the_leader():
    assert SingleMachineBatchSystem.runs_workers_beside_leader() is True
    assert AbstractBatchSystem.runs_workers_beside_leader() is False


def test_the_flag_survives_a_renamed_subclass():
    class LocalWithAnotherName(SingleMachineBatchSystem):
        pass

    assert LocalWithAnotherName.runs_workers_beside_leader() is True
