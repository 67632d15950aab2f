"""Each failure mode names its cause and cure, and one broken plugin never breaks the others."""
from __future__ import annotations

import pickle
import sys

import pytest

from toil_core.plugins import (
    PluginConflictError,
    PluginDisabledError,
    PluginError,
    PluginImportError,
    PluginIncompatibleError,
    PluginMisconfiguredError,
    PluginNotInstalledError,
    get_batch_system_class,
    get_job_store_class,
    get_spec,
    get_url_access,
    installed_names,
    list_plugins,
)
from toil_core.plugins import discovery, metadata
from toil_core.plugins import errors as plugin_errors
from toil_core.testing.fake_dist import FakeDistributions

BS = "toil.batch_systems"


@pytest.fixture(autouse=True)
def _fresh_discovery(monkeypatch):
    monkeypatch.delenv("TOIL_DISABLE_PLUGINS", raising=False)
    discovery.reset()
    yield
    discovery.reset()


@pytest.fixture
def dists(tmp_path):
    with FakeDistributions(tmp_path) as fake:
        yield fake


def bs_module(name, load=None, aliases=(), extra=""):
    """Source of a plugin module providing one batch system spec."""
    load = load or "collections:OrderedDict"
    return (
        "from toil_core.plugins import BatchSystemSpec\n"
        f"{extra}\n"
        "def toil_batch_systems():\n"
        f"    return [BatchSystemSpec(name={name!r}, load={load!r}, aliases={tuple(aliases)!r},\n"
        f"                            summary='fake {name}')]\n"
    )


# --- not installed ---------------------------------------------------------------------------------

def test_not_installed_message_exact_text(monkeypatch):
    monkeypatch.setattr(plugin_errors, "declared_extras", lambda: {"toil-k8s": "kubernetes"})
    error = PluginNotInstalledError("batch_system", "kubernetes", ["slurm", "single_machine"])
    assert str(error) == (
        "Unrecognized batch system: 'kubernetes'. Batch system 'kubernetes' is not installed. "
        "Install it with: pip install 'toil-core[kubernetes]' (provides toil-k8s). "
        "Installed batch systems: single_machine, slurm."
    )
    assert (error.extra, error.distribution) == ("kubernetes", "toil-k8s")
    assert isinstance(error, PluginError) and isinstance(error, RuntimeError)


def test_a_name_whose_distribution_no_extra_installs_is_not_available(monkeypatch):
    monkeypatch.setattr(plugin_errors, "declared_extras", lambda: {"toil-hpc": "hpc"})
    error = PluginNotInstalledError("batch_system", "mesos", ["single_machine"])
    assert str(error) == (
        "Unrecognized batch system: 'mesos'. Batch system 'mesos' is not available: it comes with "
        "toil-mesos, which this toil-core release does not provide yet (no toil-core extra installs "
        "it). Installed batch systems: single_machine."
    )
    assert (error.extra, error.distribution) == (None, "toil-mesos")


@pytest.mark.parametrize(
    "kind,name,dist",
    [
        ("batch_system", "slurm", "toil-hpc"),
        ("batch_system", "gridEngine", "toil-hpc"),
        ("batch_system", "grid_engine", "toil-hpc"),
        ("batch_system", "htcondor", "toil-hpc"),
        ("batch_system", "torque", "toil-hpc"),
        ("batch_system", "lsf", "toil-hpc"),
        ("batch_system", "mesos", "toil-mesos"),
        ("batch_system", "aws_batch", "toil-aws"),
        ("job_store", "aws", "toil-aws"),
        ("job_store", "google", "toil-google"),
        ("url_access", "s3", "toil-aws"),
        ("url_access", "gs", "toil-google"),
        ("provisioner", "aws", "toil-aws"),
        ("provisioner", "gce", "toil-google"),
    ],
)
def test_well_known_names_get_install_hint(kind, name, dist, monkeypatch):
    monkeypatch.setattr(plugin_errors, "declared_extras", lambda: {dist: "the-extra"})
    message = str(PluginNotInstalledError(kind, name, []))
    assert f"pip install 'toil-core[the-extra]' (provides {dist})" in message


