"""Bad inputs end in a clear error and exit code, and leave no half-made job store (issue 5).

Each row of :data:`CASES` runs ``scripts/bad_inputs_wf.py`` (a small real workflow script) as
a subprocess with one bad input: a malformed locator, a bad option value, a bad job graph, an
unpicklable argument, a missing file, a failing import or export... The test checks the exit
code, that stderr (or stdout) matches the expected message, and what became of the job store:

* ``absent``: the job store path does not exist afterwards (nothing half-made is left);
* ``unchanged``: a store (or other path) that existed before is byte-for-byte the same;
* ``complete``: the failure came after the root job was saved, so the store is a whole,
  restartable workflow (config and root job ID present, nothing left in ``tmp/``).

All processes run up front, a few at a time, in one module fixture; the tests read the results.
"""
from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import attrs
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "scripts"))
from hidden_distributions import env_without  # noqa: E402
from support import SCRIPTS, script_env, snapshot, without_source_lines  # noqa: E402

SCRIPT = SCRIPTS / "bad_inputs_wf.py"
#: Processes run at once (the machine has two cores; the processes mostly start up Python).
PARALLEL = 3


@attrs.frozen
class Case:
    """One bad input: the arguments after the script, the message expected, the exit code."""

    name: str
    args: Tuple[str, ...]
    expect: str  # a regular expression searched in stderr + stdout
    code: int
    store: str = "absent"  # absent / unchanged / complete
    locator: str = "{js}"
    prepare: Optional[str] = None  # name of a function in PREPARE run before the case
    hide: Tuple[str, ...] = ()  # distributions the run does not see (as if not installed)
    #: The whole command line, when the case is not a run of bad_inputs_wf.py: ``{python}``,
    #: ``{bin}`` (the interpreter's directory: ``toil``, ``toil-cwl-runner``), ``{scripts}``,
    #: ``{js}``, ``{tmp}`` and ``{http}`` are filled in; ``args`` and ``locator`` are not used.
    command: Tuple[str, ...] = ()


def _c(name: str, args: str, expect: str, code: int, store: str = "absent", locator: str = "{js}",
       prepare: Optional[str] = None) -> Case:
    return Case(name, tuple(args.split()) if args else (), expect, code, store, locator, prepare)


def _cmd(name: str, command: str, expect: str, code: int, store: str = "absent", locator: str = "",
         prepare: Optional[str] = None, hide: Tuple[str, ...] = ()) -> Case:
    """A case that runs ``command`` (see :attr:`Case.command`) instead of bad_inputs_wf.py."""
    return Case(name, (), expect, code, store, locator, prepare, hide, tuple(command.split()))


def _backend_not_installed(name: str, args: str, extra: str, distribution: str) -> Case:
    """A first-party backend as if its distribution were not installed: the hint names the
    toil-core extra that installs it (an extra toil-core declares)."""
    return Case(name, tuple(args.split()), rf"is not installed\. Install it with: pip install "
                rf"'toil-core\[{extra}\]'", USAGE, hide=(distribution,))


def _once(pattern: str) -> str:
    """A regular expression that matches when ``pattern`` occurs exactly once in the output (it
    looks from the start of the output, so patterns after it start there too)."""
    return rf"\A(?=.*{pattern})(?!.*{pattern}.*{pattern})"


USAGE = 2  # argparse's exit status: a bad command line, found while parsing
ERROR = 1  # an uncaught exception (reported in a few lines, without a traceback)


def _not_installed_case() -> Case:
    """A well-known backend whose plugin is not installed: the run does not see toil-aws (every
    first-party backend is installed in the development environment)."""
    return Case("locator-plugin-not-installed", (),
                r"Unknown job store implementation 'aws'.*Install it with: pip install 'toil-core\[aws\]'", ERROR,
                locator="aws:us-west-2:bucketprefix", hide=("toil-aws",))

