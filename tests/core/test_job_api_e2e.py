"""The workflow API end to end: small Toil scripts run as a user would (``python script.py JOBSTORE``).

Each script prints one ``RESULT <json>`` line; the tests assert on it. Scripts that check several
facets of one run are run once per module (fixtures) and each test asserts one behaviour.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import batch_support
from batch_support import result_of


def run_script(directory: Path, source: str, *args, timeout: float = 180, **kwargs) -> subprocess.CompletedProcess:
    """batch_support's runner, with this module's shorter default timeout."""
    return batch_support.run_script(directory, source, *args, timeout=timeout, **kwargs)


def run_for_result(directory: Path, source: str, *args, **kwargs):
    proc = run_script(directory, source, *args, **kwargs)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    return result_of(proc)


# ---------------------------------------------------------------- config defaults reach jobs
DEFAULTS_SCRIPT = """
    import json
    from toil.common import Toil
    from toil.job import Job

    def report(job):
        d = job.description
        return {"memory": job.memory, "cores": job.cores, "disk": job.disk,
                "preemptible": job.preemptible,
                "desc": [d.memory, d.cores, d.disk, d.preemptible]}

    def root(job):
        return {"defaulted": job.addChildJobFn(report).rv(),
                "explicit": job.addChildJobFn(report, memory="20M", cores=1, disk="30M",
                                              preemptible=False).rv()}

    if __name__ == "__main__":
        parser = Job.Runner.getDefaultArgumentParser()
        options = parser.parse_args()
        options.logLevel = "WARNING"
        with Toil(options) as toil:
            print("RESULT " + json.dumps(toil.start(Job.wrapJobFn(root, memory="50M", cores=0.5, disk="50M"))))
"""


@pytest.fixture(scope="module")
def defaults_result(tmp_path_factory):
    directory = tmp_path_factory.mktemp("defaults")
    return run_for_result(directory, DEFAULTS_SCRIPT, directory / "js", "--defaultMemory", "40Mi",
                          "--defaultCores", "0.5", "--defaultDisk", "60M", "--defaultPreemptible")


def test_default_memory_option_reaches_jobs(defaults_result):
    assert defaults_result["defaulted"]["memory"] == 40 * 1024**2


def test_default_cores_option_reaches_jobs(defaults_result):
    assert defaults_result["defaulted"]["cores"] == 0.5


def test_default_disk_option_reaches_jobs(defaults_result):
    assert defaults_result["defaulted"]["disk"] == 60 * 1000**2


def test_default_preemptible_option_reaches_jobs(defaults_result):
    assert defaults_result["defaulted"]["preemptible"] is True


def test_defaults_are_recorded_in_the_job_description(defaults_result):
    assert defaults_result["defaulted"]["desc"] == [40 * 1024**2, 0.5, 60 * 1000**2, True]


def test_explicit_requirements_beat_config_defaults(defaults_result):
    explicit = defaults_result["explicit"]
    assert explicit["memory"] == 20 * 1000**2
    assert explicit["disk"] == 30 * 1000**2
    assert explicit["cores"] == 1
    assert explicit["preemptible"] is False


# ---------------------------------------------------------------- promises
PROMISES_SCRIPT = """
    import json
    from toil.common import Toil
    from toil.job import Job

    def produce(job):
        return [10, {"a": "x", "b": [1, 2, 3]}, [0, 1, 2, 3, 4, 5]]

    def echo(job, value):
        return value

    def returns_childs_promise(job):
        child = job.addChildJobFn(echo, {"deep": ["p", "q"]})
        return child.rv()

    def collect(job, **values):
        return values

    def root(job):
        producer = job.addChildJobFn(produce)
        forwarder = job.addChildJobFn(returns_childs_promise)
        consumer = job.addFollowOnJobFn(
            collect,
            whole=producer.rv(), first=producer.rv(0), nested=producer.rv(1, "a"),
            nested_list=producer.rv(1, "b", 2), sliced=producer.rv(2, slice(1, 4)),
            forwarded=forwarder.rv(), forwarded_path=forwarder.rv("deep", 1))
        return consumer.rv()

    if __name__ == "__main__":
        import sys
        options = Job.Runner.getDefaultOptions(sys.argv[1])
        options.logLevel = "WARNING"
        with Toil(options) as toil:
            print("RESULT " + json.dumps(toil.start(Job.wrapJobFn(root))))
