"""Plugins written for upstream Toil (6+) load unchanged: top-level ``toil_batch_system_*`` /
``toil_url_access_*`` modules that register themselves through ``add_batch_system_factory`` and
``toil.lib.plugins.register_plugin`` (FEATURES: plugins; issue 22 part 1).

The plugin modules live in ``upstream_plugins/`` and are only put on ``PYTHONPATH``: no distribution,
no entry point, exactly how upstream finds them."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from toil_core.plugins import discovery, module_scan
from workflows.harness import cli_env, describe

UPSTREAM_PLUGINS = Path(__file__).resolve().parent / "upstream_plugins"

WORKFLOW = '''
import os
import sys

from toil.common import Toil
from toil.job import Job


def shout(job, file_id):
    path = job.fileStore.readGlobalFile(file_id)
    with open(path) as handle:
        text = handle.read().upper()
    out = os.path.join(job.tempDir, "out.txt")
    with open(out, "w") as handle:
        handle.write(text)
    return job.fileStore.writeGlobalFile(out)


if __name__ == "__main__":
    options = Job.Runner.getDefaultArgumentParser().parse_args()
    with Toil(options) as toil:
        file_id = toil.importFile("demo://in.txt")
        result = toil.start(Job.wrapJobFn(shout, file_id))
        toil.exportFile(result, "demo://out.txt")
'''


def _env(base: Path, plugins: Path = UPSTREAM_PLUGINS) -> dict:
    env = cli_env(base)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(plugins), env.get("PYTHONPATH")]))
    env["DEMO_URL_ROOT"] = str(base / "demo")
    (base / "demo").mkdir(exist_ok=True)
    return env


def _toil(base: Path, *args: str, plugins: Path = UPSTREAM_PLUGINS) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "toil_core.cli.main", *args], cwd=str(base),
                          env=_env(base, plugins), capture_output=True, text=True, timeout=120)


@pytest.fixture
def scanned(monkeypatch):
    """The upstream plugin folder on this process's module path, with fresh discovery."""
    monkeypatch.syspath_prepend(str(UPSTREAM_PLUGINS))
    discovery.reset()
    yield
    for name in [m for m in sys.modules if m.startswith(("toil_batch_system_upstreamdemo",
                                                          "toil_url_access_upstreamdemo", "toil_batch_system_broken"))]:
        del sys.modules[name]
    discovery.reset()


@pytest.fixture(scope="module")
def workflow_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("upstream_run")
    env = _env(base)
    (base / "demo" / "in.txt").write_text("hello from an upstream plugin\n")
    (base / "markers").mkdir()
    script = base / "workflow.py"
    script.write_text(textwrap.dedent(WORKFLOW))
    proc = subprocess.run([sys.executable, str(script), "js", "--batchSystem", "upstreamdemo",
                           "--demoMarkerDir", str(base / "markers")],
                          cwd=str(base), env=env, capture_output=True, text=True, timeout=240)
    return base, proc


def test_scan_finds_the_modules_without_importing_them(scanned):
    found = {(m.kind, m.module) for m in module_scan.scanned_modules()}
    assert ("batch_system", "toil_batch_system_upstreamdemo") in found
    assert ("url_access", "toil_url_access_upstreamdemo") in found
    assert "toil_batch_system_upstreamdemo" not in sys.modules


def test_listing_shows_them_with_their_origin(tmp_path):
    proc = _toil(tmp_path, "plugins", "list")
    assert proc.returncode == 0, describe(proc)
    rows = {tuple(line.split()[:2]): line for line in proc.stdout.splitlines()[1:] if line.strip()}
    assert rows[("upstreamdemo", "batch_system")].endswith("module scan"), proc.stdout
    assert ("demo", "url_access") not in rows  # listed by module name until imported
    assert rows[("upstreamdemo", "url_access")].endswith("module scan"), proc.stdout
    assert rows[("single_machine", "batch_system")].endswith("entry point"), proc.stdout


def test_batch_system_class_comes_from_the_factory(scanned):
    from toil_core.plugins import get_batch_system_class

    cls = get_batch_system_class("upstreamdemo")
    assert cls.__name__ == "UpstreamDemoBatchSystem"
    assert cls.__module__ == "toil_batch_system_upstreamdemo.batch_system"


