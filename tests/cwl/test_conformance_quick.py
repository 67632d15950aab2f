"""A quick slice of the CWL v1.2 conformance tests, run with cwltest against toil-cwl-runner.

The whole suite runs with ``make conformance`` (``python -m toil_cwl.conformance``); this test keeps
a fast, representative part of it in the normal test run: command line tools, expression tools,
workflows, scatter (all three methods), subworkflows, step valueFrom, defaults, dynamic resources,
directories, secondaryFiles, InitialWorkDir, time limits, mixed CWL versions and v1.2 conditionals.
"""
from __future__ import annotations

import shutil

import pytest

from toil_cwl_test_helpers import CONFORMANCE

pytest.importorskip("cwltest", reason="cwltest is not installed (pip install 'toil-cwl[test]')")

from toil_cwl.conformance import RunSetup, container_setup, run_suite  # noqa: E402
from toil_cwl.conformance_suites import load_tests, write_suite  # noqa: E402

QUICK = [
    "stderr_redirect_shortcut", "stdinout_redirect", "expression_any", "expression_any_nodefaultany",
    "any_outputSource_compatibility", "wf_wc_parseInt", "wf_wc_scatter", "wf_wc_scatter_multiple_nested",
    "wf_wc_scatter_multiple_flattened", "wf_input_default_missing", "wf_default_tool_default", "envvar_req",
    "wf_scatter_two_nested_crossproduct", "wf_scatter_two_flat_crossproduct",
    "wf_scatter_nested_crossproduct_secondempty", "nested_workflow", "step_input_default_value_nullsource",
    "wf_simple", "valuefrom_wf_step_multiple", "wf_scatter_twoparam_dotproduct_valuefrom",
    "exprtool_directory_literal", "exprtool_file_literal", "dynamic_resreq_inputs",
    "outputbinding_glob_sorted", "wf_step_access_undeclared_param", "scatter_embedded_subworkflow",
    "workflow_file_input_default_unspecified", "workflowstep_valuefrom_file_basename",
    "direct_optional_null_result", "pass_through_required_true_when", "first_non_null_all_null",
    "all_non_null_multi_non_null", "conditionals_nested_cross_scatter", "conditionals_multi_scatter",
    "stderr_redirect", "initial_workdir_secondary_files_expr", "wf_two_inputfiles_namecollision",
    "directory_input_param_ref", "input_dir_recurs_copy_writable", "secondary_files_workflow_propagation",
    "workflow_step_in_loadContents", "timelimit_invalid_wf", "mixed_version_v12_wf", "continuation_expression",
]

#: Docker-requiring tests, run in containers (podman with a locally built image where there is no docker)
QUICK_CONTAINERS = [
    "stdinout_redirect_docker", "stdout_redirect_docker", "directory_input_docker", "env_home_tmpdir_docker",
    "dockeroutputdir", "docker_entrypoint", "initial_workdir_empty_writable_docker", "docker_json_output_path",
]


@pytest.mark.timeout(900)
def test_quick_conformance(tmp_path):
    if shutil.which("node") is None and shutil.which("nodejs") is None:
        pytest.skip("Node.js is needed for the JavaScript expressions of these tests")
    suite = write_suite(load_tests(CONFORMANCE / "v1.2" / "conformance_tests.yaml"),
                        tmp_path / "quick.yaml", select=QUICK)
    log = tmp_path / "cwltest.log"
    passed, failed, unsupported, bad, skipped, seconds = run_suite(
        suite, "toil-cwl-runner", jobs=2, setup=RunSetup("no-container", ["--no-container"]),
        timeout=300, log=log)
    assert (bad, skipped) == ([], []), log.read_text()[-8000:]
    assert passed == len(QUICK), log.read_text()[-8000:]


@pytest.mark.timeout(900)
def test_quick_conformance_in_containers(tmp_path, container_engine):
    try:
        setup = container_setup("yes", tmp_path)
    except RuntimeError as err:
        pytest.skip(f"containers cannot run the conformance tools here: {err}")
    suite = write_suite(load_tests(CONFORMANCE / "v1.2" / "conformance_tests.yaml"),
                        tmp_path / "quick-containers.yaml", select=QUICK_CONTAINERS)
    log = tmp_path / "cwltest.log"
    passed, failed, unsupported, bad, skipped, seconds = run_suite(
        suite, "toil-cwl-runner", jobs=2, setup=setup, timeout=300, log=log)
    assert (bad, skipped) == ([], []), log.read_text()[-8000:]
    assert passed == len(QUICK_CONTAINERS), log.read_text()[-8000:]