"""


@pytest.fixture(scope="module")
def promises_result(tmp_path_factory):
    directory = tmp_path_factory.mktemp("promises")
    return run_for_result(directory, PROMISES_SCRIPT, directory / "js")


def test_rv_without_path_is_the_whole_value(promises_result):
    assert promises_result["whole"] == [10, {"a": "x", "b": [1, 2, 3]}, [0, 1, 2, 3, 4, 5]]


def test_rv_index(promises_result):
    assert promises_result["first"] == 10


def test_rv_nested_path(promises_result):
    assert promises_result["nested"] == "x"
    assert promises_result["nested_list"] == 3


def test_rv_slice(promises_result):
    assert promises_result["sliced"] == [1, 2, 3]


def test_promise_of_a_promise_is_resolved(promises_result):
    assert promises_result["forwarded"] == {"deep": ["p", "q"]}


def test_promise_of_a_promise_with_path(promises_result):
    assert promises_result["forwarded_path"] == "q"


def test_root_return_value_may_be_a_follow_on_promise(promises_result):
    # root returns consumer.rv(); Toil.start hands back the resolved dict
    assert isinstance(promises_result, dict)


CONSTRAINT_SCRIPT = """
    import json, sys
    from toil.common import Toil
    from toil.job import Job, JobPromiseConstraintError

    def value(x):
        return x

    def build(case):
        root = Job.wrapFn(value, 0)
        if case == "sibling":
            first = root.addChildFn(value, 1)
            root.addChildFn(value, first.rv())
        elif case == "tutorial":  # a follow-on of the parent consumes a child's promise
            first = root.addChildFn(value, 1)
            root.addFollowOnFn(value, first.rv())
        elif case == "grandchild":  # the parent's follow-on runs after the whole child subtree
            child = root.addChildFn(value, 1)
            grandchild = child.addChildFn(value, 2)
            root.addFollowOnFn(value, grandchild.rv())
        elif case == "descendant":
            child = root.addChildFn(value, 1)
            child.addChildFn(value, root.rv())
        elif case == "unrelated":
            other = Job.wrapFn(value, 5)
            root.addChildFn(value, other.rv())
        return root

    if __name__ == "__main__":
        options = Job.Runner.getDefaultOptions(sys.argv[1])
        options.logLevel = "WARNING"
        try:
            with Toil(options) as toil:
                toil.start(build(sys.argv[2]))
            print("RESULT " + json.dumps({"ok": True}))
        except JobPromiseConstraintError as error:
            print("RESULT " + json.dumps({"error": type(error).__name__, "message": str(error)}))
