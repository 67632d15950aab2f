"""Run the WDL conformance suites (DataBiosphere's wdl-conformance-tests, and the examples of the WDL
1.1.1 specification) for toil-wdl-runner and for miniwdl, with the suite's own ``run.py``, and print
passed / failed / skipped per WDL version.

``python -m toil_wdl.conformance [--suite DIR] [--spec DIR] [--versions 1.0,1.1,spec]
[--runners toil-wdl-runner,miniwdl] [--numbers 0-10] [--threads N] [--container podman|none]``

The version ``spec`` (column "spec 1.1.1") is the specification tests: the suite's ``setup_unit_tests.py``
extracts the examples of openwdl/wdl 1.1.1's SPEC.md into ``unit_tests/`` of the scratch copy (its
``extract_tests``, called directly: its ``main`` would try to clone and check out a git branch), and
``run.py --conformance-file unit_tests/test_config.yaml --versions 1.1`` runs them. Examples the
extractor cannot turn into a test (SPEC.md 1.1.1 has a few broken ones) are counted as skipped and
listed.

Tasks run in podman containers with ``--container podman`` (the default when podman works): the
image the suite's tasks name (``ubuntu:*``) is built locally (:mod:`toil_wdl.images`, no registry
needed). miniwdl always runs tasks in containers; here it uses its podman backend
(:func:`toil_wdl.images.miniwdl_podman_env`).

The suite folder is read-only (it is shared): ``run.py`` writes generated WDL files and result files
next to the tests, so it runs on a copy in a temporary directory.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

__all__ = ["DEFAULT_SUITE", "SPEC", "extract_spec_tests", "find_spec", "find_suite", "format_table", "main",
           "run_suite"]

#: Where the shared copy of the suite lives in this workspace (next to the repository checkouts).
DEFAULT_SUITE = os.environ.get("TOIL_WDL_CONFORMANCE",
                               str(Path(__file__).resolve().parents[4].parent / "shared" / "conformance"
                                   / "wdl-conformance-tests"))

#: The version name of the specification tests, and its column title.
SPEC = "spec"
_TITLES = {SPEC: "spec 1.1.1"}
#: Images the specification examples name that the local task image can stand for (bash and coreutils);
#: ``python:latest`` is not among them: the local image has no Python.
SPEC_IMAGES = ("docker.io/library/ubuntu:latest", "docker.io/library/ubuntu:focal")
_SPEC_FOLDER = "openwdl-wdl-1.1.1"

_SUMMARY = re.compile(r"(\d+) tests run, (\d+) succeeded, (\d+) failed, (\d+) skipped")
_LINE = re.compile(r"^(\d+): (SUCCEEDED|FAILED|SKIPPED|IGNORED|WARNING): (.*)$")


def find_suite(explicit: Optional[str] = None) -> Optional[Path]:
    """The suite folder: ``explicit``, $TOIL_WDL_CONFORMANCE, shared/conformance beside the checkout, or the
    copy in tests/wdl/conformance."""
    candidates = [explicit] if explicit else [DEFAULT_SUITE]
    here = Path(__file__).resolve()
    candidates += [str(p / "shared" / "conformance" / "wdl-conformance-tests") for p in here.parents]
    # an unmodified copy kept in the repository, so that a checkout with nothing beside it still runs the
    # CI tiers (the shared copy, when present, is preferred)
    candidates += [str(p / "tests" / "wdl" / "conformance" / "wdl-conformance-tests") for p in here.parents]
    for c in candidates:
        if c and (Path(c) / "conformance.yaml").is_file():
            return Path(c)
    return None


def find_spec(explicit: Optional[str] = None) -> Optional[Path]:
    """The openwdl/wdl 1.1.1 folder (with SPEC.md and tests/data): ``explicit``, $TOIL_WDL_SPEC,
    shared/conformance beside the checkout, or the copy in tests/wdl/conformance."""
    candidates = [explicit] if explicit else [os.environ.get("TOIL_WDL_SPEC", "")]
    here = Path(__file__).resolve()
    candidates += [str(p / "shared" / "conformance" / _SPEC_FOLDER) for p in here.parents]
    candidates += [str(p / "tests" / "wdl" / "conformance" / _SPEC_FOLDER) for p in here.parents]
    for c in candidates:
        if c and (Path(c) / "SPEC.md").is_file():
            return Path(c)
    return None


# Runs in the suite copy: setup_unit_tests.extract_tests as its main() calls it (the spec in wdl-1.1-spec,
# the suite's patch data), except that an example it cannot make a test of is recorded instead of ending
# the extraction; prints those as JSON [[file, reason], ...].
_EXTRACT = """
import json, sys
from pathlib import Path
sys.path.insert(0, ".")
import setup_unit_tests as s
broken = []
make_entry = s.generate_config_file
def generate_config_file(m, *args, **kwargs):
    try:
        make_entry(m, *args, **kwargs)
    except Exception as err:
        broken.append([m.group(1), repr(err.__cause__ or err)[:300]])