CASES: List[Case] = [
    # -- malformed or unusable locators
    _c("locator-empty", "", r"The job store locator is empty; give a path", USAGE, locator=""),
    _c("locator-unknown-scheme", "", r"Unknown job store implementation 'nosuch'.*Installed job stores: ([a-z_]+, )*file\b",
       ERROR, locator="nosuch:somewhere"),
    _not_installed_case(),
    _c("locator-nothing-after-scheme", "", r"'google:' has nothing after 'google:'", ERROR, locator="google:"),
    _c("locator-file-without-path", "", r"'file:' has no path after 'file:'", USAGE, locator="file:"),
    _c("locator-file-url-other-host", "", r"names the host 'otherhost'.*use file:/path", USAGE,
       locator="file://otherhost/toil-bad-input-js"),
    _c("locator-parent-is-a-file", "", r"its parent directory '.*afile' cannot be created.*Choose a job "
       r"store path in a directory you can write to", ERROR, locator="{tmp}/afile/js"),
    _c("locator-not-creatable", "", r"the directory '/proc/toil-js' cannot be created", ERROR,
       locator="/proc/toil-js"),
    _c("locator-in-missing-folders-and-a-failed-start", "--case not_callable", r"Cannot make a job of 'hello'",
       ERROR, locator="{tmp}/new/deeper/js"),
    _c("locator-is-a-file", "", r"'.*afile' already exists and is a file, not a directory", ERROR,
       store="unchanged", locator="{tmp}/afile"),
    _c("locator-is-a-user-directory", "", r"already exists and is not a Toil job store.*does not exist yet",
       ERROR, store="unchanged", locator="{tmp}/userdir"),
    _c("existing-store-without-restart", "", r"The job store '.*js' already exists\. Use --restart to resume "
       r"the workflow, or remove the job store with 'toil clean .*js'", ERROR, store="unchanged",
       prepare="finished_store"),
    _c("restart-missing-store", "--restart", r"The job store '.*js' does not exist, so there is nothing to "
       r"restart\.", ERROR),
    _c("restart-on-user-directory", "--restart", r"does not exist, so there is nothing to restart", ERROR,
       store="unchanged", locator="{tmp}/userdir"),
    _c("restart-store-without-root-job", "--restart", r"holds no root job.*'toil clean .*js'.*without "
       r"--restart", ERROR, store="unchanged", prepare="rootless_store"),
    # -- batch system
    _c("unknown-batch-system", "--batchSystem nosuch", r"Unrecognized batch system: 'nosuch'.*Installed "
       r"batch systems:", USAGE),
    _c("batch-system-without-value", "--batchSystem", r"argument --batchSystem: expected one argument", USAGE),
    _backend_not_installed("batch-system-kubernetes-not-installed", "--batchSystem kubernetes", "kubernetes",
                           "toil-k8s"),
    _backend_not_installed("batch-system-mesos-not-installed", "--batchSystem mesos", "mesos", "toil-mesos"),
    _backend_not_installed("batch-system-slurm-not-installed", "--batchSystem slurm", "hpc", "toil-hpc"),
    # -- sizes
    _c("memory-unknown-unit", "--defaultMemory 2X", r"invalid size '2X'.*unknown unit 'X'", USAGE),
    _c("memory-negative", "--defaultMemory -1G", r"invalid size '-1G'.*may not be negative", USAGE),
    _c("disk-negative-with-equals", "--defaultDisk=-1G", r"invalid size '-1G'.*may not be negative", USAGE),
    _c("disk-not-a-number", "--defaultDisk lots", r"invalid size 'lots'", USAGE),
    _c("max-memory-zero", "--maxMemory 0", r"--maxMemory \(0\) must be greater than 0", USAGE),
    _c("max-log-size-garbage", "--maxLogFileSize abc", r"invalid size 'abc'", USAGE),
    # -- cores and other numbers
    _c("cores-zero", "--defaultCores 0", r"--defaultCores \(0\) must be greater than 0", USAGE),
    _c("cores-negative", "--defaultCores -2", r"--defaultCores \(-2\) must be greater than 0", USAGE),
    _c("cores-nan", "--defaultCores nan", r"'nan' is not a finite number", USAGE),
    _c("max-cores-infinite", "--maxCores inf", r"'inf' is not a finite number", USAGE),
    _c("max-cores-zero", "--maxCores 0", r"--maxCores \(0\) must be greater than 0", USAGE),
    _c("retry-count-negative", "--retryCount -1", r"--retryCount \(-1\) must be 0 or more", USAGE),
    _c("retry-count-fraction", "--retryCount 1.5", r"'1.5' is not a whole number", USAGE),
    _c("retry-count-word", "--retryCount many", r"argument --retryCount: invalid", USAGE),
    _c("max-jobs-negative", "--maxJobs -3", r"--maxJobs: must be 0 \(unlimited\) or a positive number", USAGE),
    _c("max-local-jobs-negative", "--maxLocalJobs -1", r"--maxLocalJobs: must be 0 \(unlimited\)", USAGE),
    _c("max-service-jobs-negative", "--maxServiceJobs -1", r"--maxServiceJobs \(-1\) must be 0 or more", USAGE),
    # -- out-of-range values
    _c("bad-worker-above-one", "--badWorker 2", r"--badWorker \(2.0\) must be a fraction between 0.0 and 1.0",
       USAGE),
    _c("bad-worker-negative", "--badWorker=-0.5", r"--badWorker \(-0.5\) must be a fraction", USAGE),
    _c("bad-worker-interval-negative", "--badWorkerFailInterval -1", r"--badWorkerFailInterval \(-1.0\) must "
       r"be 0 or more", USAGE),
    _c("beta-inertia-too-big", "--betaInertia 0.95", r"--betaInertia \(0.95\) must be between 0.0 and 0.9",
       USAGE),
    _c("preemptible-compensation-too-big", "--preemptibleCompensation 1.5", r"--preemptibleCompensation "
       r"\(1.5\) must be between 0.0 and 1.0", USAGE),
    _c("target-time-zero", "--targetTime 0", r"--targetTime \(0\) must be a positive number of seconds", USAGE),
    _c("deadlock-check-zero", "--deadlockCheckInterval 0", r"--deadlockCheckInterval \(0\) must be greater "
       r"than 0", USAGE),
    _c("deadlock-wait-negative", "--deadlockWait -1", r"--deadlockWait \(-1\) must be 0 or more", USAGE),
    _c("rescue-frequency-zero", "--rescueJobsFrequency 0", r"--rescueJobsFrequency \(0\) must be greater "
       r"than 0", USAGE),
    _c("max-job-duration-negative", "--maxJobDuration -5", r"--maxJobDuration \(-5\) must be greater than 0",
       USAGE),
    _c("service-polling-zero", "--servicePollingInterval 0", r"--servicePollingInterval \(0\) must be "
       r"greater than 0", USAGE),
    _c("state-polling-negative", "--statePollingWait -1", r"--statePollingWait \(-1\) must be 0 or more",
       USAGE),
    _c("kill-polling-zero", "--kill_polling_interval 0", r"--kill_polling_interval \(0\) must be greater "
       r"than 0", USAGE),
    _c("scale-zero", "--scale 0", r"--scale \(0.0\) must be greater than 0", USAGE),
    # -- words and lists
    _c("clean-unknown-word", "--clean sometimes", r"'sometimes' is not one of always, onError, never, "
       r"onSuccess", USAGE),
    _c("clean-work-dir-unknown-word", "--cleanWorkDir sometimes", r"--cleanWorkDir: invalid", USAGE),
    _c("log-level-unknown", "--logLevel LOUD", r"Unknown log level 'LOUD': use one of OFF", USAGE),
    _c("caching-not-a-boolean", "--caching maybe", r"Could not interpret 'maybe' as a boolean", USAGE),
    _c("accelerator-count-not-a-number", "--defaultAccelerators gpu:x", r"Accelerator count in 'gpu:x' "
       r"must be a whole number", USAGE),
    _c("set-env-empty-name", "--setEnv =x", r"Empty name in --setEnv item '=x'; use NAME=VALUE or NAME",
       USAGE),
    _c("node-type-without-name", "--nodeTypes :0.5", r"Bad node type ':0.5': use TYPE", USAGE),
    _c("min-nodes-do-not-match-node-types", "--nodeTypes t2.micro --minNodes 1,2", r"--minNodes \(\[1, 2\]\) "
       r"must list one count per node type", USAGE),
    _c("node-storage-override-malformed", "--nodeTypes t2.micro --nodeStorageOverrides t2.micro:x",
       r"must be of the form <type>:<storage in GB>", USAGE),
    _c("unknown-option", "--frobnicate", r"unrecognized arguments: --frobnicate", USAGE),
    # -- paths
    _c("work-dir-missing", "--workDir {tmp}/nope", r"The path provided to --workDir \(.*nope\) does not exist",
       USAGE),
    _c("work-dir-is-a-file", "--workDir {tmp}/afile", r"--workDir \(.*afile\) is not a directory", USAGE),
    _c("coordination-dir-missing", "--coordinationDir {tmp}/nope", r"The path provided to --coordinationDir "
       r"\(.*nope\) does not exist", USAGE),
    _c("log-file-in-missing-directory", "--logFile {tmp}/nope/leader.log", r"Cannot open the --logFile "
       r".*nope/leader.log.*existing directory", ERROR),
    _c("write-logs-is-a-file", "--writeLogs {tmp}/afile", r"--writeLogs \(.*afile\) is a file; give a "
       r"directory", USAGE),
    _c("sse-key-missing", "--sseKey {tmp}/nope.key", r"Cannot read the --sseKey file", USAGE),
    _c("sse-key-too-short", "--sseKey {tmp}/short.key", r"must hold a 32 character key", USAGE),
    # -- conflicting options
    _c("write-logs-and-gzip", "--writeLogs {tmp}/a --writeLogsGzip {tmp}/b", r"Cannot use both --writeLogs "
       r"and --writeLogsGzip", USAGE),
    _c("write-logs-from-all-jobs-alone", "--writeLogsFromAllJobs", r"To enable --writeLogsFromAllJobs, either "
       r"--writeLogs or --writeLogsGzip must be set", USAGE),
    # -- job graphs and job arguments
    _c("unpicklable-argument", "--case unpicklable_arg", r"UnpicklableJobError: Job 'hello' .* cannot be "
       r"saved to the job store: its arguments or attributes cannot be pickled", ERROR),
    _c("unpicklable-argument-of-a-child", "--case unpicklable_child_arg", r"cannot be saved to the job "
       r"store: its arguments or attributes cannot be pickled.*Pass jobs only values", ERROR, store="complete"),
    _c("unpicklable-return-value", "--case unpicklable_rv", r"The return value of job 'returns_lock' .*cannot "
       r"be pickled", ERROR, store="complete"),
    _c("unpicklable-root-return-value", "--case unpicklable_root_rv", r"The return value of job "
       r"'returns_lock' .*cannot be pickled.*Return only values that can be pickled", ERROR, store="complete"),
    _c("promise-to-a-non-successor", "--case promise_non_successor", r"JobPromiseConstraintError: Job "
       r"'hello' .* cannot promise its return value to non-successor 'consume'", ERROR),
    _c("promise-to-a-predecessor", "--case promise_to_parent", r"cannot promise its return value to "
       r"non-successor 'Holder'", ERROR),
    _c("cycle-of-children", "--case cycle", r"A cycle of job dependencies has been detected.*Remove a child "
       r"or follow-on link", ERROR),
    _c("cycle-through-a-follow-on", "--case follow_on_cycle", r"A cycle of job dependencies has been "
       r"detected", ERROR),
    _c("cycle-through-the-root", "--case cycle_through_root", r"A cycle of job dependencies has been "
       r"detected: 'hello' .* -> 'hello' .* -> 'hello' .*It passes through the first job", ERROR),
    _c("add-child-of-a-function", "--case add_child_function", r"TypeError: addChild\(\) takes a Job, not "
       r"the function 'hello': use addChildJobFn\(fn, ...\) .* or addChildFn\(fn, ...\)", ERROR),
    _c("add-follow-on-of-a-function", "--case add_follow_on_function", r"addFollowOn\(\) takes a Job, not the "
       r"function 'hello': use addFollowOnJobFn", ERROR),
    _c("add-service-of-a-function", "--case add_service_function", r"addService\(\) takes a Job.Service", ERROR),
    _c("child-of-a-finished-job", "--case grow_finished_job", r"Cannot add a child to job 'hello'.*: it has "
       r"already been saved to the job store .*Add it to the job that is running now", ERROR, store="complete"),
    _c("job-calls-sys-exit-3", "--case job_exits_3", r"Job failed with exit value 3: 'exits_3'", ERROR,
       store="complete"),
    _c("job-killed-by-a-signal", "--case segfault", r"Job failed with exit value -11 \(killed by SIGSEGV\): "
       r"'crashes'", ERROR, store="complete"),
    _c("two-root-jobs", "--case two_roots", r"Graph does not contain exactly one root job.*Connect every "
       r"job", ERROR),
    _c("checkpoint-with-children", "--case checkpoint_not_leaf", r"New checkpoint job .* is not a leaf", ERROR),
    _c("same-child-added-twice", "--case same_child_twice", r"is already a predecessor of job.*only once",
       ERROR),
    _c("service-added-twice", "--case service_twice", r"Service has already been added to a job\. Create "
       r"a new service", ERROR),
    _c("parent-service-of-another-job", "--case service_bad_parent", r"Parent service is not a service of "
       r"the given job\. Add the parent service", ERROR),
    _c("job-of-a-string", "--case not_callable", r"Cannot make a job of 'hello': it is not a function", ERROR),
    # -- job requirements
    _c("job-cores-negative", "--case negative_cores", r"The cores requirement must be a positive, finite "
       r"number, got -1", ERROR),
    _c("job-cores-zero", "--case zero_cores", r"The cores requirement must be a positive, finite number, "
       r"got 0", ERROR),
    _c("job-cores-nan", "--case nan_cores", r"The cores requirement must be a positive, finite number, got "
       r"nan", ERROR),
    _c("job-memory-unknown-unit", "--case bad_memory", r"Could not parse size '2X': unknown unit 'X'", ERROR),
    _c("job-disk-negative", "--case negative_disk", r"Could not parse size '-1G': expected a non-negative",
       ERROR),
    _c("job-memory-float", "--case float_memory", r"The memory requirement must be an int number of bytes",
       ERROR),
    _c("job-preemptible-word", "--case bad_preemptible", r"The preemptible requirement must be true or "
       r"false, got 'sometimes'", ERROR),
    _c("job-accelerators-malformed", "--case bad_accelerators", r"Accelerator count in 'gpu:many' must be "
       r"a whole number", ERROR),
    _c("job-accelerator-typo", "--case accelerator_typo", r"Unknown accelerator 'gpuu' in 'gpuu': did you "
       r"mean 'gpu'\?", ERROR),
    _c("job-more-accelerators-than-the-machine-has", "--case too_many_gpus", r"is requesting \[\{'count': "
       r"1000, .*\}\] accelerators, more than the maximum of \[.*\] accelerators that single_machine", ERROR),
    _c("job-more-cores-than-allowed", "--case too_many_cores --maxCores 2", r"is requesting 1000000 cores, "
       r"more than the maximum of 2(\.0)? cores.*--maxCores", ERROR),
    _c("job-more-memory-than-allowed", "--case too_much_memory --maxMemory 1G", r"is requesting \d+ bytes "
       r"of memory, more than the maximum of \d+ bytes.*--maxMemory", ERROR),
    # -- files
    _c("missing-file-id", "--case missing_file_id", r"File 'ab/0123456789abcdef0123-nosuch.txt' does not "
       r"exist\. Extra info: \(no file at '.*js/files/ab/0123456789abcdef0123-nosuch.txt'", ERROR,
       store="complete"),
    _c("import-missing-file", "--case import --url file://{tmp}/nope.txt", r"No such file or directory: "
       r"'file://.*nope.txt' \(looked for '.*nope.txt'\)\. Check the path", ERROR),
    _c("import-directory", "--case import --url {tmp}/userdir", r"Cannot import a directory", ERROR),
    _c("import-unknown-scheme", "--case import --url gopher://example.invalid/x", r"No job store "
       r"implementation supports importing for URL 'gopher://example.invalid/x'\. .*Installed URL schemes: file", ERROR),
    _c("import-http-not-found", "--case import --url {http}/nope.txt", r"No such file or directory: "
       r"'http://127.0.0.1:\d+/nope.txt' \(HTTP 404\)", ERROR),
    _c("import-bad-shared-file-name", "--case import_bad_shared_name", r"Not a valid shared file name: "
       r"'bad name!'", ERROR),
    _c("export-under-a-file", "--case export --dest file://{tmp}/afile/out.txt", r"Cannot write "
       r"'.*afile/out.txt': '.*afile' is a file, not a directory\. Choose a destination", ERROR,
       store="complete"),
    _c("export-over-a-directory", "--case export --dest {tmp}/userdir", r"Cannot write '.*userdir': Cannot "
       r"write over a directory", ERROR, store="complete"),
    _c("export-unknown-scheme", "--case export --dest gopher://example.invalid/x", r"No job store "
       r"implementation supports exporting for URL 'gopher://example.invalid/x'\. .*Installed URL schemes: file", ERROR, store="complete"),
    _c("export-missing-file-id", "--case export_missing_id --dest {tmp}/out.txt", r"File "
       r"'ab/0123456789abcdef0123-nosuch.txt' does not exist", ERROR, store="complete"),
    # -- API misuse
    # (start() twice in one Toil block is allowed, as upstream: issue 13; not a bad input any more.)
    _c("restart-without-restart-option", "--case restart_not_restarting", r"A Toil workflow must be "
       r"initiated with Toil.start\(\), not restart\(\)", ERROR),
    _c("toil-used-outside-with", "--case outside_context", r"cannot be called outside the \"with "
       r"Toil\(...\)\" context manager", ERROR),
    # -- scripts without the __main__ guard: one message naming the guard, not retried, no usage
    _cmd("script-without-main-guard", "{python} {scripts}/noguard_wf.py {js} --retryCount 3",
         _once(r"put the code that starts the workflow under `if __name__ == \"__main__\":`")
         + r"(?!.*usage:)(?!.*could not preload)(?!.*Job failed with exit value.*Job failed with exit value)",
         ERROR, store="complete", locator="{js}"),
    _cmd("script-without-main-guard-default-options", "{python} {scripts}/noguard_defaults_wf.py",
         r"put the code that starts the workflow under `if __name__ == \"__main__\":`", ERROR),
    # -- toil kill with no leader to stop
    _cmd("kill-a-finished-workflow", "{bin}/toil kill {js}", r"No leader is running for the workflow in job "
         r"store '.*js'(?!.*Asked the leader)", ERROR, store="unchanged", locator="{js}", prepare="finished_store"),
    _cmd("kill-a-missing-store", "{bin}/toil kill {tmp}/nothere", r"No job store found", ERROR),
    # -- CWL tools that can never succeed: cwltool's one-line cause, no retry, the resume command
    _cmd("cwl-tool-command-not-found", "{bin}/toil-cwl-runner --retryCount 2 --outdir {tmp}/out {tmp}/tool.cwl",
         _once(r"'no_such_command_xyz' not found: \[Errno 2\] No such file or directory")
         + _once("completed permanentFail") + r".*toil-cwl-runner --restart --jobStore file:\S+", ERROR,
         prepare="cwl_missing_command"),
    _cmd("cwl-tool-exits-3", "{bin}/toil-cwl-runner --retryCount 2 --outdir {tmp}/out {tmp}/tool.cwl",
         _once("completed permanentFail"), ERROR, prepare="cwl_exit_3"),
]


