"""The contract suites are tested too: run against deliberately broken backends (in a pytest
subprocess, through pytester), each suite must fail, on the tests that check what is broken."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

HERE = Path(__file__).resolve().parent

HEADER = f"""
import sys
sys.path.insert(0, {str(HERE)!r})
import pytest
import contract_fakes
from toil_core.jobstores.locator import parse_locator
"""

CASES = {
    "batch_system": ("""
        from toil_core.testing import BatchSystemContract

        class TestBroken(BatchSystemContract):
            @pytest.fixture
            def batch_system_class(self):
                return contract_fakes.BrokenBatchSystem
        """, {
        "test_nonzero_exit_code_is_kept[1]", "test_nonzero_exit_code_is_kept[3]",
        "test_job_environment_is_passed", "test_set_env_is_passed",
        "test_set_env_of_a_missing_variable_raises", "test_too_large_a_request_is_rejected[cores]",
        "test_too_large_a_request_is_rejected[memory]", "test_too_large_a_request_is_rejected[disk]",
        "test_killed_job_stops_and_is_never_reported", "test_issued_and_running_ids", "test_shutdown_twice",
    }),
    "job_store": ("""
        from toil_core.testing import JobStoreContract

        class TestBroken(JobStoreContract):
            @pytest.fixture
            def job_store_factory(self):
                return lambda locator: contract_fakes.BrokenJobStore(parse_locator(locator)[1])
        """, {"test_update_a_job", "test_delete_a_job", "test_shared_files", "test_files_written_for_a_job_go_with_it"}),
    "url_access": ("""
        from toil_core.testing import URLAccessContract

        class TestBroken(URLAccessContract):
            @pytest.fixture
            def url_access(self):
                return contract_fakes.BrokenURLAccess
        """, {"test_supports_its_urls_only", "test_get_size", "test_reading_a_missing_object_raises"}),
    "provisioner": ("""
        from toil_core.testing import ProvisionerContract

        class TestBroken(ProvisionerContract):
            node_type = "small"

            @pytest.fixture
            def provisioner_class(self):
                return contract_fakes.BrokenProvisioner
        """, {"test_unsupported_cluster_type_is_refused", "test_node_shape", "test_autoscaled_node_types"}),
}


def failed_tests(output: str) -> set:
    return set(re.findall(r"^FAILED \S+::TestBroken::(\S+)", output, re.MULTILINE))


@pytest.mark.parametrize("kind", sorted(CASES))
def test_suite_fails_a_broken_backend(pytester, kind):
    body, must_fail = CASES[kind]
    pytester.makepyfile(**{f"test_broken_{kind}": HEADER + textwrap.dedent(body)})
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rf", "-q", timeout=300)
    output = result.stdout.str()
    assert result.ret == 1, output
    failed = failed_tests(output)
    assert must_fail <= failed, f"not caught: {sorted(must_fail - failed)}\n{output}"
    assert result.parseoutcomes().get("passed", 0) > 0, output  # the rest of the suite still ran
    if kind == "batch_system":  # the suite's own asserts are rewritten: failures show the values
        assert "assert 0 == 3" in output, output


# Defects that pass every interface check and still break real runs, each in an otherwise sound
# local batch system registered the upstream way (fake_plugins/): the suite must catch each one,
# and must pass the same tests on the sound variant.
FAKE_PLUGINS = HERE / "fake_plugins"
DEFECTS = {
    # launches jobs without the interpreter's directory on PATH: `_toil_worker: not found`, exit 127
    "contract_nopath": ("workflow", {"test_runs_a_toil_workflow"}, "jobs could not find `_toil_worker`"),
    # reports a job killed by a signal as exit status 0
    "contract_sigzero": ("signal", {"test_signal_death_is_a_failure_naming_the_signal[15]",
                                    "test_signal_death_is_a_failure_naming_the_signal[9]"},
                         "was reported with exit status 0"),
    # runs every job at once whatever maxCores says
    "contract_greedy": ("max_cores", {"test_local_jobs_respect_max_cores"}, "ran at once under maxCores=1"),
}


def _suite_for(pytester, name, select, timeout=300):
    pytester.makepyfile(test_fake_plugin=f"""
        import sys
        sys.path.insert(0, {str(FAKE_PLUGINS)!r})
        from toil_core.testing import BatchSystemContract

        class TestBroken(BatchSystemContract):
            batch_system_name = {name!r}
        """)
    args = ["-p", "no:cacheprovider", "-rf", "-q"] + (["-k", select] if select else [])
    return pytester.runpytest_subprocess(*args, timeout=timeout)


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_suite_catches_a_defect_that_breaks_real_runs(pytester, name):
    select, must_fail, message = DEFECTS[name]
    result = _suite_for(pytester, name, select)
    output = result.stdout.str()
    assert must_fail <= failed_tests(output), output
    assert message in output, output


def test_the_sound_variant_passes_those_tests(pytester):
    select = " or ".join(select for select, _f, _m in DEFECTS.values())
    result = _suite_for(pytester, "contract_sound", select)
    assert result.ret == 0, result.stdout.str()
    assert result.parseoutcomes().get("passed", 0) >= 4, result.stdout.str()


def test_a_backend_that_never_reports_fails_in_seconds(pytester):
    # Each test's job visibly ends; the first wait gives up report_grace seconds after that, and the
    # others (and the workflow) do not wait again. The deadline below is the whole suite's budget.
    result = _suite_for(pytester, "contract_silent", None, timeout=150)
    output = result.stdout.str()
    assert result.ret == 1, output
    assert "did not report it within 15s" in output, output
    assert "test_runs_a_toil_workflow" in failed_tests(output), output


def test_the_suites_pass_a_working_backend(pytester):
    """The control: the same harness with the real backends reports no failure."""
    pytester.makepyfile(test_working=HEADER + textwrap.dedent("""
        from toil_core.testing import BatchSystemContract, JobStoreContract, ProvisionerContract, URLAccessContract

        class TestBatch(BatchSystemContract):
            batch_system_name = "single_machine"

            def test_runs_a_toil_workflow(self):
                pytest.skip("covered by tests/contract/test_batch_contract.py")

        class TestStore(JobStoreContract):
            job_store_name = "file"

        class TestURLs(URLAccessContract):
            url_scheme = "file"

        class TestProvisioner(ProvisionerContract):
            node_type = "small"

            @pytest.fixture
            def provisioner_class(self):
                return contract_fakes.FakeProvisioner
        """))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rf", "-q", timeout=300)
    assert result.ret == 0, result.stdout.str()
    assert "failed" not in result.parseoutcomes()
