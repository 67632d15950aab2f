"""Fan-out hooks reach cross-cutting plugins and loaded backends; a failing one is contained."""
from __future__ import annotations

import types

import pytest

from toil_core.plugins import (
    PluginMisconfiguredError,
    check_plugins,
    configure_plugins,
    error_hints,
    get_spec,
    leader_finished,
    leader_started,
    list_plugins,
)
from toil_core.plugins import discovery
from toil_core.testing.fake_dist import FakeDistributions

CROSS = "toil.plugins"


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


HINTS = """
from toil_core.plugins import hookimpl

CALLS = []

@hookimpl
def toil_error_hints(error):
    if isinstance(error, MemoryError):
        return ["Ask for more memory with --defaultMemory."]
    return []

def toil_configure(config):
    config.seen_by_hints = True

def toil_leader_started(config):
    CALLS.append("started")

def toil_leader_finished(config, success):
    CALLS.append(("finished", success))
"""


def test_cross_cutting_plugin_receives_fan_out_hooks(dists):
    dists.add("toil-hints", "1.0", {CROSS: {"hints": "hints_plugin"}}, modules={"hints_plugin.py": HINTS})
    config = types.SimpleNamespace()
    configure_plugins(config)
    assert config.seen_by_hints is True
    assert error_hints(MemoryError()) == ["Ask for more memory with --defaultMemory."]
    assert error_hints(ValueError()) == []
    leader_started(config)
    leader_finished(config, True)
    import hints_plugin

    assert hints_plugin.CALLS == ["started", ("finished", True)]


def test_broken_cross_cutting_plugin_is_skipped(dists, caplog, monkeypatch):
    # Only the fakes below: switch off cross-cutting plugins of installed distributions (toil-cwl).
    others = {r.distribution for r in discovery.entry_points("plugin")}
    monkeypatch.setenv("TOIL_DISABLE_PLUGINS", ",".join(sorted(others)) or "none")
    dists.add("toil-hints", "1.0", {CROSS: {"hints": "hints_plugin2"}}, modules={"hints_plugin2.py": HINTS})
    dists.add("toil-bad", "1.0", {CROSS: {"bad": "bad_cross"}},
              modules={"bad_cross.py": "raise ImportError('missing dependency')\n"})
    dists.add("toil-skewed", "1.0", {CROSS: {"skewed": "skewed_cross"}},
              modules={"skewed_cross.py": "def toil_not_a_hook():\n    pass\n"})
    assert error_hints(MemoryError()) == ["Ask for more memory with --defaultMemory."]
    assert "missing dependency" in caplog.text
    assert "toil_not_a_hook" in caplog.text
    statuses = {i.name: i.status for i in list_plugins("plugin") if i.status != "disabled"}
    assert statuses == {"hints": "loaded", "bad": "broken", "skewed": "misconfigured"}


def test_failing_hint_does_not_hide_the_error(dists):
    dists.add("toil-hints", "1.0", {CROSS: {"hints": "hints_plugin3"}}, modules={"hints_plugin3.py": HINTS})
    dists.add("toil-crash", "1.0", {CROSS: {"crash": "crash_cross"}},
              modules={"crash_cross.py": "def toil_error_hints(error):\n    raise ZeroDivisionError\n"})
    assert error_hints(MemoryError()) == ["Ask for more memory with --defaultMemory."]


def test_configure_may_refuse_with_plugin_error(dists):
    source = (
        "from toil_core.plugins import PluginMisconfiguredError\n"
        "def toil_configure(config):\n"
        "    raise PluginMisconfiguredError('plugin', 'strict', reason='needs --strictness')\n"
    )
    dists.add("toil-strict", "1.0", {CROSS: {"strict": "strict_cross"}}, modules={"strict_cross.py": source})
    with pytest.raises(PluginMisconfiguredError, match="needs --strictness"):
        configure_plugins(types.SimpleNamespace())


def test_loaded_backend_takes_part_in_fan_out(dists):
    source = (
        "from toil_core.plugins import BatchSystemSpec\n"
        "def toil_batch_systems():\n"
        "    return [BatchSystemSpec(name='hinting_bs', load='collections:OrderedDict')]\n"
        "def toil_error_hints(error):\n"
        "    return ['hinting_bs says: check the queue']\n"
    )
    dists.add("toil-hinting", "1.0", {"toil.batch_systems": {"hinting_bs": "hinting_bs_plugin"}},
              modules={"hinting_bs_plugin.py": source})
    assert error_hints(RuntimeError()) == []  # not loaded yet: not consulted
    get_spec("batch_system", "hinting_bs")
    assert error_hints(RuntimeError()) == ["hinting_bs says: check the queue"]


def test_plugin_module_serving_several_kinds_registers_once():
    get_spec("job_store", "file")
    get_spec("url_access", "file")
    get_spec("url_access", "http")
    pm = discovery.plugin_manager()
    import toil_core.jobstores.builtin_plugin as module

    assert pm.is_registered(module)
    impls = [i for i in pm.hook.toil_url_access.get_hookimpls() if i.plugin is module]
    assert len(impls) == 1


def test_check_plugins_reports_ok_and_failures(dists):
    dists.add("toil-good", "1.0", {"toil.batch_systems": {"check_good": "check_good_plugin"}},
              modules={"check_good_plugin.py": (
                  "from toil_core.plugins import BatchSystemSpec\n"
                  "def toil_batch_systems():\n"
                  "    return [BatchSystemSpec(name='check_good', load='collections:OrderedDict')]\n")})
    dists.add("toil-bad", "1.0", {"toil.batch_systems": {"check_bad": "check_bad_plugin"}},
              modules={"check_bad_plugin.py": "import no_such_module_for_check\n"})
    rows = {i.name: i for i in check_plugins(kind="batch_system")}
    assert rows["check_good"].status == "ok"
    assert rows["check_bad"].status == "broken"
    assert "no_such_module_for_check" in rows["check_bad"].error
    only = check_plugins("check_good")
    assert [(i.name, i.status) for i in only] == [("check_good", "ok")]
