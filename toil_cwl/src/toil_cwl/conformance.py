"""Run the CWL conformance tests with cwltest against toil-cwl-runner (and cwltool, to compare).

    python -m toil_cwl.conformance [--versions v1.0,v1.1,v1.2] [--runners toil-cwl-runner,cwltool]
                                   [--containers no|yes|both] [--select ID,ID...] [-j N]
                                   [--spec v1.2=PATH] [--json FILE] [-- CWLTEST ARGS]

Where the suites come from is :mod:`toil_cwl.conformance_suites`. Containers:

* ``no`` (default): every runner gets ``--no-container``; tools that require Docker count as
  unsupported (exit 33), tools that only hint at it run on the host;
* ``yes``: tools run in containers: with a docker daemon as they are; otherwise with podman, whose
  images are built locally (:mod:`toil_cwl.conformance_images`, podman cannot pull here) and which
  runs through a ``docker`` shim when root (cwltool's ``--podman`` mode cannot run as root);
* ``both``: one run of each.

Prints passed/failed/unsupported per version, runner and mode, with the ids of the tests that did not
pass; exits 1 if toil-cwl-runner passed fewer tests than another runner on the same suite and mode.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import attrs

from toil_cwl.conformance_ledger import Ledger, Record, Row, chunked, cwltest_tests, run_tests, summarize
from toil_cwl.conformance_suites import VERSIONS, Suite, find_suite, load_tests, write_suite

__all__ = ["Result", "RunSetup", "container_setup", "main", "parse_summary", "run_suite"]


@attrs.define
class RunSetup:
    """How the runners are started for one container mode."""

    mode: str                                       #: "no-container", "docker" or "podman"
    runner_args: List[str]                          #: given to every runner
    env: Dict[str, str] = attrs.Factory(dict)       #: added to the environment (PATH of a shim)


@attrs.define
class Result:
    """One cwltest run of one suite with one runner."""

    version: str
    runner: str
    mode: str
    source: str
    passed: int
    failed: int
    unsupported: int
    seconds: float
    failed_ids: List[str] = attrs.Factory(list)
    unsupported_ids: List[str] = attrs.Factory(list)

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.unsupported


_SUMMARY = re.compile(r"(\d+) tests passed(?:, (\d+) failures?)?(?:, (\d+) unsupported features?)?")
_ALL = re.compile(r"All tests passed")


def parse_summary(text: str, selected: int) -> Tuple[int, int, int]:
    """``(passed, failed, unsupported)`` from cwltest's last lines."""
    match = None
    for match in _SUMMARY.finditer(text):
        pass
    if match:
        return int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)
    if _ALL.search(text):
        return selected, 0, 0
    raise ValueError("cwltest printed no summary:\n" + text[-3000:])


def _junit(path: Path) -> Optional[Tuple[List[str], List[str], List[str]]]:
    """Test ids that passed, failed and were unsupported, from cwltest's JUnit report."""
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError):
        return None
    passed, failed, unsupported = [], [], []
    for case in root.iter("testcase"):
        name = case.get("file") or case.get("name") or "?"
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(name)
        elif case.find("skipped") is not None:
            unsupported.append(name)
        else:
            passed.append(name)
    return passed, failed, unsupported


#: Given to both runners in every mode: the suite's file names include '#' and spaces
#: (``url_encoded_filename``), which cwltool's default path check refuses.
COMMON_RUNNER_ARGS = ["--relax-path-checks"]


def container_setup(mode: str, work: Path) -> RunSetup:
    """The :class:`RunSetup` of ``mode`` ("no" or "yes"); RuntimeError if containers cannot run here."""
    setup = _container_setup(mode, work)
    setup.runner_args = COMMON_RUNNER_ARGS + setup.runner_args
    return setup


def _container_setup(mode: str, work: Path) -> RunSetup:
    if mode == "no":
        return RunSetup("no-container", ["--no-container"])
    from toil_cwl.conformance_images import container_engine, docker_shim, ensure_images

    engine = container_engine()
    if engine == "docker":
        return RunSetup("docker", [])
    if engine != "podman":
        raise RuntimeError("no container runtime works here (no docker daemon, no usable podman)")
    ensure_images("podman")
    if os.geteuid() != 0:
        return RunSetup("podman", ["--podman"])
    shim = docker_shim(work / "docker-shim")
    return RunSetup("podman", [], {"PATH": str(shim)})


