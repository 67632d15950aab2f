"""toil_core.testing is a public, documented API; its pytest plugin is opt-in."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import toil_core.testing as testing
from toil_core.testing import core_requirement_problem

pytest_plugins = ["pytester"]

EXPECTED_ALL = {
    "BatchSystemContract", "JobStoreContract", "URLAccessContract", "ProvisionerContract",
    "PluginPackagingContract", "FakeDistributions", "make_fake_distribution", "HEAVY_MODULES",
    "core_requirement_problem", "make_config", "make_job_description", "run_tiny_workflow", "subprocess_env",
}
SUITES = ["BatchSystemContract", "JobStoreContract", "URLAccessContract", "ProvisionerContract",
          "PluginPackagingContract"]


def test_public_api_is_pinned_and_documented():
    assert set(testing.__all__) == EXPECTED_ALL
    for name in testing.__all__:
        obj = getattr(testing, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), f"{name} has no docstring"
    with pytest.raises(AttributeError):
        testing.NoSuchThing  # noqa: B018


@pytest.mark.parametrize("name", SUITES)
def test_suites_are_not_collected_but_their_subclasses_are(name):
    suite = getattr(testing, name)
    assert suite.__dict__["__test__"] is False
    subclass = type("TestSubclass", (suite,), {})
    assert subclass.__test__ is True
    opted_out = type("TestOptedOut", (suite,), {"__test__": False})
    assert opted_out.__test__ is False


def test_importing_the_kit_imports_neither_pytest_nor_backends():
    code = textwrap.dedent("""
        import json, sys
        import toil_core.testing
        from toil_core.testing import FakeDistributions, core_requirement_problem
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("pytest", "_pytest")
                                or m.startswith("toil_core.batch.single_machine"))))
    """)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_no_pytest11_entry_point():
    from importlib.metadata import distribution

    groups = {ep.group for ep in distribution("toil-core").entry_points}
    assert "pytest11" not in groups


@pytest.mark.parametrize("requirements, problem", [
    (["toil-core>=1.0,<2"], None),
    (["toil-core >= 1.2, < 2.0"], None),
    (["toil_core~=1.0"], None),
    (["attrs", "toil-core>=1.0,<2; python_version >= '3.9'"], None),
    (["toil-core==1.0.0"], "exact pin"),
    (["toil-core>=1.0"], "upper"),
    (["toil-core<2"], "lower"),
    (["toil-core>=1.0,<3"], "one major"),
    (["toil-core~=1.0.1"], "narrower"),
    (["attrs"], "no requirement"),
    (["pytest", "toil-core>=1.0,<2; extra == 'test'"], "no requirement"),
])
def test_core_requirement_problem(requirements, problem):
    found = core_requirement_problem(requirements)
    assert (found is None) if problem is None else (problem in found), found


def test_opt_in_pytest_plugin(pytester):
    pytester.makepyfile(test_uses_plugin=textwrap.dedent("""
        pytest_plugins = ["toil_core.testing.pytest_plugin"]

        def test_fake_distribution(toil_fake_distributions):
            from toil_core.plugins.registry import installed_names
            toil_fake_distributions.add("toil-fakebs", "1.0", {"toil.batch_systems": {"fakebs": "fakebs_plugin"}},
                                        requires=["toil-core>=1.0,<2"],
                                        modules={"fakebs_plugin.py": "def toil_batch_systems(): return []"})
            assert "fakebs" in installed_names("batch_system")

        def test_run_workflow(toil_run_workflow):
            result = toil_run_workflow("single_machine")
            assert result.returncode == 0, result.stderr
            assert "tiny workflow result: 42" in result.stdout
    """))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", timeout=300)
    assert result.ret == 0, result.stdout.str()
    # Enabled from the top-level conftest.py, it also names the installed plugins in the header.
    pytester.makeconftest('pytest_plugins = ["toil_core.testing.pytest_plugin"]')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "fake_distribution", timeout=300)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["toil plugins (*): *batch_system:single_machine*"])