def test_job_store_keeps_upstream_phrase():
    message = str(PluginNotInstalledError("job_store", "aws", ["file"]))
    assert message.startswith("Unknown job store implementation 'aws'. Job store 'aws' is not ")
    assert message.endswith("Installed job stores: file.")


def test_unknown_name_lists_installed_and_suggests():
    with pytest.raises(PluginNotInstalledError) as info:
        get_batch_system_class("single_machin")
    message = str(info.value)
    assert message.startswith(
        "Unrecognized batch system: 'single_machin'. No installed plugin provides batch system "
        "'single_machin'. Did you mean 'single_machine'? Installed batch systems: "
    )
    assert "single_machine" in info.value.installed
    assert "pip install" not in message


# A backend that is not installed, end to end (--batchSystem kubernetes, mesos, slurm with the
# distribution hidden): rows of tests/faults/test_bad_inputs.py.


def test_url_and_job_store_not_installed():
    with pytest.raises(PluginNotInstalledError, match="URL scheme 'nosuchscheme'"):
        get_url_access("nosuchscheme")
    with pytest.raises(PluginNotInstalledError, match="Unknown job store implementation 'nosuch'"):
        get_job_store_class("nosuch")


# --- installed but failing ---------------------------------------------------------------------------

def test_import_failure_keeps_cause(dists):
    dists.add("toil-broken", "0.3", {BS: {"broken_bs": "broken_bs_plugin"}},
              modules={"broken_bs_plugin.py": "import no_such_module_for_toil_tests\n"})
    with pytest.raises(PluginImportError) as info:
        get_batch_system_class("broken_bs")
    error = info.value
    assert isinstance(error.__cause__, ModuleNotFoundError)
    assert error.cause is error.__cause__
    assert (error.distribution, error.version) == ("toil-broken", "0.3")
    assert str(error) == (
        "Batch system 'broken_bs' is installed (toil-broken 0.3) but failed to import: "
        "ModuleNotFoundError: No module named 'no_such_module_for_toil_tests'. "
        "Run `toil plugins check broken_bs` for details."
    )
    row = next(i for i in list_plugins("batch_system") if i.name == "broken_bs")
    assert row.status == "broken" and "no_such_module_for_toil_tests" in row.error


def test_target_class_import_failure_is_an_import_error(dists):
    dists.add("toil-half", "1.0", {BS: {"half_bs": "half_bs_plugin"}},
              modules={"half_bs_plugin.py": bs_module("half_bs", load="half_bs_missing:Batch")})
    assert get_spec("batch_system", "half_bs").load == "half_bs_missing:Batch"
    with pytest.raises(PluginImportError) as info:
        get_batch_system_class("half_bs")
    assert isinstance(info.value.__cause__, ImportError)


def test_one_broken_plugin_does_not_break_others(dists):
    dists.add("toil-broken", "0.1", {BS: {"broken_bs": "broken_bs2"}},
              modules={"broken_bs2.py": "raise RuntimeError('boom at import')\n"})
    dists.add("toil-good", "0.1", {BS: {"good_bs": "good_bs_plugin"}},
              modules={"good_bs_plugin.py": bs_module("good_bs")})
    with pytest.raises(PluginImportError, match="RuntimeError: boom at import"):
        get_batch_system_class("broken_bs")
    from collections import OrderedDict

    assert get_batch_system_class("good_bs") is OrderedDict
    assert get_spec("batch_system", "single_machine").name == "single_machine"
    statuses = {i.name: i.status for i in list_plugins("batch_system")}
    assert statuses["broken_bs"] == "broken"
    assert statuses["good_bs"] == "loaded"
    assert statuses["single_machine"] == "loaded"


# --- incompatible ----------------------------------------------------------------------------------

