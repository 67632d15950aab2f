"""The fault-injection and bad-input suite (issue 5): every test records the fault or input it
tried and what happened, and the session ends with one table of them all.

Use the ``fault_table`` fixture: ``fault_table.record("leader SIGKILL at 3.2 s", "resumed, no rerun")``.
The quick tier runs in the test command; ``python3 dev.py test -- -m soak tests/faults`` (``make soak``)
runs the longer soak tier.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, List, Tuple

import attrs
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "workflows"))


@attrs.define
class FaultTable:
    """Rows of (area, fault or input, outcome) collected over the session."""

    rows: List[Tuple[str, str, str]] = attrs.field(factory=list)

    def record(self, area: str, fault: str, outcome: str) -> None:
        self.rows.append((area, fault, outcome))


_TABLE = FaultTable()


@pytest.fixture
def fault_table() -> FaultTable:
    return _TABLE


def pytest_collection_modifyitems(config: Any, items: List[Any]) -> None:
    """Soak tests are deselected unless asked for with ``-m soak`` (``make soak``)."""
    if "soak" in (config.getoption("-m") or ""):
        return
    soak = [item for item in items if "soak" in item.keywords]
    if soak:
        config.hook.pytest_deselected(items=soak)
        items[:] = [item for item in items if "soak" not in item.keywords]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _TABLE.rows:
        return
    write = terminalreporter.write_line
    terminalreporter.section("faults and bad inputs tried")
    widths = [max(len(str(row[i])) for row in _TABLE.rows + [("area", "fault / input", "outcome")])
              for i in range(2)]
    write(f"{'area':<{widths[0]}}  {'fault / input':<{widths[1]}}  outcome")
    for area, fault, outcome in _TABLE.rows:
        write(f"{area:<{widths[0]}}  {fault:<{widths[1]}}  {outcome}")
