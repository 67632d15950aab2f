"""Config: conversion and validation of option values, restart handling, pickling."""
import argparse
import contextlib
import copy
import io
import pickle

import pytest

from toil_core.common.config import (
    Config,
    OptionError,
    _human2bytes,
    normalize_jobstore,
    parse_node_types,
)
from toil_core.workflow.options import add_options, get_default_argument_parser


def parse(*args):
    return get_default_argument_parser().parse_args(["js", *args])


def config_of(*args):
    config = Config()
    config.setOptions(parse(*args))
    return config


def unchecked(*args):
    """Parse without the checks of the full parser (only the options, no backends)."""
    parser = argparse.ArgumentParser()
    add_options(parser, include_backend_options=False)
    return parser.parse_args(["js", *args])


def error_of(*args):
    """The OptionError message for ``args``; the full parser reports it as a usage error (exit 2)."""
    with pytest.raises(OptionError) as e:
        Config().setOptions(unchecked(*args))
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), pytest.raises(SystemExit) as exit_info:
        parse(*args)
    assert exit_info.value.code == 2
    assert stderr.getvalue().endswith(f": error: {e.value}\n"), stderr.getvalue()
    return str(e.value)


def test_option_error_is_value_and_runtime_error():
    assert issubclass(OptionError, ValueError) and issubclass(OptionError, RuntimeError)


# ---- clean / stats -----------------------------------------------------------------------------

def test_clean_defaults():
    assert config_of().clean == "onSuccess"
    assert config_of("--stats").clean == "never"
    assert config_of("--stats", "--clean", "never").clean == "never"
    assert config_of("--clean", "always").clean == "always"


@pytest.mark.parametrize("clean", ["always", "onError", "onSuccess"])
def test_stats_overrides_contradicting_clean(clean, caplog):
    # Manual, Stats Command: --stats keeps the job store no matter what other options say.
    with caplog.at_level("WARNING"):
        assert config_of("--stats", "--clean", clean).clean == "never"
    assert f"Contradicting options passed: Clean flag is set to {clean}" in caplog.text


def test_bad_clean_in_code():
    options = parse()
    options.clean = "sometimes"
    with pytest.raises(OptionError, match="--clean"):
        Config().setOptions(options)


# ---- directories -------------------------------------------------------------------------------

def test_missing_work_dir(tmp_path):
    missing = tmp_path / "nope"
    assert error_of("--workDir", str(missing)) == f"The path provided to --workDir ({missing}) does not exist."
    assert error_of("--coordinationDir", str(missing)) == \
        f"The path provided to --coordinationDir ({missing}) does not exist."


def test_existing_dirs_made_absolute(tmp_path, monkeypatch):
    (tmp_path / "w").mkdir()
    monkeypatch.chdir(tmp_path)
    config = config_of("--workDir", "w", "--coordinationDir", ".", "--writeLogs", "logs")
    assert config.workDir == str(tmp_path / "w")
    assert config.coordination_dir == str(tmp_path)
    assert config.writeLogs == str(tmp_path / "logs")


# ---- log options -------------------------------------------------------------------------------

def test_write_logs_conflicts():
    assert "--writeLogs" in error_of("--writeLogs", "a", "--writeLogsGzip", "b")
    message = error_of("--writeLogsFromAllJobs")
    assert "--writeLogsFromAllJobs" in message and "--writeLogs" in message
    assert config_of("--writeLogsFromAllJobs", "--writeLogsGzip", "x").writeLogsFromAllJobs


def test_max_log_file_size_allows_zero_and_negative():
    assert config_of("--maxLogFileSize", "0").maxLogFileSize == 0
    assert config_of("--maxLogFileSize=-2Ki").maxLogFileSize == -2048
    options = parse()
    options.maxLogFileSize = "-100"
    config = Config()
    config.setOptions(options)
    assert config.maxLogFileSize == -100


# ---- numeric ranges ----------------------------------------------------------------------------

@pytest.mark.parametrize("args, flag", [
    (["--targetTime", "0"], "--targetTime"),
    (["--targetTime=-5"], "--targetTime"),
    (["--betaInertia", "0.95"], "--betaInertia"),
    (["--betaInertia=-0.1"], "--betaInertia"),
    (["--preemptibleCompensation", "1.5"], "--preemptibleCompensation"),
    (["--preemptableCompensation=-0.5"], "--preemptibleCompensation"),
    (["--deadlockCheckInterval", "0"], "--deadlockCheckInterval"),
    (["--retryCount=-1"], "--retryCount"),
    (["--defaultCores", "0"], "--defaultCores"),
    (["--maxCores", "0"], "--maxCores"),
    (["--defaultMemory", "0"], "--defaultMemory"),
    (["--defaultDisk", "0"], "--defaultDisk"),
    (["--maxMemory", "0"], "--maxMemory"),
    (["--maxDisk", "0"], "--maxDisk"),
    (["--scale", "0"], "--scale"),
    (["--badWorker", "1.5"], "--badWorker"),
    (["--badWorker=-0.1"], "--badWorker"),
    (["--maxJobs=-1"], "--maxJobs"),
])
def test_out_of_range_values(args, flag):
    assert flag in error_of(*args)