def test_incompatible_detected_before_import(dists):
    dists.add("toil-future", "1.1.0", {BS: {"future_bs": "future_bs_plugin"}},
              requires=["toil-core>=99"],
              modules={"future_bs_plugin.py": "raise AssertionError('must not be imported')\n"})
    with pytest.raises(PluginIncompatibleError) as info:
        get_batch_system_class("future_bs")
    core = metadata.core_version()
    assert str(info.value).startswith(
        f"toil-future 1.1.0 requires toil-core>=99 but toil-core {core} is installed"
    )
    assert "future_bs_plugin" not in sys.modules
    row = next(i for i in list_plugins("batch_system") if i.name == "future_bs")
    assert row.status == "incompatible"


def test_incompatible_message_matches_design(dists, monkeypatch):
    monkeypatch.setattr(metadata, "core_version", lambda: "2.0.0")
    dists.add("toil-hpc-fake", "1.1.0", {BS: {"fake_hpc": "fake_hpc_plugin"}},
              requires=["toil-core>=1.1,<2", "toil-core>=99; extra == 'test'"],
              modules={"fake_hpc_plugin.py": bs_module("fake_hpc")})
    with pytest.raises(PluginIncompatibleError) as info:
        get_spec("batch_system", "fake_hpc")
    assert "toil-hpc-fake 1.1.0 requires toil-core>=1.1,<2 but toil-core 2.0.0 is installed" in str(info.value)


def test_compatible_range_and_extra_markers_are_accepted(dists):
    dists.add("toil-now", "1.0", {BS: {"now_bs": "now_bs_plugin"}},
              requires=["toil-core>=0.1,<99", "attrs", "toil-core>=99; extra == 'test'"],
              modules={"now_bs_plugin.py": bs_module("now_bs")})
    assert get_spec("batch_system", "now_bs").summary == "fake now_bs"


# --- conflicts ---------------------------------------------------------------------------------------

def test_conflict_names_every_distribution(dists, monkeypatch):
    dists.add("toil-dupe-a", "1.0", {BS: {"dupe": "dupe_a"}},
              modules={"dupe_a.py": "raise AssertionError('not imported')\n"})
    dists.add("toil-dupe-b", "2.0", {BS: {"dupe": "dupe_b"}}, modules={"dupe_b.py": bs_module("dupe")})
    with pytest.raises(PluginConflictError) as info:
        get_spec("batch_system", "dupe")
    message = str(info.value)
    assert "toil-dupe-a 1.0" in message and "toil-dupe-b 2.0" in message
    assert len(info.value.distributions) == 2
    assert "dupe_a" not in sys.modules and "dupe_b" not in sys.modules
    assert {i.status for i in list_plugins("batch_system") if i.name == "dupe"} == {"conflict"}
    # Disabling one distribution resolves the conflict.
    monkeypatch.setenv("TOIL_DISABLE_PLUGINS", "toil-dupe-a")
    assert get_spec("batch_system", "dupe").summary == "fake dupe"


# --- misconfigured -----------------------------------------------------------------------------------

def test_plugin_yielding_no_spec_of_its_name(dists):
    dists.add("toil-odd", "1.0", {BS: {"odd_bs": "odd_bs_plugin"}},
              modules={"odd_bs_plugin.py": bs_module("something_else")})
    with pytest.raises(PluginMisconfiguredError) as info:
        get_spec("batch_system", "odd_bs")
    assert "yields no batch system spec named 'odd_bs' (it yields: something_else)" in str(info.value)
    row = next(i for i in list_plugins("batch_system") if i.name == "odd_bs")
    assert row.status == "misconfigured"


def test_plugin_with_unknown_hook_is_misconfigured(dists):
    source = bs_module("skew_bs") + "\ndef toil_hook_from_the_future():\n    return 1\n"
    dists.add("toil-skew", "1.0", {BS: {"skew_bs": "skew_bs_plugin"}}, modules={"skew_bs_plugin.py": source})
    with pytest.raises(PluginMisconfiguredError, match="unknown hook 'toil_hook_from_the_future'"):
        get_spec("batch_system", "skew_bs")


def test_optional_unknown_hook_is_accepted(dists):
    source = bs_module("opt_bs") + (
        "\nfrom toil_core.plugins import hookimpl\n"
        "@hookimpl(optionalhook=True)\n"
        "def toil_hook_from_the_future():\n    return 1\n"
    )
    dists.add("toil-opt", "1.0", {BS: {"opt_bs": "opt_bs_plugin"}}, modules={"opt_bs_plugin.py": source})
    assert get_spec("batch_system", "opt_bs").name == "opt_bs"