# ------------------------------------------------------------------------------ preparation
def _run(tmp: Path, args: List[str], timeout: float = 120, hide: Tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    # --retryCount 0 (first, so a case can override it): a failing job fails at once.
    env = script_env(tmp)
    if hide:
        env = env_without(env, tmp / "hidden-distributions", hide)
    return subprocess.run([sys.executable, str(SCRIPT), *args[:1], "--retryCount", "0", *args[1:],
                           "--logLevel", "warning"], cwd=str(tmp), env=env, capture_output=True,
                          text=True, timeout=timeout)


def finished_store(tmp: Path) -> None:
    """A store of a workflow that ran to the end (kept with --clean never)."""
    proc = _run(tmp, [str(tmp / "js"), "--clean", "never"])
    assert proc.returncode == 0, proc.stderr


def rootless_store(tmp: Path) -> None:
    """A store whose leader stopped before it saved the root job (config only)."""
    from toil_core.common.config import Config
    from toil_core.jobstores.file_job_store import FileJobStore

    config = Config()
    config.jobStore = f"file:{tmp / 'js'}"
    FileJobStore(str(tmp / "js")).initialize(config)


def _cwl_tool(base_command: str) -> Callable[[Path], None]:
    def write(tmp: Path) -> None:
        (tmp / "tool.cwl").write_text("cwlVersion: v1.2\nclass: CommandLineTool\ninputs: []\noutputs: []\n"
                                      f"baseCommand: {base_command}\n")

    return write


PREPARE: Dict[str, Callable[[Path], None]] = {"finished_store": finished_store,
                                              "rootless_store": rootless_store,
                                              "cwl_missing_command": _cwl_tool("no_such_command_xyz"),
                                              "cwl_exit_3": _cwl_tool("[sh, -c, 'exit 3']")}


def _common_files(tmp: Path) -> None:
    (tmp / "afile").write_text("a file, not a directory\n")
    (tmp / "userdir").mkdir()
    (tmp / "userdir" / "important.txt").write_text("the user's data\n")
    (tmp / "short.key").write_text("tooshort\n")


@attrs.define
class Outcome:
    case: Case
    tmp: Path
    locator: str
    store_path: Optional[Path]
    before: Optional[Dict[str, str]]
    proc: Optional[subprocess.CompletedProcess] = None
    seconds: float = 0.0


def _store_path(locator: str) -> Optional[Path]:
    if not locator:
        return None
    if locator.startswith("file://"):
        rest = locator[len("file://"):]
        return Path("/" + rest.split("/", 1)[1]) if "/" in rest else None
    if locator.startswith("file:"):
        return Path(locator[len("file:"):]) if len(locator) > 5 else None
    if re.match(r"^[A-Za-z][A-Za-z0-9+_-]*:", locator):
        return None  # another job store kind: nothing is created locally
    return Path(locator)


def _setup(case: Case, root: Path, http: str) -> Outcome:
    tmp = root / case.name
    tmp.mkdir()
    _common_files(tmp)
    if case.prepare:
        PREPARE[case.prepare](tmp)
    fill = functools.partial(str.format, js=str(tmp / "js"), tmp=str(tmp), http=http)
    locator = fill(case.locator)
    store = _store_path(locator)
    before = snapshot(store) if store is not None and store.exists() else None
    if case.store == "unchanged":
        assert before is not None, f"{case.name}: nothing to compare with"
    return Outcome(case, tmp, locator, store, before)


def _execute(outcome: Outcome, http: str) -> Outcome:
    fill = functools.partial(str.format, js=str(outcome.tmp / "js"), tmp=str(outcome.tmp), http=http,
                             python=sys.executable, bin=str(Path(sys.executable).parent), scripts=str(SCRIPTS))
    started = time.monotonic()
    if outcome.case.command:
        env = script_env(outcome.tmp)
        if outcome.case.hide:
            env = env_without(env, outcome.tmp / "hidden-distributions", outcome.case.hide)
        outcome.proc = subprocess.run([fill(a) for a in outcome.case.command], cwd=str(outcome.tmp), env=env,
                                      capture_output=True, text=True, timeout=300)
    else:
        args = [fill(a) for a in outcome.case.args]
        outcome.proc = _run(outcome.tmp, [outcome.locator, *args], hide=outcome.case.hide)
    outcome.seconds = time.monotonic() - started
    return outcome


@pytest.fixture(scope="module")
def http_root(tmp_path_factory: pytest.TempPathFactory):
    """A local HTTP server (in a thread) serving an empty directory, for 404 answers."""
    served = tmp_path_factory.mktemp("served")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory, http_root: str) -> Dict[str, Outcome]:
    """Run every case (a few processes at a time) and keep what happened."""
    root = tmp_path_factory.mktemp("bad_inputs")
    prepared = [_setup(case, root, http_root) for case in CASES]
    with ThreadPoolExecutor(PARALLEL) as pool:
        done = list(pool.map(lambda o: _execute(o, http_root), prepared))
    return {o.case.name: o for o in done}


