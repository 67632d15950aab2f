"""A broken plugin is shown as broken and not offered; a plugin's option error is one readable line
(issue 22 part 3)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from toil_core.plugins import discovery, installed_names, list_plugins
from toil_core.testing import subprocess_env
from toil_core.testing.fake_dist import FakeDistributions

BS = "toil.batch_systems"


@pytest.fixture
def dists(tmp_path, monkeypatch):
    monkeypatch.delenv("TOIL_DISABLE_PLUGINS", raising=False)
    discovery.reset()
    with FakeDistributions(tmp_path / "site") as fake:
        yield fake
    discovery.reset()


def test_a_plugin_whose_module_is_gone_is_listed_as_broken_with_the_cure(dists):
    dists.add("toil-half-gone", "1.0", {BS: {"half_gone": "half_gone_plugin"}}, modules={})
    row = next(i for i in list_plugins("batch_system") if i.name == "half_gone")
    assert row.status == "broken"
    assert "'half_gone_plugin'" in row.error and "pip install --force-reinstall toil-half-gone" in row.error
    assert "half_gone" not in installed_names("batch_system")


def test_a_broken_plugin_is_not_offered_in_the_help(dists, tmp_path):
    dists.add("toil-half-gone", "1.0", {BS: {"half_gone": "half_gone_plugin"}}, modules={})
    code = "import sys; from toil_core.testing.tiny_workflow import main; sys.exit(main())"
    proc = subprocess.run([sys.executable, "-c", code, "--help"], cwd=str(tmp_path), env=subprocess_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "half_gone" not in proc.stdout


def test_an_option_error_from_a_plugin_constructor_is_one_readable_line(tmp_path):
    plugins = tmp_path / "plugins" / "toil_batch_system_opterr"
    plugins.mkdir(parents=True)
    (plugins / "__init__.py").write_text(
        "from toil.batchSystems.registry import add_batch_system_factory\n\n\n"
        "def factory():\n"
        "    from toil_core.batch.single_machine import SingleMachineBatchSystem\n"
        "    from toil_core.common.config import OptionError\n\n"
        "    class Refusing(SingleMachineBatchSystem):\n"
        "        def __init__(self, *args):\n"
        "            raise OptionError('--opterrValue must be positive; give e.g. --opterrValue 3')\n\n"
        "    return Refusing\n\n\n"
        "add_batch_system_factory('opterr', factory)\n")
    env = subprocess_env({"PYTHONPATH": f"{plugins.parent}:{subprocess_env()['PYTHONPATH']}"})
    code = "import sys; from toil_core.testing.tiny_workflow import main; sys.exit(main())"
    proc = subprocess.run([sys.executable, "-c", code, f"file:{tmp_path / 'js'}", "--batchSystem", "opterr"],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "--opterrValue must be positive; give e.g. --opterrValue 3" in proc.stderr
