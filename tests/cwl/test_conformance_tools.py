"""The conformance tooling itself (toil_cwl.conformance*): suites, selections, derived versions, summaries.

These run no workflow; the conformance tests themselves run in test_conformance_quick.py and
``make conformance``.
"""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("cwltool")

from toil_cwl.conformance import _outcome, container_setup, parse_summary  # noqa: E402
from toil_cwl.conformance_suites import SHARED, VENDORED, find_suite, load_tests, select_tags, write_suite  # noqa: E402


def test_load_tests_inlines_imports_with_their_own_paths(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "index.yaml").write_text(
        "- tool: inner.cwl\n  id: 7\n  label: inner_test\n  output: {}\n")
    (tmp_path / "suite.yaml").write_text(
        "- tool: tests/outer.cwl#main\n  job: tests/job.yml\n  id: outer_test\n  output: {}\n"
        "- $import: sub/index.yaml\n")
    tests = load_tests(tmp_path / "suite.yaml")
    assert [t["id"] for t in tests] == ["outer_test", "inner_test"]
    assert tests[0]["tool"] == f"{tmp_path}/tests/outer.cwl#main"
    assert tests[0]["job"] == f"{tmp_path}/tests/job.yml"
    assert tests[1]["tool"] == f"{tmp_path}/sub/inner.cwl"
    assert "label" not in tests[1]


def test_load_tests_inlines_expected_outputs_kept_in_files(tmp_path: Path):
    (tmp_path / "expected.json").write_text('{"out": {"class": "File", "size": 3}}')
    (tmp_path / "suite.yaml").write_text("- tool: t.cwl\n  id: with_output_file\n  output: {$import: expected.json}\n")
    assert load_tests(tmp_path / "suite.yaml")[0]["output"] == {"out": {"class": "File", "size": 3}}


def test_write_suite_selects_by_id_and_names_unknown_ids(tmp_path: Path):
    tests = [{"id": "a", "tool": "/x.cwl"}, {"id": "b", "tool": "/y.cwl"}]
    out = write_suite(tests, tmp_path / "s.yaml", select=["b"])
    assert [t["id"] for t in load_tests(out)] == ["b"]
    with pytest.raises(ValueError, match="no such conformance test: nope"):
        write_suite(tests, tmp_path / "t.yaml", select=["a", "nope"])


def test_vendored_v12_suite_has_unique_ids_and_all_its_files():
    tests = load_tests(VENDORED / "cwl-v1.2" / "conformance_tests.yaml")
    ids = [t["id"] for t in tests]
    assert len(ids) == len(set(ids)) == 378
    for test in tests:
        for key in ("tool", "job"):
            if test.get(key):
                assert Path(test[key].split("#")[0]).is_file(), (test["id"], test[key])


def test_vendored_v12_suite_is_the_release_unmodified():
    if not (SHARED / "cwl-v1.2").is_dir():
        pytest.skip(f"the project's copy of the released suites is not at {SHARED} on this machine")
    ours = VENDORED / "cwl-v1.2"
    for path in [ours / "conformance_tests.yaml", *sorted((ours / "tests").rglob("*"))]:
        if path.is_file():
            assert path.read_bytes() == (SHARED / "cwl-v1.2" / path.relative_to(ours)).read_bytes(), path


def test_find_suite_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv("CWL_CONFORMANCE_DIR", raising=False)
    suite, reason = find_suite("v1.2", {}, allow_download=False)
    assert suite is not None and suite.yaml.name == "conformance_tests.yaml"
    assert suite.yaml.parent.name == "cwl-v1.2"
    missing, why = find_suite("v1.2", {"v1.2": "/nonexistent/cwl-v1.2"}, allow_download=False)
    assert missing is None and "/nonexistent/cwl-v1.2" in why
    (tmp_path / "cwl-v1.0" / "v1.0").mkdir(parents=True)
    (tmp_path / "cwl-v1.0" / "v1.0" / "conformance_test_v1.0.yaml").write_text("[]\n")
    monkeypatch.setenv("CWL_CONFORMANCE_DIR", str(tmp_path))
    found, _ = find_suite("v1.0", {}, allow_download=False)
    assert found is not None and found.yaml == tmp_path / "cwl-v1.0" / "v1.0" / "conformance_test_v1.0.yaml"


def test_select_tags():
    tests = [{"id": "a", "tags": ["required"]}, {"id": "b", "tags": ["required", "docker"]},
             {"id": "c", "tags": ["docker"]}, {"id": "d"}]
    assert select_tags(tests, ["required"], exclude=["docker"]) == ["a"]
    assert select_tags(tests, ["docker"]) == ["b", "c"]


@pytest.mark.parametrize("text, counts", [
    ("...\n41 tests passed, 2 failures, 3 unsupported features\n", (41, 2, 3)),
    ("...\n5 tests passed, 1 failure\n", (5, 1, 0)),
    ("...\n63 tests passed, 5 unsupported features\n", (63, 0, 5)),
    ("All tests passed\n", (7, 0, 0)),
])
def test_parse_summary(text: str, counts):
    assert parse_summary(text, 7) == counts