@pytest.mark.parametrize("args", [
    ["--betaInertia", "0"], ["--betaInertia", "0.9"], ["--preemptibleCompensation", "1"],
    ["--preemptibleCompensation", "0"], ["--retryCount", "0"], ["--defaultCores", "0.1"],
    ["--badWorker", "1"], ["--scale", "0.5"],
])
def test_edge_values_accepted(args):
    config_of(*args)


def test_job_limits_zero_means_unlimited():
    import sys
    config = config_of("--maxJobs", "0", "--maxLocalJobs", "0")
    assert config.max_jobs == sys.maxsize and config.max_local_jobs == sys.maxsize
    assert config_of("--maxJobs", "5").max_jobs == 5


def test_values_set_in_code_are_converted():
    options = parse()
    options.defaultMemory = "1Gi"
    options.retryCount = "3"
    options.defaultCores = "0.5"
    options.stats = "true"
    options.environment = {"A": "1"}
    config = Config()
    config.setOptions(options)
    assert config.defaultMemory == 1024 ** 3 and config.retryCount == 3 and config.defaultCores == 0.5
    assert config.stats is True and config.clean == "never" and config.environment == {"A": "1"}
    options.retryCount = "many"
    with pytest.raises(OptionError, match="--retryCount"):
        Config().setOptions(options)


def test_empty_set_env_name_is_an_option_error():
    assert "--setEnv" in error_of("-e", "=x")


# ---- sizes -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, size", [
    ("100", 100), ("100b", 100), ("1K", 1024), ("100k", 102400), ("2G", 2 * 1024 ** 3), ("1T", 1024 ** 4),
    ("1Ki", 1024), ("1024 Mib", 1024 ** 3), ("2Gi", 2 * 1024 ** 3), ("1 GiB", 1024 ** 3),
    ("1kb", 1000), ("1mb", 10 ** 6), ("3GB", 3 * 10 ** 9), ("1.5Gi", 3 * 1024 ** 3 // 2),
])
def test_private_human2bytes(text, size):
    assert _human2bytes(text) == size


@pytest.mark.parametrize("text", ["-1G", "2X", "", "G", "1 2", "abc"])
def test_private_human2bytes_rejects(text):
    with pytest.raises(ValueError):
        _human2bytes(text)


# ---- autoscaling -------------------------------------------------------------------------------

def test_node_types_parsing():
    assert parse_node_types("c5.4xlarge/c5a.4xlarge:0.42,t2.large") == [
        ({"c5.4xlarge", "c5a.4xlarge"}, 0.42), ({"t2.large"}, None)]
    for bad in ("a:", ":0.3", "a:-1", "a:x"):
        with pytest.raises(ValueError):
            parse_node_types(bad)


def test_node_counts():
    config = config_of("--nodeTypes", "a,b:0.1", "--maxNodes", "4")
    assert config.minNodes == [0, 0] and config.maxNodes == [4, 4]
    config = config_of("--nodeTypes", "a,b", "--minNodes", "1,2", "--maxNodes", "3,5")
    assert config.minNodes == [1, 2] and config.maxNodes == [3, 5]
    assert "--minNodes" in error_of("--nodeTypes", "a,b", "--minNodes", "1")
    assert "--maxNodes" in error_of("--nodeTypes", "a", "--maxNodes", "1,2")
    assert "--minNodes" in error_of("--nodeTypes", "a", "--minNodes", "5", "--maxNodes", "2")


def test_node_storage_overrides():
    config = config_of("--nodeTypes", "t2.large,c5:0.2", "--nodeStorageOverrides", "t2.large:100,c5:20")
    assert config.nodeStorageOverrides == ["t2.large:100", "c5:20"]
    assert "--nodeStorageOverrides" in error_of("--nodeTypes", "t2.large", "--nodeStorageOverrides", "t2.large")
    assert "--nodeTypes" in error_of("--nodeTypes", "t2.large", "--nodeStorageOverrides", "m5:100")


def test_default_accelerators():
    config = config_of("--defaultAccelerators", "gpu:2,nvidia-tesla-k80")
    assert len(config.defaultAccelerators) == 2
    assert config.defaultAccelerators[0]["count"] == 2 and config.defaultAccelerators[0]["kind"] == "gpu"
    assert config.defaultAccelerators[1]["model"] == "nvidia-tesla-k80"


# ---- sse key -----------------------------------------------------------------------------------

