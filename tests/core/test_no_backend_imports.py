"""The core imports no backend and no cloud SDK: statically (every module under toil_core/src)
and at run time (importing the core and resolving its built-ins in a fresh interpreter)."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "toil_core" / "src"

FORBIDDEN = {
    "boto3", "botocore", "google", "kubernetes", "pymesos", "htcondor", "cwltool",
    "toil_aws", "toil_google", "toil_k8s", "toil_mesos", "toil_hpc", "toil_cwl",
}


def _top(name: str) -> str:
    return name.split(".", 1)[0]


def _imported_names(tree: ast.AST):
    """Yield (line, top-level module) for every import, including import_module("x")/__import__("x")
    calls with a literal argument."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, _top(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                yield node.lineno, _top(node.module)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, _top(node.args[0].value)


def _core_modules():
    return sorted(p for p in SRC.rglob("*.py") if ".egg-info" not in str(p))


def test_source_tree_is_found():
    modules = _core_modules()
    assert any(p.name == "discovery.py" for p in modules)


def test_no_core_module_imports_a_backend_or_cloud_sdk():
    offenders = []
    for path in _core_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, top in _imported_names(tree):
            if top in FORBIDDEN:
                offenders.append(f"{path.relative_to(SRC)}:{line} imports {top}")
    assert offenders == [], "the core must not import backends:\n" + "\n".join(offenders)


def test_only_discovery_imports_stevedore():
    users = []
    for path in _core_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        if any(top == "stevedore" for _, top in _imported_names(tree)):
            users.append(str(path.relative_to(SRC)))
    assert users == [str(Path("toil_core/plugins/discovery.py"))]


def test_checker_catches_forbidden_imports():
    source = textwrap.dedent(
        """
        import os
        import boto3.session
        from google.cloud import storage
        from . import sibling
        import importlib
        importlib.import_module("kubernetes.client")
        """
    )
    found = {top for _, top in _imported_names(ast.parse(source))} & FORBIDDEN
    assert found == {"boto3", "google", "kubernetes"}


@pytest.mark.parametrize(
    "statements",
    [
        "import toil_core",
        "import toil_core.plugins",
        "from toil_core.plugins import get_spec, list_plugins\n"
        "list_plugins()\n"
        "get_spec('batch_system', 'single_machine')\n"
        "get_spec('job_store', 'file')\n"
        "get_spec('url_access', 'https')",
        "import toil_core.testing, toil_core.provisioners, toil_core.provisioners.abstract\n"
        "from toil_core.plugins.settings import describe_settings\n"
        "from toil_core.workflow.options import get_default_argument_parser\n"
        "get_default_argument_parser().parse_args(['file:js', '--batchSystem', 'single_machine'])",
    ],
)
def test_importing_the_core_pulls_in_no_backend(statements):
    code = statements + textwrap.dedent(
        f"""
        import json, sys
        forbidden = {sorted(FORBIDDEN)!r}
        print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in forbidden)))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