def test_parse_summary_without_summary_says_so():
    with pytest.raises(ValueError, match="cwltest printed no summary"):
        parse_summary("Traceback ...", 3)


def test_no_container_setup_passes_no_container(tmp_path: Path):
    setup = container_setup("no", tmp_path)
    assert setup.mode == "no-container" and setup.runner_args == ["--relax-path-checks", "--no-container"]


SHOULD_FAIL_OUTPUT = """Test [1/2] wf_simple: Test simple workflow
Test [2/2] secondary_files_missing: Test checking when secondaryFiles are missing
Test 2 failed: toil-cwl-runner --outdir=/tmp/x wf.cwl job.yml
Test checking when secondaryFiles are missing
Returned zero but it should be non-zero
1 tests passed, 1 failures, 0 unsupported features
"""


def test_outcome_counts_a_should_fail_test_that_succeeded():
    """cwltest's JUnit report shows such a test as passed; its summary and output do not."""
    junit = (["wf_simple", "secondary_files_missing"], [], [])
    assert _outcome(SHOULD_FAIL_OUTPUT, junit) == (1, 1, 0, ["secondary_files_missing"], [])


def test_outcome_without_junit_report_reads_the_output():
    assert _outcome(SHOULD_FAIL_OUTPUT, None) == (1, 1, 0, ["secondary_files_missing"], [])


# --- resumable runs (toil_cwl.conformance_ledger) -------------------------------------------------------------

_FAKE_RUNNER = """#!/usr/bin/env python3
# a stand-in CWL runner: the tool file's first line says what to do; every call is counted
import json, os, sys
with open(os.environ["FAKE_RUNNER_CALLS"], "a") as calls:
    calls.write(sys.argv[-1] + "\\n")
tool = [a for a in sys.argv[1:] if a.endswith(".cwl")][0].replace("file://", "")
action = open(tool).readline().strip("# \\n")
if action == "unsupported":
    sys.exit(33)
if action == "fail":
    sys.stderr.write("something broke in the tool\\n")
    sys.exit(1)
print(json.dumps({"out": "ok"}))
"""


def _fake_suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    runner = tmp_path / "fake-runner"
    runner.write_text(_FAKE_RUNNER)
    runner.chmod(0o755)
    monkeypatch.setenv("FAKE_RUNNER_CALLS", str(tmp_path / "calls"))
    suite = tmp_path / "cwl-v1.2"
    suite.mkdir()
    for name in ("pass", "fail", "unsupported"):
        (suite / f"{name}.cwl").write_text(f"# {name}\n")
    (suite / "conformance_tests.yaml").write_text(
        "- {id: good, doc: passes, tool: pass.cwl, output: {out: ok}, tags: [command_line_tool]}\n"
        "- {id: bad, doc: fails, tool: fail.cwl, output: {}, tags: [command_line_tool]}\n"
        "- {id: optional, doc: unsupported, tool: unsupported.cwl, output: {}, tags: [docker]}\n")
    return runner


def _calls(tmp_path: Path) -> list:
    path = tmp_path / "calls"
    return path.read_text().splitlines() if path.exists() else []


def test_results_file_records_every_test_with_its_outcome_and_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture):
    from toil_cwl.conformance import main
    from toil_cwl.conformance_ledger import Ledger

    runner = _fake_suite(tmp_path, monkeypatch)
    results = tmp_path / "results.jsonl"
    main(["--versions", "v1.2", "--spec", f"v1.2={tmp_path / 'cwl-v1.2'}", "--runners", str(runner),
          "--results", str(results), "-j", "2", "--no-download"])
    ledger = Ledger(results)
    statuses = {key[3]: record.status for key, record in ledger.records.items()}
    assert statuses == {"good": "passed", "bad": "failed", "optional": "unsupported"}
    assert "something broke in the tool" in ledger.get("v1.2", "no-container", str(runner), "bad").reason
    assert f"v1.2 {runner} (no-container) failed: bad" in capsys.readouterr().out
    assert len(_calls(tmp_path)) == 3


def test_second_invocation_resumes_and_reruns_only_failures_when_asked(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch):
    from toil_cwl.conformance import main
    from toil_cwl.conformance_ledger import Ledger

    runner = _fake_suite(tmp_path, monkeypatch)
    results = tmp_path / "results.jsonl"
    common = ["--versions", "v1.2", "--spec", f"v1.2={tmp_path / 'cwl-v1.2'}", "--runners", str(runner),
              "--results", str(results), "--no-download"]
    main(common + ["--select", "good"])
    with open(results, "a") as handle:
        handle.write('{"version": "v1.2", "mode": "no-con')  # a line cut short by a killed run
    main(common)
    assert len(_calls(tmp_path)) == 3  # "good" was not run again
    main(common + ["--rerun-failed"])
    assert len(_calls(tmp_path)) == 4  # only "bad" ran again
    assert len(Ledger(results).records) == 3


def test_wall_time_is_the_union_of_test_intervals():
    from toil_cwl.conformance_ledger import union_seconds

    assert union_seconds([(0, 10), (5, 12), (20, 25)]) == 17
    assert union_seconds([]) == 0