s.generate_config_file = generate_config_file
s.extract_tests(Path("wdl-1.1-spec/SPEC.md"), Path("wdl-1.1-spec/tests/data"), Path("unit_tests"), "1.1", "yaml",
                "unit_tests_patch_data.yaml")
print(json.dumps(broken))
"""


def extract_spec_tests(suite_copy: Path, spec: Path) -> List[List[str]]:
    """Extract the specification tests of ``spec`` (an openwdl/wdl folder) into ``suite_copy/unit_tests``
    (with ``unit_tests/test_config.yaml``) with the suite's ``setup_unit_tests.py``. Returns the examples
    it could not make tests of, as ``[file name, reason]``. RuntimeError if the extraction fails."""
    shutil.copytree(spec, suite_copy / "wdl-1.1-spec", ignore=shutil.ignore_patterns(".git"))
    _make_writable(suite_copy / "wdl-1.1-spec")
    proc = subprocess.run([sys.executable, "-c", _EXTRACT], cwd=suite_copy, capture_output=True, text=True,
                          timeout=600)
    if proc.returncode != 0 or not (suite_copy / "unit_tests" / "test_config.yaml").is_file():
        raise RuntimeError(f"extracting the specification tests failed: {proc.stderr[-3000:]}")
    import json

    return [list(b) for b in json.loads(proc.stdout.strip().splitlines()[-1])]


def _make_writable(root: Path) -> None:
    import stat

    for folder, _, files in os.walk(root):
        for path in [folder] + [os.path.join(folder, f) for f in files]:
            mode = os.stat(path).st_mode
            os.chmod(path, mode | stat.S_IWUSR | (stat.S_IXUSR if stat.S_ISDIR(mode) else 0))


def run_suite(suite: Path, runner: str, version: str, numbers: Optional[str] = None, threads: int = 1,
              extra_args: Optional[str] = None, timeout: int = 7200,
              env_extra: Optional[Dict[str, str]] = None, spec: Optional[Path] = None) -> Dict[str, object]:
    """Run one runner on one WDL version; returns counts and the per-test statuses. ``extra_args``
    go to toil-wdl-runner, ``env_extra`` into the runner's environment. The version :data:`SPEC` runs
    the specification tests of ``spec`` (:func:`find_spec` when not given); its ``unextracted`` are the
    examples that could not be made tests of (counted as skipped)."""
    started = time.monotonic()
    unextracted: List[List[str]] = []
    with tempfile.TemporaryDirectory(prefix="wdl-conformance-") as tmp:
        copy = Path(tmp) / "suite"
        shutil.copytree(suite, copy, ignore=shutil.ignore_patterns(".git", "build", "unit_tests", "wdl-1.1-spec"))
        _make_writable(copy)  # the shared suite may be read-only; run.py writes beside the tests
        run_version = version
        cmd = [sys.executable, "run.py", "--runner", runner, "--threads", str(threads), "--quiet"]
        if version == SPEC:
            spec = spec or find_spec()
            if spec is None:
                raise RuntimeError("the WDL 1.1.1 specification (openwdl-wdl-1.1.1) is not found: give --spec")
            unextracted = extract_spec_tests(copy, spec)
            run_version = "1.1"
            cmd += ["--conformance-file", "unit_tests/test_config.yaml"]
        cmd += ["--versions", run_version]
        if numbers:
            cmd += ["--numbers", numbers]
        if runner == "toil-wdl-runner":
            cmd += ["--jobstore-path", str(Path(tmp) / "stores")]
            if extra_args:
                cmd += [f"--toil-args={extra_args}"]  # '=': the value starts with '--'

        env = dict(os.environ)
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        env["TMPDIR"] = tmp
        env.update(env_extra or {})
        if runner == "miniwdl" and "MINIWDL__SCHEDULER__CONTAINER_BACKEND" not in env:
            from toil_wdl.images import miniwdl_podman_env

            try:
                env.update(miniwdl_podman_env(tmp))
            except RuntimeError:
                pass  # no podman: miniwdl tries its default backend (and reports why it cannot)
        proc = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True, timeout=timeout)
    seconds = time.monotonic() - started
    statuses: Dict[int, str] = {}
    for line in proc.stdout.splitlines():
        m = _LINE.match(line)
        if m:
            statuses[int(m.group(1))] = m.group(2)
    counts = {s: sum(1 for v in statuses.values() if v == s) for s in ("SUCCEEDED", "FAILED", "SKIPPED")}
    return {"runner": runner, "version": version, "passed": counts["SUCCEEDED"], "failed": counts["FAILED"],
            "skipped": counts["SKIPPED"] + len(unextracted), "seconds": seconds, "statuses": statuses,
            "output": proc.stdout, "stderr": proc.stderr, "unextracted": unextracted}


def format_table(rows: List[Dict[str, object]]) -> str:
    """One Markdown table: a row per runner, a column per WDL version, each cell "passed / failed /
    skipped" and the wall time of that cell (runners and versions in the order they ran)."""
    runners = list(dict.fromkeys(str(r["runner"]) for r in rows))
    versions = list(dict.fromkeys(str(r["version"]) for r in rows))
    cells = {(str(r["runner"]), str(r["version"])): r for r in rows}
    lines = ["| runner | " + " | ".join(_TITLES.get(v, f"WDL {v}") for v in versions) + " |",
             "|---|" + "---|" * len(versions)]
    for runner in runners:
        parts = []
        for v in versions:
            r = cells.get((runner, v))
            parts.append("not run" if r is None else
                         f"{r['passed']} passed, {r['failed']} failed, {r['skipped']} skipped "
                         f"({float(r['seconds']) / 60:.1f} min)")  # type: ignore[arg-type]
        lines.append(f"| {runner} | " + " | ".join(parts) + " |")
    return "\n".join(lines)