"""


def test_promise_to_a_sibling_is_a_constraint_error(tmp_path):
    result = run_for_result(tmp_path, CONSTRAINT_SCRIPT, tmp_path / "js", "sibling")
    assert result["error"] == "JobPromiseConstraintError"
    assert "cannot promise its return value to non-successor" in result["message"]


@pytest.mark.parametrize("case", ["tutorial", "grandchild", "descendant"])
def test_promise_to_a_successor_is_allowed(tmp_path, case):
    assert run_for_result(tmp_path, CONSTRAINT_SCRIPT, tmp_path / "js", case) == {"ok": True}


def test_promise_from_an_unrelated_job_is_a_constraint_error(tmp_path):
    result = run_for_result(tmp_path, CONSTRAINT_SCRIPT, tmp_path / "js", "unrelated")
    assert result["error"] == "JobPromiseConstraintError"


# ---------------------------------------------------------------- promised requirements (manual 12.10)
PROMISED_REQUIREMENT_SCRIPT = """
    import json, os, sys
    from toil.common import Toil
    from toil.job import Job, PromisedRequirement

    def stageFn(job, url, cores=1):
        importedFile = job.fileStore.import_file(url)
        return importedFile, importedFile.size

    def analysisJob(job, fileStoreID, cores=2):
        return {"disk": job.disk, "cores": job.cores, "size": fileStoreID.size}

    def parentJob(job):
        # single promise
        downloadJob = Job.wrapJobFn(stageFn, "file://" + os.path.realpath(__file__),
                                    cores=0.1, memory='32M', disk='1M')
        job.addChild(downloadJob)
        single = Job.wrapJobFn(analysisJob, fileStoreID=downloadJob.rv(0),
                               disk=PromisedRequirement(downloadJob.rv(1)))
        job.addFollowOn(single)
        # callable over several promises
        aggregator = []
        for _ in range(3):
            stage = Job.wrapJobFn(stageFn, "file://" + os.path.realpath(__file__),
                                  cores=0.1, memory='32M', disk='1M')
            job.addChild(stage)
            aggregator.append(stage)
        summed = Job.wrapJobFn(analysisJob, fileStoreID=stage.rv(0),
                               disk=PromisedRequirement(lambda xs: sum(xs), [j.rv(1) for j in aggregator]))
        job.addFollowOn(summed)
        # a bare promise as a requirement is converted automatically
        bare = Job.wrapJobFn(analysisJob, fileStoreID=downloadJob.rv(0), disk=downloadJob.rv(1))
        job.addFollowOn(bare)
        return {"single": single.rv(), "summed": summed.rv(), "bare": bare.rv()}

    if __name__ == "__main__":
        options = Job.Runner.getDefaultOptions(sys.argv[1])
        options.logLevel = "WARNING"
        with Toil(options) as toil:
            result = toil.start(Job.wrapJobFn(parentJob))
        result["script_size"] = os.path.getsize(__file__)
        print("RESULT " + json.dumps(result))
"""


@pytest.fixture(scope="module")
def promised_requirement_result(tmp_path_factory):
    directory = tmp_path_factory.mktemp("promisedreq")
    return run_for_result(directory, PROMISED_REQUIREMENT_SCRIPT, directory / "js")


def test_promised_requirement_from_a_single_promise(promised_requirement_result):
    size = promised_requirement_result["script_size"]
    assert promised_requirement_result["single"]["disk"] == size
    assert promised_requirement_result["single"]["size"] == size


def test_promised_requirement_from_a_callable_and_promises(promised_requirement_result):
    assert promised_requirement_result["summed"]["disk"] == 3 * promised_requirement_result["script_size"]


def test_bare_promise_requirement(promised_requirement_result):
    assert promised_requirement_result["bare"]["disk"] == promised_requirement_result["script_size"]


def test_promised_requirement_job_keeps_function_default_cores(promised_requirement_result):
    assert promised_requirement_result["single"]["cores"] == 2


# ---------------------------------------------------------------- encapsulation
ENCAPSULATE_SCRIPT = """
    import json, os, sys, time
    from toil.common import Toil
    from toil.job import Job

    def slow_leaf(job, marker):
        time.sleep(1)
        open(marker, "w").write("done")
        return "leaf"

    def inner(job, marker):
        job.addChildJobFn(slow_leaf, marker)
        return "inner-value"

    def after(job, marker):
        return os.path.exists(marker)

    def root(job, marker):
        encapsulated = Job.wrapJobFn(inner, marker).encapsulate()
        job.addChild(encapsulated)
        waits = encapsulated.addChildJobFn(after, marker)
        return {"rv": encapsulated.rv(), "after_saw_marker": waits.rv()}

    if __name__ == "__main__":
        options = Job.Runner.getDefaultOptions(sys.argv[1])
        options.logLevel = "WARNING"
        with Toil(options) as toil:
            print("RESULT " + json.dumps(toil.start(Job.wrapJobFn(root, sys.argv[2]))))
