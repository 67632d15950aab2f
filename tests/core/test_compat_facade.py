"""The ``toil`` facade package holds no logic: only a docstring, imports and ``__all__``."""
import ast
from pathlib import Path

import pytest

import toil

FACADE_ROOT = Path(toil.__file__).resolve().parent
FACADE_FILES = sorted(FACADE_ROOT.rglob("*.py"))


def test_facade_package_has_modules():
    assert len(FACADE_FILES) > 20


def _is_all_assignment(node: ast.stmt) -> bool:
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    else:
        return False
    return all(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and isinstance(
        node.value, (ast.List, ast.Tuple)) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.value.elts)


@pytest.mark.parametrize("path", FACADE_FILES, ids=lambda p: str(p.relative_to(FACADE_ROOT)))
def test_facade_module_is_pure_re_exports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for index, node in enumerate(tree.body):
        if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            continue  # docstring
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if _is_all_assignment(node):
            continue
        pytest.fail(f"{path}:{node.lineno}: {type(node).__name__} is logic, not a re-export")


@pytest.mark.parametrize("path", FACADE_FILES, ids=lambda p: str(p.relative_to(FACADE_ROOT)))
def test_facade_imports_come_from_toil_core(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module.split(".")[0] == "toil_core", (
                f"{path}:{node.lineno} imports from {node.module}")
        elif isinstance(node, ast.Import):
            assert all(alias.name.split(".")[0] == "toil_core" for alias in node.names)
