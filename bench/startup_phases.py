#!/usr/bin/env python3
"""The hello-world leader's start-up, phase by phase: Python function calls (cProfile) and CPU time.

Function-call counts do not depend on the load of a shared machine, so they compare two checkouts
where times cannot. Run it with each interpreter, from any directory:

    OTHER/.venv/bin/python bench/startup_phases.py [--no-profile] [--dump DIR]

Phases: ``imports`` (``from toil.common import Toil``, ``from toil.job import Job``), ``parser``
(``Job.Runner.getDefaultArgumentParser()``), ``parse`` (``parse_args`` of a file job store),
``enter`` (``Toil.__enter__``), ``start`` (``toil.start`` of the one hello job, which runs in the
fork server) and ``exit`` (``Toil.__exit__``, the store cleaned). Only the leader is counted; the
fork server and the job are in bench/run.py's case ``t`` CPU figure. Run it twice: the first run
of a new ``sys.path`` layout also builds the plugin index (toil_core.plugins.index).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from typing import Any, Callable, Dict, Optional, Tuple

RESULTS: Dict[str, Tuple[int, float, Optional[pstats.Stats]]] = {}
PROFILE = True


def measure(name: str, step: Callable[[], Any]) -> Any:
    """Run ``step``, recording its function calls (when profiling) and its CPU time."""
    profiler = cProfile.Profile() if PROFILE else None
    started = time.process_time()
    if profiler is not None:
        profiler.enable()
    try:
        return step()
    finally:
        if profiler is not None:
            profiler.disable()
        spent = time.process_time() - started
        stats = pstats.Stats(profiler, stream=io.StringIO()) if profiler is not None else None
        RESULTS[name] = (stats.total_calls if stats is not None else 0, spent, stats)  # type: ignore[attr-defined]


def hello(message: str) -> str:
    return f"Hello, world!, here's a message: {message}"


def main() -> None:
    global PROFILE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-profile", action="store_true", help="CPU times only (no profiler overhead)")
    parser.add_argument("--dump", help="write each phase's profile to DIR/<phase>.prof")
    args = parser.parse_args()
    PROFILE = not args.no_profile
    names: Dict[str, Any] = {}

    def imports() -> None:
        from toil.common import Toil
        from toil.job import Job
        names.update(Toil=Toil, Job=Job)

    measure("imports", imports)
    Toil, Job = names["Toil"], names["Job"]
    store = os.path.join(tempfile.mkdtemp(prefix="toil-startup-phases-"), "store")
    toil_parser = measure("parser", lambda: Job.Runner.getDefaultArgumentParser())
    options = measure("parse", lambda: toil_parser.parse_args(["file:" + store, "--logLevel=WARNING"]))
    options.clean = "always"
    toil = Toil(options)
    measure("enter", toil.__enter__)
    output = measure("start", lambda: toil.start(Job.wrapFn(hello, "You did it!")))
    measure("exit", lambda: toil.__exit__(None, None, None))
    assert output.endswith("You did it!"), output
    print(f"{'phase':8s} {'calls':>8s} {'CPU ms':>7s}")
    for name, (calls, spent, stats) in RESULTS.items():
        print(f"{name:8s} {calls:8d} {spent * 1000:7.0f}")
        if args.dump and stats is not None:
            os.makedirs(args.dump, exist_ok=True)
            stats.dump_stats(os.path.join(args.dump, f"{name}.prof"))
    print(f"{'total':8s} {sum(r[0] for r in RESULTS.values()):8d} {sum(r[1] for r in RESULTS.values()) * 1000:7.0f}")


if __name__ == "__main__":
    main()