def test_sse_key(tmp_path):
    good = tmp_path / "good"
    good.write_text("a" * 32 + "\n")
    assert config_of("--sseKey", str(good)).sseKey == str(good)
    bad = tmp_path / "bad"
    bad.write_text("short\n")
    assert "--sseKey" in error_of("--sseKey", str(bad))
    assert "--sseKey" in error_of("--sseKey", str(tmp_path / "missing"))


# ---- job store ---------------------------------------------------------------------------------

def test_job_store_normalization(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert normalize_jobstore("js") == f"file:{tmp_path}/js"
    assert normalize_jobstore("./js") == f"file:{tmp_path}/js"
    assert normalize_jobstore("/abs/js") == "file:/abs/js"
    assert normalize_jobstore("file:rel") == f"file:{tmp_path}/rel"
    assert normalize_jobstore("aws:us-west-2:prefix") == "aws:us-west-2:prefix"
    assert normalize_jobstore("google:proj:name") == "google:proj:name"


# ---- lifecycle, equality, pickling -------------------------------------------------------------

def test_prepare_start_and_restart():
    config = config_of()
    config.workflowID = "wf"
    config.prepare_start()
    assert config.workflowAttemptNumber == 0
    stored = pickle.loads(pickle.dumps(config))
    stored.prepare_restart()
    options = parse("--restart", "--retryCount", "4")
    stored.setOptions(options)
    assert stored.workflowAttemptNumber == 1 and stored.workflowID == "wf"
    assert stored.restart and stored.retryCount == 4
    stored.prepare_restart()
    assert stored.workflowAttemptNumber == 2


def test_set_options_keeps_values_for_missing_or_none_options():
    config = Config()
    config.retryCount = 7
    config.setOptions(argparse.Namespace(jobStore="aws:r:p", workDir=None))
    assert config.retryCount == 7 and config.jobStore == "aws:r:p"


def test_equality_dict_and_pickle():
    a, b = config_of("--retryCount", "2"), config_of("--retryCount", "2")
    assert a == b and hash(a) == hash(b)
    b.retryCount = 3
    assert a != b
    assert a != "not a config"
    d = a.to_dict()
    assert d["retryCount"] == 2 and d["workflowID"] is None
    d["environment"]["X"] = "1"
    assert a.environment == {}
    assert pickle.loads(pickle.dumps(a)) == a
    assert copy.deepcopy(a) == a


def test_old_pickles_get_new_defaults():
    config = Config()
    state = dict(config.__dict__)
    del state["kill_polling_interval"]
    restored = Config.__new__(Config)
    restored.__setstate__(state)
    assert restored.kill_polling_interval == 5


def test_preemptable_attribute_aliases():
    config = Config()
    config.defaultPreemptable = True
    assert config.defaultPreemptible is True and config.defaultPreemptable is True
    assert "defaultPreemptable" not in config.__dict__
    assert config.maxPreemptableServiceJobs == config.maxPreemptibleServiceJobs
    with pytest.raises(AttributeError):
        config.noSuchOption


def test_defaults_are_not_shared():
    a, b = Config(), Config()
    a.environment["X"] = "1"
    a.nodeTypes.append(({"t"}, None))
    assert b.environment == {} and b.nodeTypes == []


def test_registered_plugin_option():
    try:
        Config.register_option("my_plugin_setting", default=3, converter=int)
        assert Config().my_plugin_setting == 3
        options = parse()
        options.my_plugin_setting = "9"
        config = Config()
        config.setOptions(options)
        assert config.my_plugin_setting == 9
    finally:
        Config._extra_options.pop("my_plugin_setting", None)


def test_command_line_defaults_are_the_config_defaults(monkeypatch):
    # Each default is written once, on the Config field; only the options whose command-line
    # default comes from this machine (its address) differ from the field's.
    for name in ("TOIL_KUBERNETES_HOST_PATH", "TOIL_KUBERNETES_OWNER", "TOIL_KUBERNETES_SERVICE_ACCOUNT",
                 "TOIL_KUBERNETES_POD_TIMEOUT", "TOIL_TES_ENDPOINT", "TOIL_TES_USER", "TOIL_TES_PASSWORD",
                 "TOIL_TES_BEARER_TOKEN", "TOIL_AWS_REGION", "TOIL_AWS_BATCH_QUEUE",
                 "TOIL_AWS_BATCH_JOB_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    parsed, fresh = config_of().__dict__, Config().__dict__
    differing = {name for name in fresh if parsed.get(name) != fresh[name]}
    assert differing == {"jobStore", "mesos_endpoint", "tes_endpoint"}


def test_scripts_may_keep_their_own_attributes_on_the_config():
    config = Config()
    config.myScriptSetting = "kept"
    assert pickle.loads(pickle.dumps(config)).myScriptSetting == "kept"
