"""Repository infrastructure: dev.py, README commands, CI entry point, demo and benchmark scripts."""
import importlib.util
import os
import py_compile
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_dev():
    spec = importlib.util.spec_from_file_location("toil_repo_dev", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dev_discovers_toil_core():
    dev = load_dev()
    dists = dev.discover_distributions()
    names = [p.name for p in dists]
    assert "toil_core" in names
    assert names[0] == "toil_core"
    assert all((p / "pyproject.toml").is_file() for p in dists)
    args = dev.install_arguments()
    assert "-e" in args and any(a.startswith("./toil_core") for a in args)
    for req in ("pytest", "pytest-timeout", "psutil"):
        assert any(re.match(re.escape(req) + r"($|[<>=!~\[ ])", a) for a in args), req


def test_dev_discovery_ignores_root_and_hidden(tmp_path):
    dev = load_dev()
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    for name in ("toil_core", "toil_hpc", ".venv", "docs"):
        (tmp_path / name).mkdir()
    for name in ("toil_core", "toil_hpc", ".venv"):
        (tmp_path / name / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert [p.name for p in dev.discover_distributions(tmp_path)] == ["toil_core", "toil_hpc"]


def test_dev_stamp_changes_with_pyproject(tmp_path):
    dev = load_dev()
    (tmp_path / "toil_core").mkdir()
    pyproject = tmp_path / "toil_core" / "pyproject.toml"
    pyproject.write_text('[project]\nname = "toil-core"\n')
    before = dev.setup_fingerprint(tmp_path)
    assert before == dev.setup_fingerprint(tmp_path)
    pyproject.write_text('[project]\nname = "toil-core"\nversion = "2"\n')
    assert before != dev.setup_fingerprint(tmp_path)


def test_dev_fallback_toml_parser_reads_test_extra():
    dev = load_dev()
    text = (ROOT / "toil_core" / "pyproject.toml").read_text()
    parsed = dev._mini_toml(text)
    assert parsed["project"]["name"] == "toil-core"
    try:
        import tomllib
    except ImportError:
        return
    expected = tomllib.loads(text)["project"].get("optional-dependencies")
    assert parsed["project"].get("optional-dependencies") == expected


def test_readme_gives_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "python3 dev.py demo" in readme
    assert "python3 dev.py test" in readme
    # ... prominently: both before the first section heading
    head = readme.split("\n## ", 1)[0]
    assert "python3 dev.py demo" in head and "python3 dev.py test" in head


def test_ci_runs_the_readme_test_command():
    ci = ROOT / ".ci" / "run"
    text = ci.read_text()
    assert text.startswith("#!")
    assert "set -euo pipefail" in text
    lines = [line.strip() for line in text.splitlines()]
    commands = [line for line in lines if line and not line.startswith("#")]
    assert any(re.fullmatch(r"(exec\s+)?python3 dev\.py test", c) for c in commands), commands
    assert os.stat(ci).st_mode & stat.S_IXUSR


def test_makefile_targets_delegate_to_dev_py():
    text = (ROOT / "Makefile").read_text()
    for target in ("setup", "demo", "test", "bench", "lint"):
        match = re.search(rf"^{target}:.*\n\t(.+)$", text, re.MULTILINE)
        assert match, target
        assert f"dev.py {target}" in match.group(1)


@pytest.mark.parametrize("script", ["dev.py", "examples/helloWorld.py"]
                         + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "bench").glob("*.py")))
def test_scripts_compile(script, tmp_path):
    py_compile.compile(str(ROOT / script), cfile=str(tmp_path / "out.pyc"), doraise=True)


def test_bench_scripts_use_only_public_toil_api():
    scripts = sorted((ROOT / "bench").glob("wf_*.py"))
    assert {p.stem for p in scripts} >= {"wf_fanout", "wf_chain", "wf_tree", "wf_files"}
    for script in scripts:
        pattern = r"^\s*(?:from\s+(\S+)\s+import|import\s+(\S+))"
        imports = re.findall(pattern, script.read_text(), re.MULTILINE)
        modules = {a or b for a, b in imports}
        toil_modules = {m for m in modules if m.split(".")[0] in ("toil", "toil_core")}
        assert toil_modules <= {"toil.job", "toil.common"}, (script.name, toil_modules)


def test_bench_help_runs():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--help"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert "--scale" in out.stdout and "--upstream" in out.stdout


def test_dev_help_runs():
    out = subprocess.run([sys.executable, str(ROOT / "dev.py"), "--help"], capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    for command in ("setup", "demo", "test", "bench", "lint"):
        assert command in out.stdout


def test_demo_workflow_is_the_manuals_hello_world():
    text = (ROOT / "examples" / "helloWorld.py").read_text()
    assert "Job.wrapFn(helloWorld, \"You did it!\")" in text
    assert "options.clean = \"always\"" in text


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_ci_script_is_valid_bash():
    out = subprocess.run(["bash", "-n", str(ROOT / ".ci" / "run")], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