"""


@pytest.fixture(scope="module")
def encapsulate_result(tmp_path_factory):
    directory = tmp_path_factory.mktemp("encapsulate")
    return run_for_result(directory, ENCAPSULATE_SCRIPT, directory / "js", directory / "marker")


def test_successor_of_encapsulated_job_runs_after_the_wrapped_subgraph(encapsulate_result):
    assert encapsulate_result["after_saw_marker"] is True


def test_encapsulated_rv_is_the_wrapped_jobs_value(encapsulate_result):
    assert encapsulate_result["rv"] == "inner-value"


# ---------------------------------------------------------------- defer and tempDir
DEFER_SCRIPT = """
    import json, os, sys
    from toil.common import Toil
    from toil.exceptions import FailedJobsException
    from toil.job import Job

    def note(path, text):
        with open(path, "a") as handle:
            handle.write(text + "\\n")

    def good(job, log):
        job.defer(note, log, "deferred after success")
        first = job.tempDir
        second = job.tempDir
        with open(os.path.join(first, "scratch"), "w") as handle:
            handle.write("x")
        note(log, "ran")
        return {"same": first == second, "tempdir": first, "existed": os.path.isdir(first)}

    def bad(job, log):
        job.defer(note, log, "deferred after failure")
        raise RuntimeError("this job fails on purpose")

    if __name__ == "__main__":
        store, log, mode = sys.argv[1:4]
        options = Job.Runner.getDefaultOptions(store)
        options.logLevel = "WARNING"
        options.retryCount = 0
        result = {}
        try:
            with Toil(options) as toil:
                result = toil.start(Job.wrapJobFn(good if mode == "good" else bad, log))
            result["tempdir_exists_after"] = os.path.exists(result["tempdir"])
        except FailedJobsException:
            result["failed"] = True
        with open(log) as handle:
            result["log"] = handle.read().splitlines()
        print("RESULT " + json.dumps(result))
"""


@pytest.fixture(scope="module")
def defer_good(tmp_path_factory):
    directory = tmp_path_factory.mktemp("defergood")
    return run_for_result(directory, DEFER_SCRIPT, directory / "js", directory / "log.txt", "good")


def test_deferred_function_runs_after_success(defer_good):
    assert defer_good["log"] == ["ran", "deferred after success"]


def test_deferred_function_runs_after_failure(tmp_path):
    result = run_for_result(tmp_path, DEFER_SCRIPT, tmp_path / "js", tmp_path / "log.txt", "bad")
    assert result["failed"] is True
    assert result["log"] == ["deferred after failure"]


def test_temp_dir_is_the_same_on_repeated_calls(defer_good):
    assert defer_good["same"] is True
    assert defer_good["existed"] is True


def test_temp_dir_is_removed_after_the_job(defer_good):
    assert defer_good["tempdir_exists_after"] is False


# ---------------------------------------------------------------- Job.Runner
RUNNER_SCRIPT = """
    import argparse, json, sys
    from toil.job import Job

    def hello(name):
        return "hello " + name

    if __name__ == "__main__":
        parser = argparse.ArgumentParser()
        parser.add_argument("--name", default="world")
        Job.Runner.addToilOptions(parser)
        options = parser.parse_args()
        options.logLevel = "WARNING"
        value = Job.Runner.startToil(Job.wrapFn(hello, options.name), options)
        print("RESULT " + json.dumps({"value": value, "retryCount": options.retryCount,
                                      "jobStore": options.jobStore}))
