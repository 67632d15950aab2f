"""Run the CWL conformance tests with cwltest against toil-cwl-runner (and cwltool, to compare).

    python -m toil_cwl.conformance [--versions v1.0,v1.1,v1.2] [--runners toil-cwl-runner,cwltool]
                                   [--spec v1.2=PATH] [-j N] [--containers] [-- CWLTEST ARGS]

Where the suites come from, per version, in order:

1. ``--spec VERSION=PATH``: a checkout of common-workflow-language/cwl-VERSION (or the path of
   its conformance YAML file);
2. ``$CWL_CONFORMANCE_DIR/cwl-VERSION`` (e.g. ``CWL_CONFORMANCE_DIR=~/src`` holding checkouts);
3. a shallow ``git clone`` of https://github.com/common-workflow-language/cwl-VERSION into
   ``$XDG_CACHE_HOME/toil-cwl-conformance`` (needs network access to GitHub);
4. the subset of the v1.2 suite bundled in this repository (``tests/cwl/conformance/v1.2``;
   see its README for what it holds); for v1.0 and v1.1 a suite derived from it: the official
   test list of that version (shipped inside cwltool, ``cwltool/schemas/VERSION``) restricted to
   the tests whose files the bundle has, with those files' cwlVersion set to VERSION.

Tests run without containers (``--no-container``) unless ``--containers`` is given, so both
runners are compared on the same non-Docker tests. Prints passed/failed/unsupported per version
and runner; exits non-zero if toil-cwl-runner passed fewer tests than any other runner.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

__all__ = ["Result", "find_suite", "main", "parse_summary", "run_suite"]

VERSIONS = ("v1.0", "v1.1", "v1.2")
YAML_NAMES = ("conformance_tests.yaml", "conformance_test_v1.0.yaml", "conformance_test_v1.1.yaml",
              "conformance_test_v1.2.yaml")
GITHUB = "https://github.com/common-workflow-language/cwl-{version}.git"
BUNDLED = Path(__file__).resolve().parents[3] / "tests" / "cwl" / "conformance"


class Result:
    def __init__(self, version: str, runner: str, source: str, passed: int, failed: int,
                 unsupported: int, seconds: float, failures: List[str]) -> None:
        self.version, self.runner, self.source = version, runner, source
        self.passed, self.failed, self.unsupported = passed, failed, unsupported
        self.seconds, self.failures = seconds, failures

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.unsupported


def _yaml_in(path: Path) -> Optional[Path]:
    if path.is_file():
        return path
    for name in YAML_NAMES:
        if (path / name).is_file():
            return path / name
    return None


def _clone(version: str, cache: Path) -> Optional[Path]:
    target = cache / f"cwl-{version}"
    if _yaml_in(target):
        return target
    if shutil.which("git") is None:
        return None
    cache.mkdir(parents=True, exist_ok=True)
    try:
        url = GITHUB.format(version=version)
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", url, str(target)],
                       check=True, timeout=300, capture_output=True)
    except (subprocess.SubprocessError, OSError):
        shutil.rmtree(target, ignore_errors=True)
        return None
    return target


def find_suite(version: str, specs: Dict[str, str],
               allow_download: bool = True) -> Tuple[Optional[Path], str]:
    """The conformance YAML of ``version`` and a word saying where it came from."""
    if version in specs:
        found = _yaml_in(Path(specs[version]).expanduser().resolve())
        return found, f"--spec {specs[version]}"
    root = os.environ.get("CWL_CONFORMANCE_DIR")
    if root:
        found = _yaml_in(Path(root).expanduser() / f"cwl-{version}")
        if found:
            return found, f"$CWL_CONFORMANCE_DIR/cwl-{version}"
    if allow_download:
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "toil-cwl-conformance"
        cloned = _clone(version, cache)
        if cloned:
            return _yaml_in(cloned), f"git clone of cwl-{version}"
    bundled = _yaml_in(BUNDLED / version)
    if bundled:
        return bundled, f"bundled subset ({bundled.relative_to(BUNDLED.parents[2])})"
    derived = derive_suite(version)
    if derived:
        return derived, f"official {version} test list + bundled v1.2 files as {version} (derived)"
    return None, "not available (no checkout, no network access to GitHub, nothing bundled)"


def derive_suite(version: str, target: Optional[Path] = None) -> Optional[Path]:
    """Build a ``version`` suite from cwltool's copy of its official test list and the bundled
    v1.2 test files (see the module docstring); returns its YAML, or None."""
    import tempfile

    import cwltool
    from ruamel.yaml import YAML

    official = _yaml_in(Path(cwltool.__file__).parent / "schemas" / version)
    source = BUNDLED / "v1.2" / "tests"
    if official is None or not source.is_dir():
        return None
    yaml = YAML(typ="safe", pure=True)
    tests = yaml.load(official.read_text(encoding="utf-8")) or []
    target = target or Path(tempfile.mkdtemp(prefix=f"toil-cwl-conformance-{version}-"))
    prefix = "v1.0" if version == "v1.0" else "tests"
    files = target / prefix
    shutil.copytree(source, files, dirs_exist_ok=True, ignore=shutil.ignore_patterns("conditionals"))
    for path in files.rglob("*.cwl"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"cwlVersion: v1\.2\b", f"cwlVersion: {version}", text), encoding="utf-8")
    kept = []
    for test in tests:
        if not isinstance(test, dict) or "tool" not in test:
            continue
        needed = [test["tool"].split("#")[0]] + ([test["job"]] if test.get("job") else [])
        if all((target / name).is_file() for name in needed):
            if "label" in test:
                test["id"] = test.pop("label")
            kept.append(test)
    if not kept:
        return None
    out = target / "conformance_tests.yaml"
    with open(out, "w", encoding="utf-8") as handle:
        YAML(typ="safe", pure=True).dump(kept, handle)
    return out


_SUMMARY = re.compile(r"(\d+) tests passed, (\d+) failures?, (\d+) unsupported features?")
_ALL = re.compile(r"All tests passed")
_FAILED = re.compile(r"Test (\d+) failed: ")


def parse_summary(text: str, selected: int) -> Tuple[int, int, int]:
    """``(passed, failed, unsupported)`` from cwltest's output."""
    match = _SUMMARY.search(text)
    if match:
        return int(match.group(1)), int(match.group(2)), int(match.group(3))
    if _ALL.search(text):
        return selected, 0, 0
    raise ValueError("cwltest printed no summary:\n" + text[-3000:])


