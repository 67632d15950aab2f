"""The conformance tooling itself (toil_cwl.conformance*): suites, selections, derived versions, summaries.

These run no workflow; the conformance tests themselves run in test_conformance_quick.py and
``make conformance``.
"""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("cwltool")

from toil_cwl.conformance import _outcome, container_setup, parse_summary  # noqa: E402
from toil_cwl.conformance_suites import derive_suite, find_suite, load_tests, write_suite  # noqa: E402
from toil_cwl_test_helpers import CONFORMANCE  # noqa: E402


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


def test_write_suite_selects_by_id_and_names_unknown_ids(tmp_path: Path):
    tests = [{"id": "a", "tool": "/x.cwl"}, {"id": "b", "tool": "/y.cwl"}]
    out = write_suite(tests, tmp_path / "s.yaml", select=["b"])
    assert [t["id"] for t in load_tests(out)] == ["b"]
    with pytest.raises(ValueError, match="no such conformance test: nope"):
        write_suite(tests, tmp_path / "t.yaml", select=["a", "nope"])


def test_bundled_v12_suite_has_unique_ids_and_all_its_files():
    tests = load_tests(CONFORMANCE / "v1.2" / "conformance_tests.yaml")
    ids = [t["id"] for t in tests]
    assert len(ids) == len(set(ids)) and len(ids) > 250
    for test in tests:
        for key in ("tool", "job"):
            if test.get(key):
                assert Path(test[key].split("#")[0]).is_file(), (test["id"], test[key])


def test_derived_v10_suite_uses_v10_files(tmp_path: Path):
    yaml = derive_suite("v1.0", tmp_path)
    assert yaml is not None
    tool = (tmp_path / "v1.0" / "parseInt-tool.cwl").read_text()
    assert "cwlVersion: v1.0" in tool
    assert "inputBinding: { loadContents: true }" in tool  # upstream's v1.0 copy, laid over the v1.2 one
    packed = (tmp_path / "v1.0" / "revsort-packed.cwl").read_text()
    assert '"cwlVersion": "v1.0"' in packed  # JSON documents are rewritten too
    tests = load_tests(yaml)
    assert tests and all(Path(t["tool"].split("#")[0]).is_file() for t in tests)


def test_find_suite_without_network_falls_back_to_the_bundle(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CWL_CONFORMANCE_DIR", raising=False)
    suite, reason = find_suite("v1.2", {}, allow_download=False)
    assert suite is not None and suite.yaml == CONFORMANCE / "v1.2" / "conformance_tests.yaml"
    missing, why = find_suite("v1.2", {"v1.2": "/nonexistent/cwl-v1.2"}, allow_download=False)
    assert missing is None and "/nonexistent/cwl-v1.2" in why


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
    assert setup.mode == "no-container" and setup.runner_args == ["--no-container"]


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