"""


def test_runner_add_toil_options_and_start_toil(tmp_path):
    result = run_for_result(tmp_path, RUNNER_SCRIPT, "--name", "toil", tmp_path / "js", "--retryCount", "3")
    assert result["value"] == "hello toil"
    assert result["retryCount"] == 3
    assert result["jobStore"] == str(tmp_path / "js")


def test_runner_default_argument_parser(tmp_path):
    from toil.job import Job

    parser = Job.Runner.getDefaultArgumentParser()
    options = parser.parse_args([str(tmp_path / "js"), "--maxCores", "3", "--logDebug"])
    assert options.jobStore == str(tmp_path / "js")
    assert options.maxCores == 3
    import argparse

    assert parser.formatter_class is argparse.ArgumentDefaultsHelpFormatter


def test_runner_default_options(tmp_path):
    from toil.job import Job

    options = Job.Runner.getDefaultOptions(str(tmp_path / "js"))
    assert options.jobStore == str(tmp_path / "js")
    assert options.retryCount == 1
    assert options.restart is False


# ---------------------------------------------------------------- Toil context manager
CONTEXT_SCRIPT = """
    import json, sys
    from toil.common import Toil, ToilContextManagerException, ToilRestartException
    from toil.job import Job

    def value():
        return 7

    def attempt(fn):
        try:
            return {"value": fn()}
        except (ToilContextManagerException, ToilRestartException) as error:
            return {"error": type(error).__name__, "message": str(error)}

    if __name__ == "__main__":
        result = {}
        options = Job.Runner.getDefaultOptions(sys.argv[1])
        options.logLevel = "WARNING"
        options.clean = "never"
        toil = Toil(options)
        result["outside_start"] = attempt(lambda: toil.start(Job.wrapFn(value)))
        result["outside_import"] = attempt(lambda: toil.importFile(__file__))
        result["outside_export"] = attempt(lambda: toil.exportFile("x", "out"))
        result["outside_restart"] = attempt(lambda: toil.restart())
        with Toil(options) as toil:
            result["restart_before_start"] = attempt(lambda: toil.restart())
            result["first_start"] = attempt(lambda: toil.start(Job.wrapFn(value)))
            result["second_start"] = attempt(lambda: toil.start(Job.wrapFn(value)))
        result["after_with"] = attempt(lambda: toil.importFile(__file__))
        options.restart = True
        with Toil(options) as toil:
            result["start_on_restart"] = attempt(lambda: toil.start(Job.wrapFn(value)))
            result["restart_finished"] = attempt(lambda: toil.restart())
        print("RESULT " + json.dumps(result))
