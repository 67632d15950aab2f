"""A quick tier of the WDL 1.1.1 specification tests (the examples of openwdl/wdl's SPEC.md, extracted
with wdl-conformance-tests' setup_unit_tests.py and run with its run.py) for toil-wdl-runner, tasks on
the host. It never skips: without shared/conformance beside the checkout it uses the unmodified copies
in tests/wdl/conformance. The whole set is ``python -m toil_wdl.conformance --versions spec``."""
from __future__ import annotations

import pytest

from toil_wdl.conformance import SPEC, extract_spec_tests, find_spec, find_suite, format_table, run_suite

pytestmark = pytest.mark.timeout(600)

#: Numbers of the extracted tests (their order in SPEC.md); every one passes on the host.
QUICK = "0,3,5"


@pytest.fixture(scope="module")
def suite():
    found = find_suite()
    assert found is not None, "wdl-conformance-tests is missing from tests/wdl/conformance"
    return found


@pytest.fixture(scope="module")
def spec():
    found = find_spec()
    assert found is not None, "openwdl-wdl-1.1.1/SPEC.md is missing from tests/wdl/conformance"
    return found


def test_the_suite_extracts_the_specification_tests(suite, spec, tmp_path):
    import shutil

    copy = tmp_path / "suite"
    shutil.copytree(suite, copy)
    unextracted = extract_spec_tests(copy, spec)
    config = (copy / "unit_tests" / "test_config.yaml").read_text()
    entries = config.count("\n- ") + config.startswith("- ")
    # SPEC.md 1.1.1 has 149 examples; the extractor cannot make a test of 12 of them (broken examples)
    assert (entries, len(unextracted)) == (137, 12), (entries, unextracted)
    assert (copy / "unit_tests" / "hello.wdl").is_file()
    assert (copy / "unit_tests" / "data" / "greetings.txt").is_file()


def test_quick_specification_tier_passes(suite, spec):
    result = run_suite(suite, "toil-wdl-runner", SPEC, numbers=QUICK, threads=2, extra_args="--container none",
                       spec=spec)
    expected = len(QUICK.split(","))
    assert (result["passed"], result["failed"]) == (expected, 0), \
        result["output"][-8000:] + result["stderr"][-3000:]
    # only the examples that are not tests count as skipped
    assert result["skipped"] == len(result["unextracted"]) == 12


def test_the_specification_tests_have_a_column_of_their_own():
    rows = [{"runner": "toil-wdl-runner", "version": v, "passed": 1, "failed": 0, "skipped": 0, "seconds": 60.0}
            for v in ("1.1", SPEC)]
    assert format_table(rows).splitlines()[0] == "| runner | WDL 1.1 | spec 1.1.1 |"
