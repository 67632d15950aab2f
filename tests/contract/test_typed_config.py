"""Config is read through its typed fields: no source repeats a default with getattr.

Issue 12 asks that each option's default live in one place (the Config field). A
``getattr(config, "name", default)`` anywhere in the core or a backend would restate a default and hide
a misspelt name from mypy, so the sources are scanned for it (an attribute read of any object whose
name ends in ``config`` with a default argument).
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator, List, Tuple

REPO = Path(__file__).resolve().parents[2]


def _sources() -> Iterator[Path]:
    for pattern in ("toil_*/src/**/*.py", "plugins/*/src/**/*.py"):
        yield from sorted(REPO.glob(pattern))
    yield from sorted((REPO / "toil_core" / "src").glob("**/*.py"))


def _names_config(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id.lower().endswith("config") or node.id == "cfg"
    if isinstance(node, ast.Attribute):
        return node.attr.lower().lstrip("_").endswith("config")
    return False


def _defaulted_config_reads(path: Path) -> Iterator[Tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
                and len(node.args) == 3 and _names_config(node.args[0])
                and isinstance(node.args[1], ast.Constant)):
            yield node.lineno, str(node.args[1].value)


def test_no_getattr_with_default_on_config() -> None:
    found: List[str] = []
    for path in _sources():
        for line, name in _defaulted_config_reads(path):
            found.append(f"{path.relative_to(REPO)}:{line}: getattr(config, {name!r}, default)")
    assert not found, "read the typed Config field instead:\n" + "\n".join(found)


def test_the_scan_sees_such_a_read(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f(self):\n    return getattr(self.config, 'statusWait', 3600)\n")
    assert list(_defaulted_config_reads(sample)) == [(2, "statusWait")]
