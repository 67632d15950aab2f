"""Command-line options of workflows: parser contents, defaults, aliases, optparse, help."""
import argparse
import optparse
import os
import sys

import pytest

from toil_core.common.config import Config, OptionError
from toil_core.workflow.options import (
    add_argument_if_absent,
    add_options,
    addOptions,
    get_default_argument_parser,
    get_default_options,
    parse_optparse_args,
    parseBool,
    parser_with_common_options,
    parseSetEnv,
    resolve_optparse_jobstore,
)
from toil_core.common.options_groups import GROUP_ORDER, option_table

MAXSIZE = sys.maxsize

#: FEATURES.md section 8 defaults, by Config attribute.
EXPECTED_CONFIG_DEFAULTS = {
    "workflowID": None, "workflowAttemptNumber": 0, "workDir": None, "coordination_dir": None,
    "noStdOutErr": False, "stats": False, "clean": "onSuccess", "cleanWorkDir": "always",
    "clusterStats": None, "restart": False,
    "logLevel": "INFO", "logFile": None, "logRotating": False,
    "maxLogFileSize": 64000, "writeLogs": None, "writeLogsGzip": None, "writeLogsFromAllJobs": False,
    "write_messages": None, "realTimeLogging": False,
    "batchSystem": "single_machine", "disableAutoDeployment": False, "max_jobs": MAXSIZE,
    "manualMemArgs": False, "run_local_jobs_on_workers": False, "batch_logs_dir": None, "scale": 1,
    "parasolCommand": "parasol", "parasolMaxBatches": 1000, "mesos_name": "toil",
    "kubernetes_pod_timeout": 120,
    "linkImports": True, "moveExports": False, "caching": None,
    "provisioner": None, "nodeTypes": [], "targetTime": 1800, "betaInertia": 0.1, "scaleInterval": 60,
    "preemptibleCompensation": 0.0, "nodeStorage": 50, "nodeStorageOverrides": [], "metrics": False,
    "assumeZeroOverhead": False,
    "maxServiceJobs": 9223372036854775807, "maxPreemptibleServiceJobs": 9223372036854775807,
    "deadlockWait": 60, "deadlockCheckInterval": 30,
    "defaultMemory": 2147483648, "defaultCores": 1, "defaultDisk": 2147483648,
    "defaultAccelerators": [], "defaultPreemptible": False,
    "maxCores": MAXSIZE, "maxMemory": MAXSIZE, "maxDisk": MAXSIZE,
    "retryCount": 1, "enableUnlimitedPreemptibleRetries": False, "doubleMem": False,
    "maxJobDuration": MAXSIZE, "rescueJobsFrequency": 3600,
    "disableChaining": False, "disableJobStoreChecksumVerification": False, "sseKey": None,
    "environment": {}, "servicePollingInterval": 60, "forceDockerAppliance": False, "statusWait": 3600,
    "disableProgress": False, "readGlobalFileMutableByDefault": False,
    "debugWorker": False, "disableWorkerOutputCapture": False, "badWorker": 0.0,
    "badWorkerFailInterval": 0.01, "kill_polling_interval": 5, "cwl": False,
}

