"""A quick tier of the WDL conformance suite (DataBiosphere's wdl-conformance-tests, with its own
run.py) for toil-wdl-runner: tasks, scatter, sub-workflows, files, the standard library, on WDL 1.0
and 1.1. The whole suite is `python -m toil_wdl.conformance` (see plugins/toil_wdl/README.md)."""
from __future__ import annotations

import pytest

from toil_wdl.conformance import find_suite, run_suite

pytestmark = pytest.mark.timeout(900)

#: Test numbers of conformance.yaml per WDL version (every one passes; none is skipped there).
QUICK = {
    "1.0": "0,23,27,70",  # stdout(), null vs default in sub-workflows, Pair of Files, sibling files
    "1.1": "2,22,29,79",  # quote(), null vs default, sub(), glob order
}


@pytest.fixture(scope="module")
def suite():
    found = find_suite()
    if found is None:
        pytest.skip("the WDL conformance suite (shared/conformance/wdl-conformance-tests) is not beside "
                    "this checkout; set TOIL_WDL_CONFORMANCE to its folder")
    return found


@pytest.mark.parametrize("version", sorted(QUICK))
def test_quick_conformance_tier_passes(suite, version):
    # without containers (test_wdl_containers.py runs a tier in them)
    result = run_suite(suite, "toil-wdl-runner", version, numbers=QUICK[version], threads=2,
                       extra_args="--container none")
    expected = len(QUICK[version].split(","))
    assert (result["passed"], result["failed"], result["skipped"]) == (expected, 0, 0), \
        result["output"][-8000:] + result["stderr"][-3000:]


def test_the_driver_prints_one_table_of_both_runners_per_version():
    from toil_wdl.conformance import _fewer_passes, format_table

    rows = [{"runner": r, "version": v, "passed": p, "failed": f, "skipped": 1, "seconds": 90.0}
            for r, v, p, f in [("toil-wdl-runner", "1.0", 5, 1), ("miniwdl", "1.0", 6, 0),
                               ("toil-wdl-runner", "1.1", 7, 0), ("miniwdl", "1.1", 6, 1)]]
    assert format_table(rows).splitlines() == [
        "| runner | WDL 1.0 | WDL 1.1 |",
        "|---|---|---|",
        "| toil-wdl-runner | 5 passed, 1 failed, 1 skipped (1.5 min) | 7 passed, 0 failed, 1 skipped (1.5 min) |",
        "| miniwdl | 6 passed, 0 failed, 1 skipped (1.5 min) | 6 passed, 1 failed, 1 skipped (1.5 min) |"]
    assert _fewer_passes(rows) == ["1.0"]