def _count_selected(text: str) -> int:
    """How many tests cwltest ran (one "Test [i/n]" line each; n counts the whole file)."""
    return len(set(re.findall(r"Test \[(\d+)/\d+\]", text)))


def run_suite(yaml: Path, runner: str, jobs: int, containers: bool, cwltest_args: List[str],
              runner_args: Optional[List[str]] = None, timeout: int = 900, log: Optional[Path] = None
              ) -> Tuple[int, int, int, List[str], float]:
    """Run cwltest on ``yaml`` with ``runner``; returns counts, failed test numbers and seconds."""
    cwltest = shutil.which("cwltest") or str(Path(sys.executable).parent / "cwltest")
    command = [cwltest, "--test", str(yaml), "--tool", runner, "-j", str(jobs), "--timeout", str(timeout)]
    command += cwltest_args
    extra = ([] if containers else ["--no-container"]) + list(runner_args or [])
    if extra:
        command += ["--"] + extra
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    start = time.time()
    proc = subprocess.run(command, cwd=yaml.parent, env=env, capture_output=True, text=True)
    seconds = time.time() - start
    text = proc.stdout + proc.stderr
    if log is not None:
        log.write_text(text)
    passed, failed, unsupported = parse_summary(text, _count_selected(text))
    return passed, failed, unsupported, _FAILED.findall(text), seconds


def _print_table(results: List[Result]) -> None:
    header = (f"{'version':8} {'runner':16} {'passed':>7} {'failed':>7} {'unsupported':>12} "
              f"{'total':>6} {'time':>8}  source")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r.version:8} {r.runner:16} {r.passed:7d} {r.failed:7d} {r.unsupported:12d} {r.total:6d} "
              f"{r.seconds:7.0f}s  {r.source}")
        if r.failures:
            print(f"{'':8} {'':16} failed test numbers: {', '.join(r.failures)}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", default=",".join(VERSIONS),
                        help="CWL versions to test (comma separated)")
    parser.add_argument("--runners", default="toil-cwl-runner,cwltool",
                        help="runners to test (comma separated)")
    parser.add_argument("--spec", action="append", default=[], metavar="VERSION=PATH",
                        help="a checkout of cwl-VERSION (or its conformance YAML) to use")
    parser.add_argument("--no-download", action="store_true",
                        help="do not try to clone the suites from GitHub")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="tests run in parallel")
    parser.add_argument("--containers", action="store_true",
                        help="let tools run in containers (Docker; or --podman/--singularity "
                             "given with --runner-arg)")
    parser.add_argument("--runner-arg", action="append", default=[], help="extra argument for every runner")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per test")
    parser.add_argument("--logs", default=None, help="directory for the full cwltest output of every run")
    parser.add_argument("cwltest_args", nargs=argparse.REMAINDER,
                        help="after --: arguments for cwltest (e.g. -n 1-20, -s label, --tags workflow)")
    args = parser.parse_args(argv)
    cwltest_args = [a for a in args.cwltest_args if a != "--"]
    specs = dict(spec.split("=", 1) for spec in args.spec)
    runners = [r for r in args.runners.split(",") if r]
    logs = Path(args.logs) if args.logs else None
    if logs:
        logs.mkdir(parents=True, exist_ok=True)
    results: List[Result] = []
    for version in [v for v in args.versions.split(",") if v]:
        yaml, source = find_suite(version, specs, allow_download=not args.no_download)
        if yaml is None:
            print(f"{version}: conformance tests {source}", file=sys.stderr)
            continue
        for runner in runners:
            print(f"running {version} with {runner} ({source}) ...", file=sys.stderr, flush=True)
            log = logs / f"{version}-{runner}.log" if logs else None
            passed, failed, unsupported, failures, seconds = run_suite(
                yaml, runner, args.jobs, args.containers, cwltest_args, args.runner_arg, args.timeout, log)
            results.append(Result(version, runner, source, passed, failed, unsupported, seconds, failures))
    _print_table(results)
    worse = [r for r in results if r.runner == "toil-cwl-runner" and any(
        o.version == r.version and o.runner != r.runner and o.passed > r.passed for o in results)]
    return 1 if worse or not results else 0


if __name__ == "__main__":
    sys.exit(main())
