"""Resumable conformance runs: every test's outcome is appended to a results file as it finishes.

A full run of the three official suites, two container modes and two runners is a few thousand
runner invocations; on a loaded machine that takes hours. :func:`run_tests` therefore runs the tests
one by one with cwltest's own per-test runner (``cwltest.utils.run_test_plain``: the same command
line, output comparison, ``should_fail`` and unsupported-feature rules as ``cwltest`` itself) and
appends one JSON line per finished test to a :class:`Ledger` file. An interrupted run keeps
everything it measured; the next invocation with the same file skips what is recorded and carries
on (``--rerun-failed`` runs the recorded failures again; the last line of a test wins).

The table (:func:`summarize`) counts the recorded outcomes per version, mode and runner, and its
wall time is the time during which at least one test of that runner was running (the union of the
tests' start-to-end intervals), so a run split over several invocations still gives comparable
times as long as the runners took turns on the same chunks (:func:`chunked`).
"""
from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import attrs

__all__ = ["Ledger", "Record", "Row", "chunked", "run_tests", "summarize", "union_seconds"]

PASSED, FAILED, UNSUPPORTED = "passed", "failed", "unsupported"
#: how much of a failing runner's stderr a record keeps (the end, where the error is)
_STDERR_TAIL = 3000


@attrs.frozen
class Record:
    """The outcome of one conformance test with one runner in one container mode."""

    version: str
    mode: str
    runner: str
    test: str
    status: str                #: "passed", "failed" or "unsupported"
    start: float               #: epoch seconds
    end: float
    reason: str = ""           #: for a failure: cwltest's message and the end of the runner's stderr

    @property
    def key(self) -> Tuple[str, str, str, str]:
        return (self.version, self.mode, self.runner, self.test)


class Ledger:
    """An append-only JSON-lines file of :class:`Record`; the last record of a test wins."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.records: Dict[Tuple[str, str, str, str], Record] = {}
        if path.exists():
            text = path.read_text(encoding="utf-8")
            if text and not text.endswith("\n"):  # end a line cut short, so the next record starts afresh
                with open(path, "a", encoding="utf-8") as handle:
                    handle.write("\n")
            for line in text.splitlines():
                try:
                    record = Record(**json.loads(line))
                except (ValueError, TypeError):  # a line cut short by a killed run
                    continue
                self.records[record.key] = record

    def get(self, version: str, mode: str, runner: str, test: str) -> Optional[Record]:
        return self.records.get((version, mode, runner, test))

    def add(self, record: Record) -> None:
        """Record ``record`` durably (flushed and synced before returning)."""
        line = json.dumps(attrs.asdict(record), sort_keys=True) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
            self.records[record.key] = record


def chunked(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """``items`` in consecutive slices of ``size`` (at least one item each)."""
    size = max(1, size)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _classify(return_code: int) -> str:
    from cwltest import UNSUPPORTED_FEATURE

    if return_code == 0:
        return PASSED
    if return_code == UNSUPPORTED_FEATURE:
        return UNSUPPORTED
    return FAILED


def _reason(result: Any) -> str:
    """Why a test failed, in a few lines: cwltest's message and the end of the runner's stderr."""
    parts = []
    if result.return_code == 2:
        parts.append("timed out")
    message = (result.message or "").strip()
    if message and not message.startswith("Command '"):  # CalledProcessError text only repeats the command
        parts.append(message[:1500])
    elif message:
        parts.append("the runner exited non-zero")
    stderr = (result.error_output or "").strip()
    if stderr:
        parts.append(stderr[-_STDERR_TAIL:])
    return "\n".join(parts)


def cwltest_tests(yaml: Path) -> List[Dict[str, Any]]:
    """The tests of ``yaml`` as cwltest loads them (validated, ``short_name`` set)."""
    from cwltest import utils

    tests, _ = utils.load_and_validate_tests(str(yaml))
    for test in tests:
        if not test.get("short_name"):
            test["short_name"] = test.get("label") or utils.shortname(str(test.get("id", "")))
    return tests


def run_tests(yaml: Path, tests: Sequence[Dict[str, Any]], version: str, mode: str, runner: str,
              runner_args: List[str], jobs: int, timeout: int, ledger: Ledger,
              log_dir: Optional[Path] = None,
              progress: Optional[Callable[[Record], None]] = None) -> List[Record]:
    """Run ``tests`` (as from :func:`cwltest_tests` of ``yaml``) with ``runner``, ``jobs`` at a time.

    Each outcome goes to ``ledger`` the moment its test ends; the full output of a failed test goes
    to ``log_dir`` when given. The caller sets the environment (PATH of a docker shim) beforehand."""
    from cwltest import utils

    basedir = os.path.dirname(utils.absuri(str(yaml))) + "/"

    def one(test: Dict[str, Any]) -> Record:
        config = utils.CWLTestConfig(entry=str(yaml), entry_line=str(test.get("line", "0")),
                                     basedir=str(yaml.parent), test_baseuri="file://" + basedir,
                                     test_basedir=basedir, tool=runner, args=list(runner_args),
                                     timeout=timeout)
        start = time.time()
        try:
            result = utils.run_test_plain(config, test)
            status, reason = _classify(result.return_code), ""
            if status == FAILED:
                reason = _reason(result)
        except Exception as err:  # noqa: BLE001 - cwltest's own errors count as this test's failure
            result, status, reason = None, FAILED, f"cwltest could not run the test: {err!r}"
        record = Record(version, mode, runner, str(test["short_name"]), status, start, time.time(), reason)
        ledger.add(record)
        if log_dir is not None and status == FAILED and result is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
            name = f"{version}-{mode}-{runner}-{record.test}.log".replace("/", "_")
            (log_dir / name).write_text(f"{reason}\n\n--- stdout ---\n{result.standard_output}\n"
                                        f"--- stderr ---\n{result.error_output}\n", encoding="utf-8")
        if progress is not None:
            progress(record)
        return record

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, tests))


def union_seconds(intervals: Iterable[Tuple[float, float]]) -> float:
    """Length of the union of ``(start, end)`` intervals: the time at least one of them was running."""
    total = 0.0
    merged: List[List[float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in merged:
        total += end - start
    return total


@attrs.define
class Row:
    """One line of the table: a version, mode and runner."""

    version: str
    mode: str
    runner: str
    planned: int                 #: tests in the suite (after any selection)
    passed: int = 0
    failed: int = 0
    unsupported: int = 0
    seconds: float = 0.0         #: wall time (see :func:`union_seconds`)
    failed_ids: List[str] = attrs.Factory(list)
    unsupported_ids: List[str] = attrs.Factory(list)

    @property
    def ran(self) -> int:
        return self.passed + self.failed + self.unsupported


def summarize(ledger: Ledger, plan: Iterable[Tuple[str, str, str, Sequence[str]]]) -> List[Row]:
    """A :class:`Row` per ``(version, mode, runner, test ids)`` of ``plan``, from what ``ledger`` holds."""
    rows = []
    for version, mode, runner, ids in plan:
        row = Row(version, mode, runner, len(ids))
        intervals = []
        for test in ids:
            record = ledger.get(version, mode, runner, test)
            if record is None:
                continue
            intervals.append((record.start, record.end))
            if record.status == PASSED:
                row.passed += 1
            elif record.status == UNSUPPORTED:
                row.unsupported += 1
                row.unsupported_ids.append(test)
            else:
                row.failed += 1
                row.failed_ids.append(test)
        row.seconds = union_seconds(intervals)
        rows.append(row)
    return rows