def test_url_scheme_registered_under_another_name_is_found_when_asked_for(scanned):
    from toil_core.plugins import get_url_access

    assert get_url_access("demo").__name__ == "DemoURLAccess"


def test_upstream_registry_api(scanned):
    from toil.batchSystems.registry import get_batch_system, get_batch_systems
    from toil.lib import plugins

    assert {"upstreamdemo", "single_machine"} <= set(get_batch_systems())
    assert "demo" in plugins.get_plugin_names("url_access")
    assert plugins.get_plugin("batch_system", "upstreamdemo")().__name__ == "UpstreamDemoBatchSystem"
    assert plugins.get_plugin("batch_system", "single_machine")().__name__ == "SingleMachineBatchSystem"
    assert get_batch_system("upstreamdemo").__name__ == "UpstreamDemoBatchSystem"
    with pytest.raises(KeyError):
        plugins.get_plugin("batch_system", "no_such_thing")
    assert plugins.plugin_types == ["batch_system", "url_access"]


def test_run_time_registration_and_removal(scanned):
    from toil.batchSystems.registry import get_batch_system
    from toil.lib import plugins

    def factory():
        from toil_core.batch.single_machine import SingleMachineBatchSystem

        return SingleMachineBatchSystem

    plugins.register_plugin("batch_system", "registered_now", factory)
    try:
        assert get_batch_system("registered_now").__name__ == "SingleMachineBatchSystem"
        assert "registered_now" in plugins.get_plugin_names("batch_system")
    finally:
        plugins.remove_plugin("batch_system", "registered_now")
    assert "registered_now" not in plugins.get_plugin_names("batch_system")
    plugins.remove_plugin("batch_system", "registered_now")  # unknown names are ignored


def test_workflow_runs_with_the_upstream_batch_system_and_url_scheme(workflow_run):
    base, proc = workflow_run
    assert proc.returncode == 0, describe(proc)
    assert (base / "demo" / "out.txt").read_text() == "HELLO FROM AN UPSTREAM PLUGIN\n"


def test_upstream_options_reach_the_batch_system(workflow_run):
    base, proc = workflow_run
    assert proc.returncode == 0, describe(proc)
    assert len(list((base / "markers").iterdir())) >= 1, "no job was issued through the plugin"


def test_upstream_options_appear_in_help(tmp_path):
    script = tmp_path / "workflow.py"
    script.write_text(textwrap.dedent(WORKFLOW))
    proc = subprocess.run([sys.executable, str(script), "js", "--batchSystem", "upstreamdemo", "--help"],
                          cwd=str(tmp_path), env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, describe(proc)
    assert "--demoMarkerDir" in proc.stdout


def test_broken_upstream_module_is_reported_with_its_traceback(tmp_path):
    plugins = tmp_path / "plugins"
    (plugins / "toil_batch_system_broken").mkdir(parents=True)
    (plugins / "toil_batch_system_broken" / "__init__.py").write_text(
        "import os\n\nraise RuntimeError('the broken plugin module refuses to load')\n")
    proc = _toil(tmp_path, "plugins", "check", "broken", plugins=plugins)
    assert proc.returncode == 1, describe(proc)
    assert "broken" in proc.stdout
    assert "Traceback" in proc.stdout, describe(proc)
    assert "refuses to load" in proc.stdout
    assert 'toil_batch_system_broken/__init__.py", line 3' in proc.stdout, describe(proc)


def test_an_entry_point_wins_over_a_module_of_the_same_name(tmp_path, monkeypatch):
    plugins = tmp_path / "plugins"
    (plugins / "toil_batch_system_single_machine").mkdir(parents=True)
    (plugins / "toil_batch_system_single_machine" / "__init__.py").write_text(
        "raise RuntimeError('must not be imported: the entry point single_machine wins')\n")
    monkeypatch.syspath_prepend(str(plugins))
    discovery.reset()
    try:
        from toil_core.plugins import get_batch_system_class

        assert get_batch_system_class("single_machine").__name__ == "SingleMachineBatchSystem"
        assert "toil_batch_system_single_machine" not in sys.modules
    finally:
        discovery.reset()