def run_suite(yaml: Path, runner: str, jobs: int, setup: RunSetup, cwltest_args: Optional[List[str]] = None,
              runner_args: Optional[List[str]] = None, timeout: int = 900, log: Optional[Path] = None
              ) -> Tuple[int, int, int, List[str], List[str], float]:
    """Run cwltest on ``yaml`` with ``runner``: counts, failed and unsupported ids, seconds."""
    bindir = str(Path(sys.executable).parent)
    cwltest = shutil.which("cwltest", path=bindir) or shutil.which("cwltest") or "cwltest"
    with tempfile.TemporaryDirectory(prefix="toil-cwl-cwltest-") as tmp:
        report = Path(tmp) / "junit.xml"
        command = [cwltest, "--test", str(yaml), "--tool", runner, "-j", str(jobs), "--timeout", str(timeout),
                   "--junit-xml", str(report)] + list(cwltest_args or [])
        extra = setup.runner_args + list(runner_args or [])
        if extra:
            command += ["--"] + extra
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join(p for p in (setup.env.get("PATH"), bindir, env.get("PATH", "")) if p)
        env.update({k: v for k, v in setup.env.items() if k != "PATH"})
        start = time.time()
        proc = subprocess.run(command, cwd=yaml.parent, env=env, capture_output=True, text=True)
        seconds = time.time() - start
        text = proc.stdout + proc.stderr
        if log is not None:
            log.write_text(text)
        statuses = _junit(report)
    return _outcome(text, statuses) + (seconds,)


def _failed_in_text(text: str) -> List[str]:
    """Ids of the tests cwltest's output reports failed (``Test N failed: ...``), by their number."""
    ids = {number: name for number, name in re.findall(r"^Test \[(\d+)/\d+\] ([^:\n]+):", text, re.M)}
    return [ids.get(number, number) for number in re.findall(r"^Test (\d+) failed: ", text, re.M)]


def _outcome(text: str, statuses: Optional[Tuple[List[str], List[str], List[str]]]
             ) -> Tuple[int, int, int, List[str], List[str]]:
    """Counts and failed / unsupported ids of one cwltest run.

    The counts are cwltest's own summary line. Its JUnit report names the tests, but records no
    failure for a ``should_fail`` test that succeeded, so the failed ids are also read from the
    output (``Test N failed``)."""
    total = len(set(re.findall(r"^Test \[(\d+)/\d+\]", text, re.M)))
    try:
        counts: Optional[Tuple[int, int, int]] = parse_summary(text, total)
    except ValueError:
        if statuses is None:
            raise
        counts = None
    failed = list(statuses[1]) if statuses else []
    in_text = _failed_in_text(text)
    if len(in_text) > len(failed):
        failed += [name for name in in_text if name not in failed]
    unsupported = list(statuses[2]) if statuses else []
    if counts is None:
        assert statuses is not None
        counts = (len(statuses[0]), len(statuses[1]), len(statuses[2]))
    return counts + (failed, unsupported)


