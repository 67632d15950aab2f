"""The ``toil`` dispatcher and ``toil plugins``: help, version, unknown commands, plugin commands."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from toil_core.testing.fake_dist import make_fake_distribution

BUILTINS = ("clean", "debug-file", "debug-job", "kill", "plugins", "stats", "status")


def toil(*args: str, cwd: Path, env: dict = None, timeout: float = 120) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.pop("TOIL_DISABLE_PLUGINS", None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "toil_core.cli.main", *args], cwd=str(cwd), env=full_env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_help_lists_every_builtin_command_with_its_summary(tmp_path):
    proc = toil("--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in BUILTINS:
        assert any(line.startswith(f"{name} - ") and len(line) > len(name) + 4
                   for line in proc.stdout.splitlines()), (name, proc.stdout)


def test_no_arguments_prints_help(tmp_path):
    proc = toil(cwd=tmp_path)
    assert proc.returncode == 0
    assert "status - " in proc.stdout


def test_version(tmp_path):
    from toil_core import __version__

    proc = toil("--version", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.strip() == __version__


@pytest.mark.parametrize("word", ["frobnicate", "--frobnicate"])
def test_unknown_command(tmp_path, word):
    proc = toil(word, "x", cwd=tmp_path)
    assert proc.returncode == 1
    expected = f'Unknown option "{word}".  Pass --help to display usage information.'
    assert proc.stderr.splitlines()[0] == expected
    assert proc.stdout == ""


def test_unknown_command_suggests_a_close_name(tmp_path):
    proc = toil("stat", cwd=tmp_path)
    assert proc.returncode == 1
    assert 'Did you mean "stats"?' in proc.stderr


def test_cluster_command_without_provisioner_plugin_says_so(tmp_path):
    proc = toil("launch-cluster", "-p", "nosuchcloud", "mycluster", cwd=tmp_path)
    assert proc.returncode == 1
    assert "provisioner plugin" in proc.stderr


@pytest.mark.parametrize("name", BUILTINS)
def test_subcommand_help(tmp_path, name):
    proc = toil(name, "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"usage: toil {name}" in proc.stdout


def test_common_options_on_job_store_commands(tmp_path):
    proc = toil("status", "--help", cwd=tmp_path)
    for flag in ("jobStore", "--logLevel", "--logDebug", "--logFile", "--version", "--tempDirRoot"):
        assert flag in proc.stdout, flag


def test_in_process_main_exits_with_the_command_status(tmp_path, capsys):
    from toil_core.cli.main import main

    with pytest.raises(SystemExit) as info:
        main(["status", str(tmp_path / "missing"), "--failIfNotComplete"])
    assert info.value.code == 1
    assert "No job store found." in capsys.readouterr().out


# --------------------------------------------------------------------------------- toil plugins
def test_plugins_list_shows_the_builtins_and_the_environment(tmp_path):
    proc = toil("plugins", "list", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()]
    assert ["single_machine", "batch_system", "toil-core"] in [r[:3] for r in rows]
    assert ["file", "job_store", "toil-core"] in [r[:3] for r in rows]
    assert rows[0][:5] == ["NAME", "KIND", "DISTRIBUTION", "VERSION", "STATUS"]
    assert f"Python: {sys.executable}" in proc.stdout
    assert "Plugins found in:" in proc.stdout


def test_plugins_list_json(tmp_path):
    proc = toil("plugins", "list", "--json", cwd=tmp_path)
    data = json.loads(proc.stdout)
    names = {(p["kind"], p["name"]) for p in data["plugins"]}
    assert {("batch_system", "single_machine"), ("job_store", "file")} <= names
    assert data["python"] == sys.executable
    assert all(p["status"] in ("installed", "loaded") for p in data["plugins"])


def test_plugins_show_by_alias(tmp_path):
    proc = toil("plugins", "show", "singleMachine", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Batch system 'single_machine'" in proc.stdout
    assert "load: toil_core.batch.single_machine:SingleMachineBatchSystem" in proc.stdout
    assert "capabilities:" in proc.stdout


def test_plugins_show_unknown(tmp_path):
    proc = toil("plugins", "show", "nonesuch", cwd=tmp_path)
    assert proc.returncode == 1
    assert "No plugin named 'nonesuch'" in proc.stderr


def test_plugins_check_builtins_ok(tmp_path):
    proc = toil("plugins", "check", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()[1:] if line.strip()]
    statuses = {tuple(row[:2]): row[4] for row in rows}
    assert statuses[("single_machine", "batch_system")] == "ok"
    assert statuses[("file", "job_store")] == "ok"


def test_plugins_disabled_by_environment(tmp_path):
    proc = toil("plugins", "list", cwd=tmp_path, env={"TOIL_DISABLE_PLUGINS": "url_access:http"})
    assert any(line.split()[:2] == ["http", "url_access"] and "disabled" in line
               for line in proc.stdout.splitlines()), proc.stdout


# --------------------------------------------------------------------------------- plugin commands
HELLO_PLUGIN = """
from toil_core.plugins.specs import SubcommandSpec

def toil_subcommands():
    return [SubcommandSpec(name="hello-world", load="hello_plugin:main", summary="Say hello to the world.")]

def main(argv):
    print("hello from the plugin", argv)
    return 3
"""

BROKEN_PLUGIN = """
raise ImportError("this plugin is broken on purpose")
"""


@pytest.fixture
def plugin_env(tmp_path):
    site = make_fake_distribution(tmp_path, "toil-hello", "1.0",
                                  {"toil.commands": {"hello-world": "hello_plugin"}},
                                  requires=["toil-core>=1.0,<2"], modules={"hello_plugin.py": HELLO_PLUGIN})
    make_fake_distribution(tmp_path, "toil-broken", "0.1", {"toil.commands": {"broken": "broken_plugin"}},
                           modules={"broken_plugin.py": BROKEN_PLUGIN}, site_dir=site)
    path = os.pathsep.join([str(site)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    return {"PYTHONPATH": path}


def test_plugin_command_is_listed_and_runs(tmp_path, plugin_env):
    proc = toil("--help", cwd=tmp_path, env=plugin_env)
    assert proc.returncode == 0, proc.stderr
    assert "hello-world - Say hello to the world." in proc.stdout
    # A broken plugin does not break the help; it is flagged instead.
    broken = [line for line in proc.stdout.splitlines() if line.startswith("broken - ")]
    assert broken and "toil plugins check broken" in broken[0]

    run = toil("hello-world", "a", "--b", cwd=tmp_path, env=plugin_env)
    assert run.returncode == 3, run.stderr
    assert "hello from the plugin ['a', '--b']" in run.stdout


def test_broken_plugin_command_reports_error(tmp_path, plugin_env):
    proc = toil("broken", cwd=tmp_path, env=plugin_env)
    assert proc.returncode == 1
    assert "broken" in proc.stderr and "Traceback" not in proc.stderr

    check = toil("plugins", "check", cwd=tmp_path, env=plugin_env)
    assert check.returncode == 1
    assert any(line.split()[:2] == ["broken", "subcommand"] for line in check.stdout.splitlines())
    listing = toil("plugins", "list", cwd=tmp_path, env=plugin_env)
    assert listing.returncode == 0
    assert "hello_world" in listing.stdout or "hello-world" in listing.stdout