ALL_FLAGS = [
    "--workDir", "--coordinationDir", "--noStdOutErr", "--stats", "--clean", "--cleanWorkDir",
    "--clusterStats", "--restart", "--logOff", "--logCritical", "--logError", "--logWarning", "--logInfo",
    "--logDebug", "--logLevel", "--logFile", "--rotatingLogging", "--log-dir", "--maxLogFileSize",
    "--writeLogs", "--writeLogsGzip", "--writeLogsFromAllJobs", "--writeMessages", "--realTimeLogging",
    "--batchSystem", "--disableAutoDeployment", "--maxJobs", "--maxLocalJobs", "--manualMemArgs",
    "--runCwlInternalJobsOnWorkers", "--statePollingWait", "--batchLogsDir", "--parasolCommand",
    "--parasolMaxBatches", "--mesosEndpoint", "--mesosFrameworkId", "--mesosRole", "--mesosName",
    "--kubernetesHostPath", "--kubernetesOwner", "--kubernetesServiceAccount", "--kubernetesPodTimeout",
    "--tesEndpoint", "--tesUser", "--tesPassword", "--tesBearerToken", "--awsBatchRegion",
    "--awsBatchQueue", "--awsBatchJobRoleArn", "--scale", "--linkImports", "--moveExports",
    "--disableCaching", "--caching", "--provisioner", "--nodeTypes", "--minNodes", "--maxNodes",
    "--targetTime", "--betaInertia", "--scaleInterval", "--preemptibleCompensation", "--nodeStorage",
    "--nodeStorageOverrides", "--metrics", "--assumeZeroOverhead", "--maxServiceJobs",
    "--maxPreemptibleServiceJobs", "--deadlockWait", "--deadlockCheckInterval", "--defaultMemory",
    "--defaultCores", "--defaultDisk", "--defaultAccelerators", "--defaultPreemptible", "--maxCores",
    "--maxMemory", "--maxDisk", "--retryCount", "--enableUnlimitedPreemptibleRetries", "--doubleMem",
    "--maxJobDuration", "--rescueJobsFrequency", "--disableChaining",
    "--disableJobStoreChecksumVerification", "--sseKey", "--setEnv", "--servicePollingInterval",
    "--forceDockerAppliance", "--statusWait", "--disableProgress", "--debugWorker",
    "--disableWorkerOutputCapture", "--badWorker", "--badWorkerFailInterval", "--kill_polling_interval",
]


def parse(*args):
    return get_default_argument_parser().parse_args(["js", *args])


def config_of(*args):
    config = Config()
    config.setOptions(parse(*args))
    return config


# ---- defaults ---------------------------------------------------------------------------------

def test_fresh_config_defaults_match_features():
    config = Config()
    for name, value in EXPECTED_CONFIG_DEFAULTS.items():
        assert getattr(config, name) == value, name
    assert config.jobStore is None
    assert config.max_local_jobs >= 1


def test_default_options_give_the_same_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    options = get_default_options("./store")
    assert options.jobStore == "./store"
    config = Config()
    config.setOptions(options)
    for name, value in EXPECTED_CONFIG_DEFAULTS.items():
        if name in ("maxNodes", "minNodes"):
            continue
        assert getattr(config, name) == value, name
    assert config.jobStore == "file:" + str(tmp_path / "store")


def test_namespace_defaults_and_dests():
    options = parse()
    assert options.logLevel == "INFO"
    assert options.clean is None  # decided by Config: never with --stats, else onSuccess
    assert options.environment == []
    assert options.caching is None
    assert options.maxLogFileSize == 64000
    assert options.retryCount == 1
    assert options.defaultMemory == 2147483648
    assert options.batchSystem == "single_machine"
    for dest in ("coordination_dir", "write_messages", "max_jobs", "max_local_jobs", "batch_logs_dir",
                 "run_local_jobs_on_workers", "logRotating", "kill_polling_interval", "log_dir"):
        assert hasattr(options, dest), dest


def test_every_option_has_help_and_a_group():
    for opt in option_table():
        assert opt.kwargs.get("help"), opt.flags
        assert opt.group in GROUP_ORDER