def _fewer_passes(rows: List[Dict[str, object]]) -> List[str]:
    """The versions on which toil-wdl-runner passes fewer tests than miniwdl (both measured)."""
    cells = {(r["runner"], r["version"]): r for r in rows}
    return [str(v) for (runner, v), r in cells.items() if runner == "miniwdl" and ("toil-wdl-runner", v) in cells
            and int(cells[("toil-wdl-runner", v)]["passed"]) < int(r["passed"])]  # type: ignore[call-overload]


def _podman_works() -> bool:
    exe = shutil.which("podman")
    if exe is None:
        return False
    try:
        return subprocess.run([exe, "info"], capture_output=True, timeout=120).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toil_wdl.conformance", description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", default=None, help="The wdl-conformance-tests folder.")
    parser.add_argument("--spec", default=None,
                        help="The openwdl/wdl 1.1.1 folder whose SPEC.md examples are the specification tests.")
    parser.add_argument("--versions", default=f"draft-2,1.0,1.1,development,{SPEC}",
                        help=f"Comma-separated WDL versions; '{SPEC}' is the WDL 1.1.1 specification tests.")
    parser.add_argument("--runners", default="toil-wdl-runner,miniwdl", help="Comma-separated runners.")
    parser.add_argument("--numbers", default=None, help="Test numbers (run.py's -n syntax).")
    parser.add_argument("--threads", type=int, default=1, help="Tests run in parallel.")
    parser.add_argument("--show-failures", action="store_true", help="Print the reason of every failure.")
    parser.add_argument("--container", choices=["podman", "none"], default=None,
                        help="toil-wdl-runner's tasks in podman containers (the image is built locally) or "
                             "on the host (default: podman when it works here).")
    args = parser.parse_args(argv)
    if args.container is None:
        args.container = "podman" if _podman_works() else "none"
    if args.container == "podman" or "miniwdl" in args.runners:
        from toil_wdl.images import MINIWDL_DEFAULT_IMAGE, SUITE_IMAGES, ensure_image

        try:
            ensure_image([*SUITE_IMAGES, MINIWDL_DEFAULT_IMAGE, *(SPEC_IMAGES if SPEC in args.versions else ())])
        except RuntimeError as err:
            print(f"the task image cannot be built here: {err}", file=sys.stderr)
            if args.container == "podman":
                return 2
    suite = find_suite(args.suite)
    if suite is None:
        print("wdl-conformance-tests not found: give --suite or set TOIL_WDL_CONFORMANCE", file=sys.stderr)
        return 2
    rows = []
    for version in args.versions.split(","):
        for runner in args.runners.split(","):
            try:
                result = run_suite(suite, runner, version, args.numbers, args.threads,
                                   extra_args=f"--container {args.container}",
                                   spec=Path(args.spec) if args.spec else None)
            except RuntimeError as err:
                print(f"{runner:16} {_TITLES.get(version, 'WDL ' + version)}: {err}", file=sys.stderr)
                continue
            rows.append(result)
            engine = args.container if runner != "miniwdl" else "podman"
            for name, reason in result["unextracted"]:  # type: ignore[attr-defined]
                print(f"  not a test (the extractor cannot read this example of SPEC.md): {name}: {reason}")
            print(f"{runner:16} {_TITLES.get(version, 'WDL ' + version):12} ({engine}) passed {result['passed']:3}  failed {result['failed']:3}  "
                  f"skipped {result['skipped']:3}  {result['seconds']:7.1f} s", flush=True)
            if args.show_failures:
                print(result["output"])
    print()
    print(format_table(rows))
    behind = _fewer_passes(rows)
    if behind:
        print(f"toil-wdl-runner passes fewer tests than miniwdl on WDL {', '.join(behind)}", file=sys.stderr)
    return 0 if all(r["failed"] == 0 for r in rows if r["runner"] == "toil-wdl-runner") else 1


if __name__ == "__main__":
    sys.exit(main())