def test_there_are_at_least_fifty_distinct_bad_inputs():
    names = [case.name for case in CASES]
    assert len(set(names)) == len(names) >= 50


# The first of these tests also runs every case (the module fixture: over a hundred processes, a
# few at a time), which on a busy machine takes longer than the default limit of 600 s.
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, outcomes: Dict[str, Outcome], fault_table) -> None:
    outcome = outcomes[case.name]
    proc = outcome.proc
    assert proc is not None
    output = without_source_lines(proc.stderr + proc.stdout)
    found = re.search(case.expect, output, re.DOTALL)
    shown = (found.group(0).splitlines() or [case.expect])[0] if found else "(message not found)"
    line = shown[:90]
    fault_table.record("bad input", f"{case.name}: {outcome.locator or repr('')} "
                                    f"{' '.join(case.args)}"[:110], f"exit {proc.returncode}: {line}")
    tail = f"exit code {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-5000:]}"
    assert found, f"expected /{case.expect}/\n{tail}"
    assert proc.returncode == case.code, tail
    assert "Traceback" not in proc.stderr + proc.stdout, tail
    assert "RESULT:" not in proc.stdout, tail
    store = outcome.store_path
    if case.store == "absent":
        assert store is None or not os.path.lexists(store), f"half-made job store left at {store}"
    elif case.store == "unchanged":
        assert store is not None and snapshot(store) == outcome.before
    else:
        _assert_complete(store)


