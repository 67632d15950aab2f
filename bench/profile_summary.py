#!/usr/bin/env python3
"""Summarise the profiles written by ``bench/run.py --profile DIR``.

For every case in DIR: the leader's profile (DIR/<case>-leader.prof) and the sum of the per-job
profiles the fork server wrote (DIR/<case>-workers/*.prof, one per job), each as the top functions by
cumulative and by own time.

    .venv/bin/python bench/profile_summary.py /tmp/prof [--top 25] [--cases a,e10k]
"""
from __future__ import annotations

import argparse
import io
import pstats
import sys
from pathlib import Path
from typing import List


def show(title: str, files: List[Path], top: int) -> None:
    if not files:
        return
    stats = pstats.Stats(str(files[0]), stream=io.StringIO())
    for path in files[1:]:
        stats.add(str(path))
    total = getattr(stats, "total_tt", 0.0)
    print(f"=== {title}: {len(files)} profile(s), {total:.2f} s profiled in total"
          + (f", {total / len(files) * 1000:.1f} ms per profile" if len(files) > 1 else ""))
    stats.strip_dirs()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats.stream = out
        stats.sort_stats(order).print_stats(top)
        body = out.getvalue()
        start = body.find("   ncalls")
        print(f"--- by {order}")
        print(body[start:] if start >= 0 else body)


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--cases", default=None, help="comma-separated case keys (default: all found)")
    args = parser.parse_args(argv)
    leaders = sorted(args.directory.glob("*-leader.prof"))
    keys = [p.name[: -len("-leader.prof")] for p in leaders]
    keys += sorted(p.name[: -len("-workers")] for p in args.directory.glob("*-workers") if p.is_dir()
                   and p.name[: -len("-workers")] not in keys)
    if args.cases:
        wanted = args.cases.split(",")
        keys = [k for k in keys if k in wanted]
    if not keys:
        print(f"no profiles in {args.directory}", file=sys.stderr)
        return 1
    for key in keys:
        leader = args.directory / f"{key}-leader.prof"
        show(f"case {key}: leader", [leader] if leader.exists() else [], args.top)
        show(f"case {key}: jobs (fork server children)",
             sorted((args.directory / f"{key}-workers").glob("*.prof")), args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