def test_plugin_returning_wrong_type_is_misconfigured(dists):
    source = "def toil_batch_systems():\n    return ['not a spec']\n"
    dists.add("toil-wrong", "1.0", {BS: {"wrong_bs": "wrong_bs_plugin"}},
              modules={"wrong_bs_plugin.py": source})
    with pytest.raises(PluginMisconfiguredError, match="not a BatchSystemSpec"):
        get_spec("batch_system", "wrong_bs")


def test_hook_with_bad_signature_is_misconfigured(dists):
    source = "def toil_configure(cfg, extra):\n    pass\n" + bs_module("sig_bs")
    dists.add("toil-sig", "1.0", {BS: {"sig_bs": "sig_bs_plugin"}}, modules={"sig_bs_plugin.py": source})
    with pytest.raises(PluginMisconfiguredError):
        get_spec("batch_system", "sig_bs")


# --- disabling ---------------------------------------------------------------------------------------

def test_disable_builtin_by_name(monkeypatch):
    monkeypatch.setenv("TOIL_DISABLE_PLUGINS", "single_machine")
    with pytest.raises(PluginDisabledError) as info:
        get_batch_system_class("singleMachine")
    assert isinstance(info.value, PluginNotInstalledError)
    assert "disabled by TOIL_DISABLE_PLUGINS" in str(info.value)
    assert "single_machine" not in installed_names("batch_system")
    row = next(i for i in list_plugins("batch_system") if i.name == "single_machine")
    assert row.status == "disabled"


def test_disable_by_kind_and_name(monkeypatch):
    monkeypatch.setenv("TOIL_DISABLE_PLUGINS", "url_access:http, something_else")
    with pytest.raises(PluginDisabledError):
        get_spec("url_access", "http")
    assert get_spec("url_access", "https").name == "https"
    assert get_spec("url_access", "file").name == "file"
    assert get_spec("job_store", "file").name == "file"


def test_disable_by_distribution(dists, monkeypatch):
    dists.add("toil-off", "1.0", {BS: {"off_bs": "off_bs_plugin"}}, modules={"off_bs_plugin.py": bs_module("off_bs")})
    assert get_spec("batch_system", "off_bs").name == "off_bs"
    monkeypatch.setenv("TOIL_DISABLE_PLUGINS", "Toil_Off")
    with pytest.raises(PluginDisabledError):
        get_spec("batch_system", "off_bs")


# --- aliases -----------------------------------------------------------------------------------------

def test_aliases_and_upstream_spellings(dists, monkeypatch):
    monkeypatch.setenv("TOIL_DISABLE_PLUGINS", "toil-hpc")  # the real grid_engine, if installed
    dists.add("toil-grid", "1.0", {BS: {"grid_engine": "grid_plugin", "sge": "grid_plugin"}},
              modules={"grid_plugin.py": bs_module("grid_engine", aliases=("gridEngine", "sge"))})
    for spelling in ("grid_engine", "gridEngine", "gridengine", "grid-engine", "sge", "SGE"):
        assert get_spec("batch_system", spelling).name == "grid_engine", spelling


# --- errors are well behaved -------------------------------------------------------------------------

@pytest.mark.parametrize(
    "error",
    [
        PluginNotInstalledError("batch_system", "slurm", ["single_machine"]),
        PluginDisabledError("batch_system", "slurm", ["single_machine"], "slurm"),
        PluginImportError("job_store", "aws", "toil-aws", "1.0", ImportError("boto3")),
        PluginIncompatibleError("batch_system", "slurm", "toil-hpc", "1.1.0", "toil-core>=1.1,<2", "2.0.0"),
        PluginConflictError("url_access", "s3", ["toil-aws 1.0", "other 2.0"]),
        PluginMisconfiguredError("provisioner", "aws", "toil-aws", "1.0", "no spec"),
    ],
)
def test_errors_pickle_and_keep_message(error):
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)
    assert isinstance(copy, PluginError)