"""

CONTEXT_MESSAGE = 'This method cannot be called outside the "with Toil(...)" context manager.'


@pytest.fixture(scope="module")
def context_result(tmp_path_factory):
    directory = tmp_path_factory.mktemp("context")
    return run_for_result(directory, CONTEXT_SCRIPT, directory / "js")


@pytest.mark.parametrize("key", ["outside_start", "outside_import", "outside_export", "outside_restart",
                                 "after_with"])
def test_methods_outside_with_raise_context_manager_exception(context_result, key):
    assert context_result[key] == {"error": "ToilContextManagerException", "message": CONTEXT_MESSAGE}


def test_start_returns_the_root_value(context_result):
    assert context_result["first_start"] == {"value": 7}


def test_restart_on_a_fresh_workflow_raises(context_result):
    assert context_result["restart_before_start"] == {
        "error": "ToilRestartException",
        "message": "A Toil workflow must be initiated with Toil.start(), not restart().",
    }


def test_second_start_runs_another_workflow(context_result):
    # As upstream: one ``with Toil(...)`` block may start several workflows one after the other.
    assert context_result["second_start"] == {"value": 7}


def test_start_on_a_restart_config_raises(context_result):
    assert context_result["start_on_restart"] == {
        "error": "ToilRestartException",
        "message": "A Toil workflow can only be started once. Use Toil.restart() to resume it.",
    }


def test_restart_of_a_finished_workflow_returns_the_stored_value(context_result):
    assert context_result["restart_finished"] == {"value": 7}


# ---------------------------------------------------------------- import / export
IMPORT_EXPORT_SCRIPT = """
    import json, os, stat, sys
    from toil.common import Toil
    from toil.job import Job

    def read_it(job, file_id):
        with open(job.fileStore.readGlobalFile(file_id)) as handle:
            return handle.read()

    if __name__ == "__main__":
        options = Job.Runner.getDefaultOptions(sys.argv[1])
        options.logLevel = "WARNING"
        result = {}
        with Toil(options) as toil:
            relative = toil.importFile("data/plain.txt")
            url = toil.import_file("file://" + os.path.abspath("data/tool.sh"))
            shared = toil.importFile("data/plain.txt", sharedFileName="shared_input.txt")
            shared_sc = toil.import_file("data/plain.txt", shared_file_name="shared_input2.txt")
            result["types"] = [type(relative).__name__, type(url).__name__]
            result["sizes"] = [relative.size, url.size]
            result["executable"] = [bool(relative.executable), bool(url.executable)]
            result["shared_returns"] = [shared, shared_sc]
            with toil._jobStore.read_shared_file_stream("shared_input.txt") as stream:
                result["shared_content"] = stream.read().decode()
            result["read_in_job"] = toil.start(Job.wrapJobFn(read_it, relative))
            os.makedirs("out", exist_ok=True)
            toil.exportFile(relative, "out/plain_copy.txt")
            toil.export_file(url, "file://" + os.path.abspath("out/tool_copy.sh"))
        result["exported_content"] = open("out/plain_copy.txt").read()
        result["exported_modes"] = [bool(os.stat(p).st_mode & stat.S_IXUSR)
                                    for p in ("out/plain_copy.txt", "out/tool_copy.sh")]
        print("RESULT " + json.dumps(result))
"""


@pytest.fixture(scope="module")
def import_export_result(tmp_path_factory):
    directory = tmp_path_factory.mktemp("importexport")
    data = directory / "data"
    data.mkdir()
    (data / "plain.txt").write_text("plain data\n")
    (data / "tool.sh").write_text("#!/bin/sh\necho tool\n")
    os.chmod(data / "tool.sh", 0o755)
    return run_for_result(directory, IMPORT_EXPORT_SCRIPT, directory / "js")


def test_import_returns_file_ids(import_export_result):
    assert import_export_result["types"] == ["FileID", "FileID"]


def test_imported_file_id_has_size(import_export_result):
    assert import_export_result["sizes"] == [len("plain data\n"), len("#!/bin/sh\necho tool\n")]


def test_import_records_executable_bit(import_export_result):
    assert import_export_result["executable"] == [False, True]


def test_import_with_shared_file_name_returns_none_and_stores_the_file(import_export_result):
    assert import_export_result["shared_returns"] == [None, None]
    assert import_export_result["shared_content"] == "plain data\n"


def test_imported_file_is_readable_in_a_job(import_export_result):
    assert import_export_result["read_in_job"] == "plain data\n"


def test_export_to_relative_path(import_export_result):
    assert import_export_result["exported_content"] == "plain data\n"


def test_executable_bit_survives_import_and_export(import_export_result):
    assert import_export_result["exported_modes"] == [False, True]


def test_runner_default_options_need_a_job_store():
    from toil.job import Job

    with pytest.raises(ValueError):
        Job.Runner.getDefaultOptions()


def test_runner_default_options_with_job_store_as_flag(tmp_path):
    from toil.job import Job

    assert Job.Runner.getDefaultOptions(jobstore_as_flag=True).jobStore is None
    locator = str(tmp_path / "js")
    assert Job.Runner.getDefaultOptions(locator, jobstore_as_flag=True).jobStore == locator
    parser = Job.Runner.getDefaultArgumentParser(jobstore_as_flag=True)
    assert parser.parse_args(["--jobStore", locator]).jobStore == locator