def _assert_complete(store: Optional[Path]) -> None:
    """A whole workflow store: config, root job ID and the root's return value file; no
    temporary files left in ``tmp/``."""
    assert store is not None and store.is_dir()
    shared = store / "shared"
    for name in ("config.pickle", "rootJobStoreID", "rootJobReturnValue"):
        assert (shared / name).is_file(), name
    assert list((store / "tmp").iterdir()) == []


def test_a_failed_start_removes_the_folders_it_created(outcomes: Dict[str, Outcome]) -> None:
    """The job store's missing parents were created for it; the failed start removed them again."""
    outcome = outcomes["locator-in-missing-folders-and-a-failed-start"]
    assert not (outcome.tmp / "new").exists()


def test_missing_parent_folders_are_created_and_said(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "a" / "b" / "js"), "--clean", "never"],
                          cwd=str(tmp_path), env=script_env(tmp_path), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"Created the missing parent directories of the job store: {tmp_path / 'a'}, " \
           f"{tmp_path / 'a' / 'b'}" in proc.stderr
    assert (tmp_path / "a" / "b" / "js").is_dir()


def test_a_script_without_the_main_guard_leaves_no_processes(outcomes: Dict[str, Outcome]) -> None:
    """The refused script does not fork workers that start the workflow again, without end."""
    import psutil

    for name in ("script-without-main-guard", "script-without-main-guard-default-options"):
        tmp = str(outcomes[name].tmp)
        leftovers = []
        for process in psutil.process_iter(["cwd"]):
            if process.info.get("cwd") == tmp:
                leftovers.append(process)
        assert leftovers == [], name


