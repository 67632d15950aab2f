"""The built-in backends are found through entry points like any plugin; the public API is pinned."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import toil_core.plugins as plugins
from toil_core.plugins import (
    BatchSystemSpec,
    JobStoreSpec,
    URLAccessSpec,
    get_spec,
    installed_names,
    list_plugins,
    normalize_name,
)
from toil_core.plugins import discovery


@pytest.fixture(autouse=True)
def _fresh_discovery(monkeypatch):
    monkeypatch.delenv("TOIL_DISABLE_PLUGINS", raising=False)
    discovery.reset()
    yield
    discovery.reset()


def _record(kind, name):
    matches = [r for r in discovery.entry_points(kind) if r.name == name]
    assert len(matches) == 1, matches
    return matches[0]


@pytest.mark.parametrize(
    "kind,name,group",
    [
        ("batch_system", "single_machine", "toil.batch_systems"),
        ("job_store", "file", "toil.job_stores"),
        ("url_access", "file", "toil.url_access"),
        ("url_access", "http", "toil.url_access"),
        ("url_access", "https", "toil.url_access"),
    ],
)
def test_builtins_are_entry_points_of_toil_core(kind, name, group):
    record = _record(kind, name)
    assert record.group == group
    assert record.distribution == "toil-core"
    assert name in installed_names(kind)


def test_single_machine_spec():
    spec = get_spec("batch_system", "single_machine")
    assert isinstance(spec, BatchSystemSpec)
    assert spec.name == "single_machine"
    assert spec.load == "toil_core.batch.single_machine:SingleMachineBatchSystem"
    assert spec.aliases == ("singleMachine", "single-machine")
    assert spec.capabilities == frozenset({"worker_cleanup", "fractional_cores", "walltime", "accelerators"})
    assert spec.summary == "Runs jobs as parallel processes on this machine."
    from toil_core.batch.builtin_plugin import SingleMachineSettings

    assert spec.settings is SingleMachineSettings


def test_file_job_store_spec():
    spec = get_spec("job_store", "file")
    assert isinstance(spec, JobStoreSpec)
    assert spec.load == "toil_core.jobstores.file_job_store:FileJobStore"


@pytest.mark.parametrize(
    "scheme,target,capabilities",
    [
        ("file", "toil_core.jobstores.url_access:FileURLAccess", {"import", "export"}),
        ("http", "toil_core.jobstores.http_access:HTTPURLAccess", {"import"}),
        ("https", "toil_core.jobstores.http_access:HTTPURLAccess", {"import"}),
    ],
)
def test_url_access_specs(scheme, target, capabilities):
    spec = get_spec("url_access", scheme)
    assert isinstance(spec, URLAccessSpec)
    assert spec.name == scheme
    assert spec.load == target
    assert spec.capabilities == frozenset(capabilities)


@pytest.mark.parametrize(
    "spelling", ["single_machine", "singleMachine", "single-machine", "SINGLE_MACHINE", " singlemachine "]
)
def test_upstream_spellings_resolve_to_single_machine(spelling):
    assert get_spec("batch_system", spelling).name == "single_machine"


def test_url_scheme_is_case_insensitive_and_tolerates_separator():
    assert get_spec("url_access", "HTTPS").name == "https"
    from toil_core.plugins.registry import _scheme

    assert _scheme("https://") == "https" and _scheme("file:") == "file"


def test_normalize_name():
    assert normalize_name("Single-Machine") == "single_machine"
    assert normalize_name("gridEngine") == "gridengine"
    assert normalize_name("grid_engine") == "grid_engine"


def test_lookups_are_memoized():
    first = discovery.resolve("batch_system", "singleMachine")
    assert discovery.resolve("batch_system", "single_machine") is not None
    assert discovery.resolve("batch_system", "singleMachine") is first
    discovery.reset()
    assert discovery.resolve("batch_system", "singleMachine") is not first


def test_list_plugins_shows_builtins_with_status():
    rows = {(i.kind, i.name): i for i in list_plugins()}
    for key in [("batch_system", "single_machine"), ("job_store", "file"), ("url_access", "http")]:
        assert key in rows
        assert rows[key].distribution == "toil-core"
        assert rows[key].version
        assert rows[key].status == "installed"
    get_spec("batch_system", "single_machine")
    row = next(i for i in list_plugins("batch_system") if i.name == "single_machine")
    assert row.status == "loaded"
    assert row.summary == "Runs jobs as parallel processes on this machine."


def test_listing_imports_nothing_in_a_fresh_interpreter():
    code = textwrap.dedent(
        """
        import json, sys
        from toil_core.plugins import list_plugins, installed_names, plugin_environment
        before = set(sys.modules)
        rows = list_plugins()
        names = installed_names("batch_system")
        env = plugin_environment()
        new = sorted(set(sys.modules) - before)
        print(json.dumps({"new": new, "rows": len(rows), "names": names, "env": env["python"]}))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["rows"] >= 5
    assert "single_machine" in result["names"]
    imported_plugin_code = [
        m for m in result["new"]
        if m.startswith(("stevedore", "toil_core.batch", "toil_core.jobstores", "toil_hpc", "toil_aws"))
    ]
    assert imported_plugin_code == []


def test_resolving_one_backend_imports_only_its_plugin_module():
    code = textwrap.dedent(
        """
        import json, sys
        from toil_core.plugins import get_spec
        get_spec("batch_system", "single_machine")
        print(json.dumps(sorted(m for m in sys.modules if m.startswith("toil_core.")
                                and m.split(".")[1] in ("batch", "jobstores"))))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert "toil_core.batch.builtin_plugin" in loaded
    assert not any(m.startswith("toil_core.jobstores") for m in loaded)
    assert "toil_core.batch.single_machine" not in loaded  # the class is imported only on demand


EXPECTED_ALL = {
    "BatchSystemSpec", "JobStoreSpec", "KINDS", "PluginSpec", "ProvisionerSpec", "SubcommandSpec",
    "URLAccessSpec", "hookimpl", "hookspec",
    "PluginConflictError", "PluginDisabledError", "PluginError", "PluginImportError",
    "PluginIncompatibleError", "PluginMisconfiguredError", "PluginNotInstalledError",
    "PluginInfo", "check_plugins", "get_batch_system_class", "get_job_store_class",
    "get_provisioner_class", "get_spec", "get_subcommand", "get_url_access", "installed_names",
    "list_plugins", "load_plugin_object", "normalize_name", "plugin_environment",
    "configure_plugins", "error_hints", "leader_finished", "leader_started",
    "SettingRow", "add_settings_options", "describe_settings", "setting", "settings_from",
}


def test_public_api_is_pinned_and_documented():
    assert set(plugins.__all__) == EXPECTED_ALL
    assert len(plugins.__all__) == len(set(plugins.__all__))
    for name in plugins.__all__:
        obj = getattr(plugins, name)
        if callable(obj) and not isinstance(obj, type(plugins.hookimpl)):
            assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_star_import_matches_all():
    namespace: dict = {}
    exec("from toil_core.plugins import *", namespace)
    assert EXPECTED_ALL <= set(namespace)


def test_kinds_table_names_the_six_groups():
    groups = {info.group for info in plugins.KINDS.values()}
    assert groups == {
        "toil.batch_systems", "toil.job_stores", "toil.provisioners", "toil.url_access",
        "toil.commands", "toil.plugins",
    }