def _print_table(results: List[Result]) -> None:
    header = (f"{'version':8} {'runner':16} {'containers':13} {'passed':>6} {'failed':>6} {'unsupported':>11} "
              f"{'total':>5} {'time':>6}  source")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r.version:8} {r.runner:16} {r.mode:13} {r.passed:6d} {r.failed:6d} {r.unsupported:11d} "
              f"{r.total:5d} {r.seconds:5.0f}s  {r.source}")
    for r in results:
        if r.failed_ids:
            print(f"{r.version} {r.runner} ({r.mode}) failed: {', '.join(r.failed_ids)}")
        if r.unsupported_ids:
            print(f"{r.version} {r.runner} ({r.mode}) unsupported: {', '.join(r.unsupported_ids)}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", default=",".join(VERSIONS),
                        help="CWL versions to test, in this order (comma separated)")
    parser.add_argument("--runners", default="toil-cwl-runner,cwltool", help="runners (comma separated)")
    parser.add_argument("--spec", action="append", default=[], metavar="VERSION=PATH",
                        help="a checkout of cwl-VERSION (or its conformance YAML) to use")
    parser.add_argument("--no-download", action="store_true", help="do not try to clone the suites from GitHub")
    parser.add_argument("-j", "--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="tests run in parallel (default: 2)")
    parser.add_argument("--containers", choices=("no", "yes", "both"), default="no",
                        help="run tools without containers, in containers, or both (default: no)")
    parser.add_argument("--select", default=None, help="only these test ids (comma separated)")
    parser.add_argument("--runner-arg", action="append", default=[], help="extra argument for every runner")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per test")
    parser.add_argument("--results", default=None, metavar="FILE",
                        help="record every test's outcome in this JSON-lines file as it ends, and skip the "
                             "tests it already holds: an interrupted run resumes where it stopped "
                             "(default: a temporary file, nothing is kept)")
    parser.add_argument("--rerun-failed", action="store_true",
                        help="with --results: run the recorded failures again (the newest outcome counts)")
    parser.add_argument("--report", action="store_true",
                        help="with --results: run nothing, print the table of what the file holds")
    parser.add_argument("--chunk", type=int, default=10,
                        help="the runners take turns on chunks of this many tests (default: 10), so a partial "
                             "run compares them on the same tests")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--logs", default=None, help="directory for the full output of every failed test")
    parser.add_argument("--json", default=None, help="also write the table to this JSON file")
    parser.add_argument("cwltest_args", nargs=argparse.REMAINDER,
                        help="after --: --tags T1,T2 / --exclude-tags T1,T2 (others are refused)")
    return parser


def _tag_filter(cwltest_args: List[str]) -> Tuple[Optional[set], set]:
    """``--tags`` and ``--exclude-tags`` of the arguments after ``--`` (the only cwltest ones kept)."""
    tags: Optional[set] = None
    exclude: set = set()
    it = iter(cwltest_args)
    for arg in it:
        name, _, value = arg.partition("=")
        if name in ("--tags", "--exclude-tags"):
            value = value or next(it, "")
            if name == "--tags":
                tags = set(value.split(","))
            else:
                exclude = set(value.split(","))
        else:
            raise SystemExit(f"cwltest argument {arg!r} is not supported here (tests are selected with "
                             "--select, --tags or --exclude-tags)")
    return tags, exclude


def _plan_ids(tests: List[Dict], select: Optional[List[str]], tags: Optional[set], exclude: set) -> List[str]:
    ids = []
    for test in tests:
        test_tags = set(test.get("tags") or ["required"])
        if tags is not None and not tags & test_tags or exclude & test_tags:
            continue
        if select is not None and test["short_name"] not in select:
            continue
        ids.append(str(test["short_name"]))
    return ids


class _Environment:
    """Sets a mode's environment (the docker shim on PATH, the runners' bin directory) for its runs."""

    def __init__(self, setup: RunSetup) -> None:
        bindir = str(Path(sys.executable).parent)
        self.values = {k: v for k, v in setup.env.items() if k != "PATH"}
        self.values["PATH"] = os.pathsep.join(
            p for p in (setup.env.get("PATH"), bindir, os.environ.get("PATH", "")) if p)
        self.saved: Dict[str, Optional[str]] = {}

    def __enter__(self) -> "_Environment":
        for key, value in self.values.items():
            self.saved[key] = os.environ.get(key)
            os.environ[key] = value
        return self

    def __exit__(self, *exc: object) -> None:
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _print_rows(rows: List[Row], markdown: bool) -> None:
    if markdown:
        print("| version | containers | runner | tests run | passed / failed / unsupported | wall time |")
        print("|---|---|---|---:|---|---:|")
        for r in rows:
            print(f"| {r.version} | {r.mode} | {r.runner} | {r.ran} of {r.planned} | "
                  f"**{r.passed} / {r.failed} / {r.unsupported}** | {r.seconds:.0f} s |")
    else:
        header = (f"{'version':8} {'containers':13} {'runner':16} {'ran':>9} {'passed':>6} {'failed':>6} "
                  f"{'unsupported':>11} {'time':>7}")
        print(header)
        print("-" * len(header))
        for r in rows:
            print(f"{r.version:8} {r.mode:13} {r.runner:16} {f'{r.ran}/{r.planned}':>9} {r.passed:6d} "
                  f"{r.failed:6d} {r.unsupported:11d} {r.seconds:6.0f}s")
    for r in rows:
        if r.failed_ids:
            print(f"{r.version} {r.runner} ({r.mode}) failed: {', '.join(r.failed_ids)}")
        if r.unsupported_ids:
            print(f"{r.version} {r.runner} ({r.mode}) unsupported: {', '.join(r.unsupported_ids)}")


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    tags, exclude = _tag_filter([a for a in args.cwltest_args if a != "--"])
    specs = dict(spec.split("=", 1) for spec in args.spec)
    runners = [r for r in args.runners.split(",") if r]
    select = [s for s in args.select.split(",") if s] if args.select else None
    logs = Path(args.logs) if args.logs else None
    if (args.report or args.rerun_failed) and not args.results:
        print("--report and --rerun-failed need --results FILE", file=sys.stderr)
        return 2
    modes = ("no", "yes") if args.containers == "both" else (args.containers,)
    mode_names = {"no": "no-container"}
    rows: List[Row] = []
    with tempfile.TemporaryDirectory(prefix="toil-cwl-conformance-") as work:
        ledger = Ledger(Path(args.results) if args.results else Path(work) / "results.jsonl")
        setups: Dict[str, RunSetup] = {}
        if not args.report:
            for mode in modes:
                try:
                    setups[mode] = container_setup(mode, Path(work))
                except RuntimeError as err:
                    print(f"containers: {err}; the run with containers is skipped", file=sys.stderr)
        old_tempdir = tempfile.tempdir
        tempfile.tempdir = work  # cwltest makes every test's --outdir with mkdtemp and never removes it
        try:
            for version in [v for v in args.versions.split(",") if v]:
                suite, reason = find_suite(version, specs, allow_download=not args.no_download)
                if suite is None:
                    print(f"{version}: conformance tests {reason}", file=sys.stderr)
                    continue
                yaml = write_suite(load_tests(suite.yaml), Path(work) / suite.version / "conformance_tests.yaml")
                tests = cwltest_tests(yaml)
                ids = _plan_ids(tests, select, tags, exclude)
                unknown = sorted(set(select or ()) - {str(t["short_name"]) for t in tests})
                if unknown:
                    print(f"{version}: no such conformance test: {', '.join(unknown)} (ids as in {suite.yaml})",
                          file=sys.stderr)
                    return 2
                for mode in modes:
                    setup = setups.get(mode)
                    name = setup.mode if setup else mode_names.get(mode, "podman")
                    if setup is not None:
                        _run_version(suite, yaml, tests, ids, runners, setup, args, ledger, logs)
                    rows += summarize(ledger, [(suite.version, name, runner, ids) for runner in runners])
        finally:
            tempfile.tempdir = old_tempdir
    _print_rows(rows, args.markdown)
    if args.json:
        Path(args.json).write_text(json.dumps([attrs.asdict(r) for r in rows], indent=2))
    worse = [r for r in rows if r.runner == "toil-cwl-runner" and any(
        o.version == r.version and o.mode == r.mode and o.runner != r.runner and o.passed > r.passed
        for o in rows)]
    return 1 if worse or not rows else 0


def _run_version(suite: Suite, yaml: Path, tests: List[Dict], ids: List[str], runners: List[str],
                 setup: RunSetup, args: argparse.Namespace, ledger: Ledger, logs: Optional[Path]) -> None:
    """Run what ``ledger`` does not hold yet of ``ids`` with every runner, the runners taking turns per chunk."""
    by_id = {str(t["short_name"]): t for t in tests}

    def todo(runner: str, test: str) -> bool:
        record = ledger.get(suite.version, setup.mode, runner, test)
        return record is None or (args.rerun_failed and record.status == "failed")

    pending = [test for test in ids if any(todo(runner, test) for runner in runners)]
    if not pending:
        return
    print(f"{suite.version} ({setup.mode}; {suite.source}): {len(pending)} of {len(ids)} tests to run",
          file=sys.stderr, flush=True)

    def progress(record: Record) -> None:
        print(f"  {record.version} {record.mode} {record.runner} {record.test}: {record.status} "
              f"({record.end - record.start:.0f}s)", file=sys.stderr, flush=True)

    with _Environment(setup):
        for chunk in chunked(pending, args.chunk):
            for runner in runners:
                chosen = [by_id[test] for test in chunk if todo(runner, test)]
                if chosen:
                    run_tests(yaml, chosen, suite.version, setup.mode, runner,
                              setup.runner_args + list(args.runner_arg), args.jobs, args.timeout, ledger,
                              logs, progress)


if __name__ == "__main__":
    sys.exit(main())
