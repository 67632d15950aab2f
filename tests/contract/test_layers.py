"""The core keeps its layers: no import inside a function without a stated reason, no import cycle.

The layer order itself is the import-linter ``layers`` contract in the root pyproject.toml (run by
test_import_contracts.py); these tests keep what that contract cannot see.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Tuple


REPO = Path(__file__).resolve().parents[2]
SOURCES = [REPO / "toil_core" / "src" / "toil_core", REPO / "toil_core" / "src" / "toil"]
LAZY = "# lazy:"


def _function_imports(path: Path) -> Iterator[Tuple[int, str]]:
    """(line, source line) of every import statement inside a function body of ``path``."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()

    def visit(node: ast.AST, in_function: bool) -> Iterator[Tuple[int, str]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)) and in_function:
                yield child.lineno, lines[child.lineno - 1]
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            yield from visit(child, nested)

    yield from visit(ast.parse(source, str(path)), False)


def _has_reason(path: Path, line_number: int, line: str) -> bool:
    """The import's line, or a line of the run of imports and comments right above it, says
    ``# lazy: <reason>`` (one reason may cover a few imports made together)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    number = line_number
    while number >= 1:
        text = lines[number - 1].strip()
        if number != line_number and not text.startswith(("import ", "from ", "#")):
            return False
        if LAZY in text:
            return text.split(LAZY, 1)[1].strip() != ""
        number -= 1
    return False


def test_every_import_inside_a_function_says_why() -> None:
    unexplained: List[str] = []
    for root in SOURCES:
        for path in sorted(root.rglob("*.py")):
            for number, line in _function_imports(path):
                if not _has_reason(path, number, line):
                    unexplained.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not unexplained, (
        "Imports inside functions need a one-line `# lazy: <reason>` comment (on the line or the one "
        "above), and only an import-time cost or an import cycle with a subclass is a reason; "
        "otherwise import at the top of the module:\n" + "\n".join(unexplained))


def test_reason_check_sees_a_missing_reason(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import json\n    # lazy: slow\n    import csv\n"
                      "    import gzip  # lazy: slow too\n    import zlib\n    x = 1\n    import re  # lazy:\n"
                      "    import bz2\n")
    found = {n: _has_reason(sample, n, line) for n, line in _function_imports(sample)}
    assert found == {2: False, 4: True, 5: True, 6: True, 8: False, 9: False}


def test_no_import_cycles_between_core_modules() -> None:
    """Apart from the lazy edges named here, the module graph of toil_core has no cycle."""
    code = r"""
import grimp, sys
graph = grimp.build_graph("toil_core", cache_dir=None, exclude_type_checking_imports=True)
allowed = {
    # lazy edges back to a base class: the subclass module imports the base at its top
    ("toil_core.job.job", "toil_core.job.wrapping"),
    ("toil_core.jobstores.url_access", "toil_core.jobstores.http_access"),
    # upstream's CheckpointJobDescription.restartCheckpoint writes through the commit protocol,
    # which imports the description module at its top
    ("toil_core.job.description", "toil_core.job.commit"),
    # still to untangle: the clash warnings of reserved.py and discovery.py use each other
    ("toil_core.plugins.discovery", "toil_core.plugins.reserved"),
}
edges = {m: {i for i in graph.find_modules_directly_imported_by(m)
             if i.startswith("toil_core") and (m, i) not in allowed}
         for m in graph.modules if m.startswith("toil_core")}
# the permitted upward edge (Job.Runner) is a dead end as long as the workflow layer never
# imports job.job at runtime; keep it in the graph so such a cycle would show
state, cycles = {}, []
def visit(node, path):
    state[node] = 1
    for nxt in sorted(edges.get(node, ())):
        if state.get(nxt) == 1:
            cycles.append(path[path.index(nxt):] + [nxt])
        elif nxt not in state:
            visit(nxt, path + [nxt])
    state[node] = 2
sys.setrecursionlimit(10000)
for module in sorted(edges):
    if module not in state:
        visit(module, [module])
print("\n".join(" -> ".join(c) for c in cycles))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", "import cycles:\n" + done.stdout


def test_batch_system_base_does_not_import_the_local_batch_system() -> None:
    """BatchSystemLocalSupport finds single_machine through the plugin registry when it needs it."""
    code = ("import sys, toil_core.batch.abstract; "
            "print(sorted(m for m in sys.modules if m in ('toil_core.batch.single_machine', "
            "'toil_core.batch.fork_server', 'toil_core.worker.worker')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