def test_help_lists_all_options_and_groups(capsys):
    parser = get_default_argument_parser(prog="script.py")
    assert isinstance(parser.formatter_class, type)
    assert issubclass(parser.formatter_class, argparse.ArgumentDefaultsHelpFormatter)
    with pytest.raises(SystemExit) as e:
        parser.parse_args(["--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    for flag in ALL_FLAGS:
        assert flag in text, flag
    for title in ("Toil core options", "Toil logging options", "Toil options for specifying the batch system",
                  "Toil options for configuring storage", "Toil options for autoscaling",
                  "Toil options for configuring services", "Toil options for cores/memory requirements",
                  "Toil options for rescuing/killing/restarting jobs", "Toil miscellaneous options",
                  "Toil debug options"):
        assert title in text, title
    assert "jobStore" in text
    assert "(default: 1)" in text


def test_job_store_is_required(capsys):
    with pytest.raises(SystemExit) as e:
        get_default_argument_parser().parse_args([])
    assert e.value.code == 2
    assert "jobStore" in capsys.readouterr().err


def test_jobstore_as_flag():
    parser = get_default_argument_parser(jobstore_as_flag=True)
    assert parser.parse_args([]).jobStore is None
    assert parser.parse_args(["--jobStore", "a"]).jobStore == "a"
    assert parser.parse_args(["--jobstore", "b"]).jobStore == "b"
    assert get_default_options("c", jobstore_as_flag=True).jobStore == "c"


def test_script_options_coexist_and_code_overrides():
    parser = get_default_argument_parser()
    parser.add_argument("--numLines", type=int, default=10)
    options = parser.parse_args(["js", "--numLines", "5", "--retryCount", "2"])
    assert options.numLines == 5
    options.logLevel = "debug"  # set in code after parsing, as the manual shows
    options.clean = "ALWAYS"
    config = Config()
    config.setOptions(options)
    assert config.logLevel == "DEBUG" and config.clean == "always" and config.retryCount == 2


# ---- aliases, shortcuts, abbreviations -------------------------------------------------------

@pytest.mark.parametrize("args, dest, value", [
    (["--preemptableCompensation", "0.5"], "preemptibleCompensation", 0.5),
    (["--maxPreemptableServiceJobs", "3"], "maxPreemptibleServiceJobs", 3),
    (["--defaultPreemptable"], "defaultPreemptible", True),
    (["--defaultPreemptable", "false"], "defaultPreemptible", False),
    (["--enableUnlimitedPreemptableRetries"], "enableUnlimitedPreemptibleRetries", True),
    (["--runLocalJobsOnWorkers"], "run_local_jobs_on_workers", True),
    (["--runCwlInternalJobsOnWorkers"], "run_local_jobs_on_workers", True),
    (["--disableHotDeployment"], "disableAutoDeployment", True),
    (["--noLinkImports"], "linkImports", False),
    (["--linkImports"], "linkImports", True),
    (["--moveExports"], "moveExports", True),
    (["--noMoveExports"], "moveExports", False),
    (["--mesosMaster", "h:5050"], "mesos_endpoint", "h:5050"),
    (["--rotatingLogging"], "logRotating", True),
    (["--coordinationDir", "/"], "coordination_dir", "/"),  # checked while parsing: must exist
    (["--writeMessages", "m.txt"], "write_messages", "m.txt"),
    (["--maxJobs", "7"], "max_jobs", 7),
    (["--maxLocalJobs", "3"], "max_local_jobs", 3),
    (["--batchLogsDir", "/l"], "batch_logs_dir", "/l"),
    (["--kill_polling_interval", "2"], "kill_polling_interval", 2),
    (["--caching", "true"], "caching", True),
    (["--caching", "False"], "caching", False),
    (["--disableCaching"], "caching", False),
    (["--defaultPreemptible"], "defaultPreemptible", True),
    (["--defaultPreemptible", "yes"], "defaultPreemptible", True),
    # Plugin names are kept as given (an unknown one ends the parse with an install hint:
    # tests/contract/test_backend_options.py).
    (["--batchSystem", "singleMachine"], "batchSystem", "singleMachine"),
    (["--provisioner", "gce"], "provisioner", "gce"),
    (["--clean", "onerror"], "clean", "onError"),
    (["--cleanWorkDir", "NEVER"], "cleanWorkDir", "never"),
])
def test_aliases_and_values(args, dest, value):
    assert getattr(parse(*args), dest) == value


@pytest.mark.parametrize("flag, level", [
    ("--logOff", "CRITICAL"), ("--logCritical", "CRITICAL"), ("--logError", "ERROR"),
    ("--logWarning", "WARNING"), ("--logInfo", "INFO"), ("--logDebug", "DEBUG"),
])
def test_logging_shortcuts(flag, level):
    assert parse(flag).logLevel == level


@pytest.mark.parametrize("given, level", [
    ("off", "CRITICAL"), ("OFF", "CRITICAL"), ("critical", "CRITICAL"), ("Error", "ERROR"),
    ("warn", "WARNING"), ("WARNING", "WARNING"), ("info", "INFO"), ("Debug", "DEBUG"), ("DEBUG", "DEBUG"),
])
def test_log_level_any_case(given, level):
    assert parse("--logLevel", given).logLevel == level
    assert parse(f"--logLevel={given}").logLevel == level


def test_bad_log_level_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        parse("--logLevel", "loud")
    assert "--logLevel" in capsys.readouterr().err


def test_abbreviations_are_accepted():
    options = parse("--retry", "10", "--nodeType", "t2.large", "--defaultMem", "2Gi")
    assert options.retryCount == 10
    assert options.nodeTypes == [({"t2.large"}, None)]
    assert options.defaultMemory == 2 * 1024 ** 3


def test_optional_value_flags():
    cwd = os.getcwd()
    assert parse("--writeLogs").writeLogs == cwd
    assert parse("--writeLogs", "/tmp/logs").writeLogs == "/tmp/logs"
    assert parse("--clusterStats").clusterStats == cwd
    assert parse("--writeLogsGzip").writeLogsGzip == cwd


def test_sizes_on_the_command_line(capsys):
    assert parse("--defaultMemory", "1024 Mib").defaultMemory == 1024 ** 3
    assert parse("--maxDisk", "100Ki").maxDisk == 102400
    assert parse("--defaultDisk", "12345").defaultDisk == 12345
    assert parse("--maxLogFileSize", "0").maxLogFileSize == 0
    assert parse("--maxLogFileSize=-1Ki").maxLogFileSize == -1024
    assert parse("--maxLogFileSize", "-1000").maxLogFileSize == -1000
    for bad in (["--defaultMemory", "-1G"], ["--defaultMemory", "2X"], ["--maxDisk", "lots"]):
        with pytest.raises(SystemExit) as e:
            parse(*bad)
        assert e.value.code == 2
    assert "--maxDisk" in capsys.readouterr().err


def test_set_env_on_the_command_line(monkeypatch):
    options = parse("-e", "A=1", "--setEnv", "B", "--setEnv=C=", "-e", "A=2", "-e", "D=x=y")
    assert options.environment == ["A=1", "B", "C=", "A=2", "D=x=y"]
    config = Config()
    config.setOptions(options)
    assert config.environment == {"A": "2", "B": None, "C": "", "D": "x=y"}


def test_parse_set_env():
    assert parseSetEnv([]) == {}
    assert parseSetEnv(["a=1", "b", "c=", "a=3"]) == {"a": "3", "b": None, "c": ""}
    with pytest.raises(ValueError):
        parseSetEnv(["=1"])
    with pytest.raises(ValueError):
        parseSetEnv([""])


@pytest.mark.parametrize("word", ["true", "T", "yes", "Y", "on", "1", "TRUE", True])
def test_parse_bool_true(word):
    assert parseBool(word) is True


@pytest.mark.parametrize("word", ["false", "F", "no", "N", "off", "0", "False", False])
def test_parse_bool_false(word):
    assert parseBool(word) is False


@pytest.mark.parametrize("word", ["", "maybe", "2", "tru"])
def test_parse_bool_rejects(word):
    with pytest.raises(ValueError):
        parseBool(word)


# ---- composition with plugins ------------------------------------------------------------------

def test_flags_already_present_are_left_alone():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubernetesHostPath", dest="mine", default="plugin")
    parser.add_argument("--log-dir", dest="cwl_log_dir")
    add_options(parser)
    options = parser.parse_args(["js", "--kubernetesHostPath", "/h", "--log-dir", "d"])
    assert options.mine == "/h" and options.cwl_log_dir == "d"
    assert not hasattr(options, "kubernetes_host_path")
    # And the other way round: a plugin adding a flag add_options already added.
    assert add_argument_if_absent(parser, "--retryCount", type=int) is None
    assert add_argument_if_absent(parser, "--retryCount", "--myRetries", dest="my", default=0) is not None
    assert parser.parse_args(["js", "--myRetries", "4"]).my == "4"


def test_without_backend_options():
    parser = argparse.ArgumentParser()
    add_options(parser, include_backend_options=False)
    flags = parser._option_string_actions
    assert "--kubernetesHostPath" not in flags and "--tesEndpoint" not in flags
    assert "--retryCount" in flags and "--batchSystem" in flags


def test_add_options_twice_is_harmless():
    parser = argparse.ArgumentParser()
    add_options(parser)
    add_options(parser)
    assert parser.parse_args(["js", "--retryCount", "3"]).retryCount == 3


def test_add_options_defaults_from_config():
    config = Config()
    config.retryCount = 5
    config.environment = {"X": "1", "Y": None}
    config.defaultMemory = 1024
    parser = argparse.ArgumentParser()
    addOptions(parser, config)
    options = parser.parse_args(["js"])
    assert options.retryCount == 5 and options.defaultMemory == 1024
    new = Config()
    new.setOptions(options)
    assert new.environment == {"X": "1", "Y": None}


def test_add_options_rejects_other_parsers():
    with pytest.raises(TypeError):
        add_options(object())


# ---- optparse ----------------------------------------------------------------------------------

def test_optparse_support():
    parser = optparse.OptionParser()
    add_options(parser)
    options, rest = parse_optparse_args(parser, [
        "js", "extra", "--retryCount", "3", "--logDebug", "-e", "A=1", "--setEnv", "B",
        "--defaultMemory", "1Gi", "--defaultPreemptible", "--writeLogs", "/tmp/w", "--clusterStats",
        "--disableCaching", "--preemptableCompensation", "0.5"])
    assert options.jobStore == "js" and rest == ["extra"]
    assert options.retryCount == 3 and options.logLevel == "DEBUG"
    assert options.environment == ["A=1", "B"]
    assert options.defaultMemory == 1024 ** 3
    assert options.defaultPreemptible is True and options.writeLogs == "/tmp/w"
    assert options.clusterStats == os.getcwd() and options.caching is False
    config = Config()
    config.setOptions(options)
    assert config.environment == {"A": "1", "B": None}
    assert config.preemptibleCompensation == 0.5
    # Defaults are fresh on each parse (the append default is not shared).
    again, _ = parse_optparse_args(parser, ["js2"])
    assert again.environment == [] and again.logLevel == "INFO" and again.caching is None
    assert again.retryCount == 1 and again.linkImports is True


def test_optparse_bad_values_and_missing_job_store(capsys):
    parser = optparse.OptionParser()
    add_options(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--defaultMemory", "2X"])
    assert "--defaultMemory" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_optparse_args(parser, [])
    options, _ = parser.parse_args(["--jobStore", "flagged"])
    assert resolve_optparse_jobstore(options, ["x"]) == ["x"] and options.jobStore == "flagged"
    options, _ = parser.parse_args([])
    with pytest.raises(OptionError):
        resolve_optparse_jobstore(options, [])


def test_optparse_help_lists_options():
    parser = optparse.OptionParser()
    add_options(parser)
    text = parser.format_help()
    for flag in ("--retryCount", "--logLevel", "--setEnv", "--defaultPreemptable", "--jobStore"):
        assert flag in text
    assert "Toil core options" in text


# ---- toil subcommand parser ----------------------------------------------------------------------

def test_parser_with_common_options(capsys):
    parser = parser_with_common_options(prog="toil status")
    options = parser.parse_args(["store", "--logDebug", "--tempDirRoot", "/tmp/x"])
    assert options.jobStore == "store" and options.logLevel == "DEBUG" and options.tempDirRoot == "/tmp/x"
    assert parser.parse_args(["s"]).logLevel == "INFO"
    assert parser.parse_args(["s", "--logLevel", "warn", "--logFile", "f", "--rotatingLogging"]).logRotating
    with pytest.raises(SystemExit) as e:
        parser.parse_args(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip()
    parser.add_argument("--force", action="store_true")
    assert parser.parse_args(["s", "--force"]).force


def test_parser_with_common_options_variants():
    no_store = parser_with_common_options(jobstore_option=False)
    assert not hasattr(no_store.parse_args([]), "jobStore")
    cluster = parser_with_common_options(provisioner_options=True, jobstore_option=False)
    options = cluster.parse_args(["mycluster", "-z", "us-west-2a"])
    assert options.clusterName == "mycluster" and options.zone == "us-west-2a"
    assert options.provisioner == "aws"
