"""toil-cwl shows up as a plugin of the core and as the ``toil cwl-runner`` subcommand."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from toil_core.plugins import registry
from toil_cwl_test_helpers import DATA, cwl_env


def test_plugins_list_shows_cwl():
    infos = registry.list_plugins()
    mine = [i for i in infos if i.distribution == "toil-cwl"]
    kinds = {(i.kind, i.name) for i in mine}
    assert ("subcommand", "cwl_runner") in kinds
    assert ("plugin", "cwl") in kinds
    for info in mine:
        assert info.status in ("installed", "loaded", "ok"), info
        assert info.version


def test_plugins_check_loads_cleanly():
    checked = registry.check_plugins(name="cwl_runner")
    assert checked and all(i.status == "ok" for i in checked), checked
    assert registry.get_spec("subcommand", "cwl-runner").load == "toil_cwl.main:main"


def test_cross_cutting_module_is_light():
    """The toil.plugins entry point is imported by every Toil run: it must not pull in cwltool."""
    code = ("import sys, toil_cwl.plugin; "
            "print(any(m == 'cwltool' or m.startswith('cwltool.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_error_hint():
    from cwltool.errors import WorkflowException

    from toil_cwl.plugin import toil_error_hints

    assert toil_error_hints(WorkflowException("boom"))
    assert toil_error_hints(ValueError("unrelated")) == []


def test_toil_cwl_runner_subcommand(tmp_path: Path):
    toil = Path(sys.executable).parent / "toil"
    if not toil.exists():
        pytest.skip("the toil command is not installed next to this interpreter")
    proc = subprocess.run([str(toil), "cwl-runner", "--outdir", str(tmp_path / "out"), "--quiet",
                           str(DATA / "example.cwl"), str(DATA / "example-job.yaml")],
                          cwd=tmp_path, env=cwl_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert (tmp_path / "out" / "output.txt").read_text() == "Hello world!\n"


def test_version_and_help():
    from toil_cwl_test_helpers import runner_command

    proc = subprocess.run(runner_command() + ["--version"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert "toil-cwl" in proc.stdout and "cwltool" in proc.stdout
    helptext = subprocess.run(runner_command() + ["--help"], capture_output=True, text=True,
                              timeout=120).stdout
    for flag in ("--outdir", "--jobStore", "--singularity", "--podman", "--no-container",
                 "--disable-streaming",
                 "--log-dir", "--runCwlInternalJobsOnWorkers", "--linkImports", "--moveExports",
                 "--preserve-environment", "--preserve-entire-environment",
                 "--beta-dependency-resolvers-configuration", "--enable-dev", "--default-container",
                 "--tmpdir-prefix", "--tmp-outdir-prefix", "--batchSystem", "--restart"):
        assert flag in helptext, flag
