"""Run the WDL conformance suite (DataBiosphere's wdl-conformance-tests) for toil-wdl-runner and
for miniwdl, with the suite's own ``run.py``, and print passed / failed / skipped per WDL version.

``python -m toil_wdl.conformance [--suite DIR] [--versions 1.0,1.1] [--runners toil-wdl-runner,miniwdl]
[--numbers 0-10] [--threads N] [--container podman|none]``

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

__all__ = ["DEFAULT_SUITE", "format_table", "main", "run_suite"]

#: Where the shared copy of the suite lives in this workspace (next to the repository checkouts).
DEFAULT_SUITE = os.environ.get("TOIL_WDL_CONFORMANCE",
                               str(Path(__file__).resolve().parents[4].parent / "shared" / "conformance"
                                   / "wdl-conformance-tests"))

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


def _make_writable(root: Path) -> None:
    import stat

    for folder, _, files in os.walk(root):
        for path in [folder] + [os.path.join(folder, f) for f in files]:
            mode = os.stat(path).st_mode
            os.chmod(path, mode | stat.S_IWUSR | (stat.S_IXUSR if stat.S_ISDIR(mode) else 0))


def run_suite(suite: Path, runner: str, version: str, numbers: Optional[str] = None, threads: int = 1,
              extra_args: Optional[str] = None, timeout: int = 7200,
              env_extra: Optional[Dict[str, str]] = None) -> Dict[str, object]:
    """Run one runner on one WDL version; returns counts and the per-test statuses. ``extra_args``
    go to toil-wdl-runner, ``env_extra`` into the runner's environment."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="wdl-conformance-") as tmp:
        copy = Path(tmp) / "suite"
        shutil.copytree(suite, copy, ignore=shutil.ignore_patterns(".git", "build"))
        _make_writable(copy)  # the shared suite may be read-only; run.py writes beside the tests
        cmd = [sys.executable, "run.py", "--runner", runner, "--versions", version, "--threads", str(threads),
               "--quiet"]
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
            "skipped": counts["SKIPPED"], "seconds": seconds, "statuses": statuses, "output": proc.stdout, "stderr": proc.stderr}


def format_table(rows: List[Dict[str, object]]) -> str:
    """One Markdown table: a row per runner, a column per WDL version, each cell "passed / failed /
    skipped" and the wall time of that cell (runners and versions in the order they ran)."""
    runners = list(dict.fromkeys(str(r["runner"]) for r in rows))
    versions = list(dict.fromkeys(str(r["version"]) for r in rows))
    cells = {(str(r["runner"]), str(r["version"])): r for r in rows}
    lines = ["| runner | " + " | ".join(f"WDL {v}" for v in versions) + " |",
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
    parser.add_argument("--versions", default="draft-2,1.0,1.1,development",
                        help="Comma-separated WDL versions.")
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
            ensure_image([*SUITE_IMAGES, MINIWDL_DEFAULT_IMAGE])
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
            result = run_suite(suite, runner, version, args.numbers, args.threads,
                               extra_args=f"--container {args.container}")
            rows.append(result)
            engine = args.container if runner != "miniwdl" else "podman"
            print(f"{runner:16} WDL {version:8} ({engine}) passed {result['passed']:3}  failed {result['failed']:3}  "
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
