"""toil-wdl-runner on small workflows of its own: tasks, scatter, conditionals, files in and out,
sub-workflows and imports, a document with a lone task, and the messages of failures."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA, runner_command, wdl_env

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def scatter_run(tmp_path_factory):
    """One run of files_scatter_if.wdl (scatter of a task over names, a conditional call on the
    gathered files, a workflow declaration, File inputs and outputs), shared by the tests below."""
    tmp = tmp_path_factory.mktemp("scatter")
    (tmp / "extra.txt").write_text("extra line\n")
    inputs = tmp / "inputs.json"
    inputs.write_text(json.dumps({"main.names": ["a", "b", "c"], "main.extra": "extra.txt"}))
    out = tmp / "out"
    command = runner_command() + ["--jobStore", f"file:{tmp / 'store'}", "-o", str(out), "-m",
                                  str(tmp / "result.json"), "--retryCount", "0",
                                  str(DATA / "files_scatter_if.wdl"), str(inputs)]
    proc = subprocess.run(command, cwd=tmp, env=wdl_env(tmp), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-6000:]
    return tmp, proc, out


def test_scatter_gathers_task_outputs_in_order(scatter_run):
    _, proc, _ = scatter_run
    assert json.loads(proc.stdout)["main.firsts"] == ["hello a", "hello b", "hello c"]


def test_conditional_call_ran_on_the_gathered_files(scatter_run):
    _, proc, out = scatter_run
    result = json.loads(proc.stdout)
    assert result["main.all"] == str(out / "all.txt")
    assert (out / "all.txt").read_text() == "hello a\nextra line\nhello b\nextra line\nhello c\nextra line\n"


def test_workflow_declarations_use_call_outputs(scatter_run):
    _, proc, _ = scatter_run
    assert json.loads(proc.stdout)["main.t"] == 7


def test_output_file_holds_the_output_object(scatter_run):
    tmp, proc, _ = scatter_run
    assert json.loads((tmp / "result.json").read_text()) == json.loads(proc.stdout)


def test_job_store_removed_after_success(scatter_run):
    tmp, _, _ = scatter_run
    assert not (tmp / "store").exists()


def test_false_conditional_gives_null(run_wdl, tmp_path):
    (tmp_path / "extra.txt").write_text("x\n")
    inputs = {"main.names": ["z"], "main.extra": "extra.txt", "main.do_concat": False}
    result = run_wdl(DATA / "files_scatter_if.wdl", "-i", json.dumps(inputs)).output
    assert result == {"main.firsts": ["hello z"], "main.all": None, "main.t": 1}


def test_subworkflow_from_an_import(run_wdl):
    result = run_wdl(DATA / "imports.wdl", "-i", '{"outer.n": 4}').output
    assert result == {"outer.doubled": [0, 2, 4, 6], "outer.count": 4}


def test_lone_task_document_runs_the_task(run_wdl):
    result = run_wdl(DATA / "lone_task.wdl", "-i", '{"shout.word": "quiet"}').output
    assert result == {"shout.loud": "QUIET"}


def test_miniwdl_output_dialect(run_wdl):
    run = run_wdl(DATA / "lone_task.wdl", "-i", '{"shout.word": "a"}', "--outputDialect", "miniwdl")
    assert run.output == {"outputs": {"shout.loud": "A"}, "dir": str(run.outdir)}


def test_failing_task_reports_its_stderr(run_wdl):
    run = run_wdl(DATA / "failing.wdl", check=False)
    assert run.returncode == 3  # the failed command's exit status, as `miniwdl run` exits
    assert "task fail failed: its command exited with code 3" in run.stderr
    assert "this is what went wrong" in run.stderr


def test_invalid_document_is_one_clear_error(run_wdl):
    run = run_wdl(DATA / "invalid.wdl", check=False)
    assert run.returncode == 1
    assert "invalid.wdl:" in run.stderr and "Traceback" not in run.stderr


def test_undefined_name_is_reported_with_its_place(run_wdl):
    run = run_wdl(DATA / "typo.wdl", "-i", '{"typo.x": 1}', check=False)
    assert run.returncode == 1
    assert "typo.wdl:5" in run.stderr and "undefined_name" in run.stderr and "Traceback" not in run.stderr


def test_inputs_that_do_not_type_check(run_wdl):
    run = run_wdl(DATA / "lone_task.wdl", "-i", '{"shout.word": [1, 2]}', check=False)
    assert run.returncode == 1
    assert "word" in run.stderr and "Traceback" not in run.stderr


def test_missing_required_input(run_wdl):
    run = run_wdl(DATA / "lone_task.wdl", check=False)
    assert run.returncode == 1
    assert "missing required input" in run.stderr and "word" in run.stderr and "Traceback" not in run.stderr


def test_toil_subcommand_runs_the_same_runner(tmp_path):
    command = [os.path.join(os.path.dirname(sys.executable), "toil"), "wdl-runner", "--jobStore",
               f"file:{tmp_path / 'store'}", "-o", str(tmp_path / "out"), str(DATA / "lone_task.wdl"),
               "-i", '{"shout.word": "sub"}']
    proc = subprocess.run(command, cwd=tmp_path, env=wdl_env(tmp_path), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert json.loads(proc.stdout) == {"shout.loud": "SUB"}


def test_restart_reruns_only_unfinished_calls(run_wdl, tmp_path):
    counter, flag = tmp_path / "counter", tmp_path / "flag"
    inputs = json.dumps({"restart.counter_file": str(counter), "restart.flag_file": str(flag)})
    store = f"file:{tmp_path / 'store'}"
    first = run_wdl(DATA / "restart.wdl", "-i", inputs, check=False, jobstore=store)
    assert first.returncode == 1 and "no flag file yet" in first.stderr
    assert Path(tmp_path / "store").exists(), "the job store must be kept for --restart"
    flag.write_text("")
    second = run_wdl(DATA / "restart.wdl", "--restart", check=False, jobstore=store, name="again")
    assert second.returncode == 0, second.stderr[-6000:]
    result = json.loads(second.stdout)
    assert Path(result["restart.result"]).read_text() == "first\nsecond\n"
    assert counter.read_text() == "ran\n", "the finished call ran again on --restart"


def test_declarations_inside_scatters_and_conditionals_are_gathered(run_wdl):
    result = run_wdl(DATA / "section_decls.wdl").output
    assert result == {"decls.d": [2, 4, 6], "decls.bx": [None, 2, 3], "decls.b": "yes", "decls.h": None}