def test_locator_with_another_host_creates_nothing_on_this_one(outcomes: Dict[str, Outcome]) -> None:
    assert outcomes["locator-file-url-other-host"].proc.returncode == USAGE
    assert not os.path.lexists("/otherhost")
    assert not os.path.lexists("/toil-bad-input-js")


def test_a_failed_export_loses_nothing_and_restart_exports_again(outcomes: Dict[str, Outcome]) -> None:
    """After the export failed, --restart of the finished workflow gives its result back, so the
    export can simply be rerun."""
    outcome = outcomes["export-under-a-file"]
    js = outcome.tmp / "js"
    proc = _run(outcome.tmp, [str(js), "--restart", "--case", "export", "--dest", str(outcome.tmp / "out.txt")])
    assert proc.returncode == 0, proc.stderr
    assert "RESULT: hi" in proc.stdout
    assert "workflow has already been completed" in proc.stderr
    assert (outcome.tmp / "out.txt").read_text() == SCRIPT.read_text()
    assert not js.exists()  # --clean onSuccess


def test_log_debug_brings_the_traceback_back(tmp_path: Path) -> None:
    """The short report hides the traceback only until --logDebug asks for it."""
    proc = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "js"), "--case", "negative_cores",
                           "--logDebug"], cwd=str(tmp_path), env=script_env(tmp_path), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == ERROR, proc.stderr
    assert "Traceback (most recent call last)" in proc.stderr
    assert "The cores requirement must be a positive, finite number, got -1" in proc.stderr
    assert "--logDebug to see the traceback" not in proc.stderr
