"""Behaviour of the upstream modules toil.statsAndLogging, toil.toilState and
toil.batchSystems.options (issue 13), backed by this engine's logging setup, the leader's job
logs and job tracker, and the batch-system option table."""
import argparse
import io
import json
import logging
import time

import pytest

from toil.batchSystems.options import (
    add_all_batchsystem_options,
    set_batchsystem_config_defaults,
    set_batchsystem_options,
)
from toil.common import Config
from toil.job import JobDescription
from toil.jobStores.abstractJobStore import NoSuchJobException
from toil.statsAndLogging import (
    StatsAndLogging,
    add_logging_options,
    configure_root_logger,
    log_to_file,
    set_log_level,
    set_logging_from_options,
    suppress_exotic_logging,
)
from toil.toilState import ToilState


@pytest.fixture
def root_logger_restored():
    """Put the root logger's level and handlers back after the test."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield root
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.05)


# ------------------------------------------------------------------------ toil.statsAndLogging
def test_logging_options_on_a_parser_set_the_root_logger_level(root_logger_restored):
    parser = argparse.ArgumentParser()
    add_logging_options(parser)
    set_logging_from_options(parser.parse_args(["--logLevel", "debug"]))
    assert root_logger_restored.level == logging.DEBUG
    set_logging_from_options(parser.parse_args(["--logCritical"]))
    assert root_logger_restored.level == logging.CRITICAL


def test_set_log_level_takes_names_and_an_explicit_logger(root_logger_restored):
    set_log_level("warn")
    assert root_logger_restored.level == logging.WARNING
    other = logging.getLogger("facade3.test.other")
    set_log_level("DEBUG", other)
    assert other.level == logging.DEBUG
    with pytest.raises(ValueError, match="Unknown log level"):
        set_log_level("loud")


def test_configure_root_logger_adds_one_stderr_handler(root_logger_restored):
    configure_root_logger()
    count = len(root_logger_restored.handlers)
    configure_root_logger()
    assert len(root_logger_restored.handlers) == count
    assert root_logger_restored.level == logging.INFO


def test_log_to_file_writes_root_records_to_the_file(root_logger_restored, tmp_path):
    path = tmp_path / "run.log"
    root_logger_restored.setLevel(logging.INFO)
    log_to_file(str(path), False)
    logging.getLogger("facade3.test").info("hello from the test")
    for handler in root_logger_restored.handlers:
        handler.flush()
    assert "hello from the test" in path.read_text()


def test_suppress_exotic_logging_quiets_other_packages_only():
    foreign = logging.getLogger("facade3_foreign_pkg.sub")
    mine = logging.getLogger("facade3_mine.sub")
    # The call sets every logger created so far (those of other tests and backends too): restore
    # them all, or later tests in this process would capture nothing from their own loggers.
    manager = logging.Logger.manager
    saved = {name: logger.level for name, logger in manager.loggerDict.items()
             if isinstance(logger, logging.Logger)}
    mine_level = mine.level
    try:
        suppress_exotic_logging("facade3_mine")
        assert foreign.level == logging.CRITICAL
        assert logging.getLogger("boto3").level == logging.CRITICAL
        assert mine.level == mine_level
    finally:
        for name, logger in list(manager.loggerDict.items()):
            if isinstance(logger, logging.Logger):
                logger.setLevel(saved.get(name, logging.NOTSET))


def test_format_log_stream_frames_the_log_with_the_worker_markers():
    text = StatsAndLogging.formatLogStream(io.BytesIO(b"line one\nline two\n"), "myjob")
    lines = text.splitlines()
    assert "---TOIL WORKER OUTPUT LOG---" in lines[1] and "---TOIL WORKER OUTPUT LOG---" in lines[-1]
    assert lines[2] == "myjob    line one"


def test_stats_and_logging_thread_handles_worker_logs(store, tmp_path):
    config = Config()
    config.writeLogs = str(tmp_path / "logs")
    store.write_logs(json.dumps({"logs": [], "worker_log": {"jobs": [["myjob", "id1"]], "text": "out\n"}}))
    thread = StatsAndLogging(store, config)
    thread.start()
    try:
        wait_for(lambda: (tmp_path / "logs").exists() and any((tmp_path / "logs").iterdir()))
        thread.check()
    finally:
        thread.shutdown()
    [written] = list((tmp_path / "logs").iterdir())
    assert written.name.startswith("myjob_id1") and written.read_text() == "out\n"


def test_write_log_files_writes_the_job_log_with_write_logs(tmp_path):
    config = Config()
    config.writeLogs = str(tmp_path / "logs")
    StatsAndLogging.writeLogFiles(["jobA"], ["first", "second"], config, failed=True)
    [written] = list((tmp_path / "logs").iterdir())
    assert written.read_text() == "first\nsecond\n"


# ------------------------------------------------------------------------ toil.toilState
def new_job(store, name, **kwargs):
    desc = JobDescription(jobName=name, **kwargs)
    store.assign_job_id(desc)
    store.create_job(desc)
    return desc


def test_toil_state_loads_the_workflow_and_holds_one_copy(store):
    child = new_job(store, "child")
    follow = new_job(store, "follow")
    root = new_job(store, "root", children=[child.jobStoreID], followOns=[follow.jobStoreID])
    state = ToilState(store)
    state.load_workflow(root)
    assert state.job_exists(child.jobStoreID)
    assert state.get_job(child.jobStoreID) is state.get_job(child.jobStoreID)
    assert state.get_job(follow.jobStoreID).jobName == "follow"


def test_toil_state_commit_reset_and_delete(store):
    job = new_job(store, "job")
    state = ToilState(store)
    state.get_job(job.jobStoreID).jobName = "renamed"
    state.commit_job(job.jobStoreID)
    assert store.load_job(job.jobStoreID).jobName == "renamed"
    state.get_job(job.jobStoreID).jobName = "not committed"
    state.reset_job(job.jobStoreID)
    assert state.get_job(job.jobStoreID).jobName == "renamed"
    state.delete_job(job.jobStoreID)
    assert not state.job_exists(job.jobStoreID)
    with pytest.raises(NoSuchJobException):
        state.get_job(job.jobStoreID)


def test_toil_state_counts_pending_successors(store):
    state = ToilState(store)
    state.successors_pending("p", 2)
    state.successor_returned("p")
    assert state.count_pending_successors("p") == 1
    state.successor_returned("p")
    assert state.count_pending_successors("p") == 0
    with pytest.raises(RuntimeError):
        state.successor_returned("p")


# ------------------------------------------------------------------------ toil.batchSystems.options
def test_add_all_batchsystem_options_adds_the_batch_system_flags():
    parser = argparse.ArgumentParser()
    add_all_batchsystem_options(parser)
    options = parser.parse_args(["--batchSystem", "slurm", "--maxJobs", "3", "--mesosEndpoint", "m:5050"])
    assert (options.batchSystem, options.max_jobs, options.mesos_endpoint) == ("slurm", 3, "m:5050")


def test_add_all_batchsystem_options_works_on_an_argument_group_and_twice():
    parser = argparse.ArgumentParser()
    group = parser.add_argument_group("batch")
    add_all_batchsystem_options(group)
    add_all_batchsystem_options(parser)
    assert parser.parse_args(["--kubernetesOwner", "me"]).kubernetes_owner == "me"


def test_set_batchsystem_options_names_shared_and_own_options_only():
    named = []
    set_batchsystem_options("kubernetes", lambda name, *args, **kwargs: named.append(name))
    assert {"batchSystem", "max_jobs", "kubernetes_owner"} <= set(named)
    assert "mesos_endpoint" not in named
    everything = []
    set_batchsystem_options(None, lambda name, *args, **kwargs: everything.append(name))
    assert {"mesos_endpoint", "tes_endpoint", "kubernetes_owner"} <= set(everything)


def test_set_batchsystem_config_defaults_fills_missing_values_only():
    class Bare:
        batchSystem = "slurm"

    config = Bare()
    set_batchsystem_config_defaults(config)
    assert config.batchSystem == "slurm"
    assert config.max_jobs == Config().max_jobs
    assert hasattr(config, "tes_endpoint")
