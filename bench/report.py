"""Tables for bench/run.py: per-case times, derived figures (e) and the target summary.

Ratios for speed are upstream seconds / our seconds (above 1x: this engine is faster); for import time
they are our seconds / upstream seconds (below 1: this engine is faster), as the targets are phrased.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from cases import CASES, REFERENCE_SECONDS

#: Speed targets: case -> minimum upstream/ours ratio (None: reported, no target).
SPEED_GOALS = {"a": 50.0, "b": 2.0, "c": 50.0, "d": 2.0, "f": None}
#: (s): each file-store operation on small files at most this many times plain Python's cost.
SMALL_FILES_GOAL = 2.0
FLAT_GOAL = 1.5            # s/job at the large fan-out / s/job at the small one
MEMORY_GOAL = 2048         # leader bytes per pending job
MILLION_FLAT_GOAL = 1.3    # leader CPU/job at 1,000,000 jobs / at 10,000 (e1m)
MILLION_MEMORY_GOAL = 1024  # leader bytes per pending job at 1,000,000 jobs (e1m)
IMPORT_GOAL = 1.0 / 3.0    # our import time / upstream's
MiB = 2 ** 20


def fmt(value: Optional[float], spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def _ok(result: Optional[Dict[str, Any]]) -> bool:
    return bool(result and result.get("ok"))


def _secs(result: Optional[Dict[str, Any]]) -> str:
    if not result:
        return "-"
    if result["ok"]:
        return fmt(result["seconds"])
    return "TIMEOUT" if result.get("timed_out") else "FAILED"


def print_table(headers: List[str], rows: List[List[str]]) -> None:
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: List[str]) -> str:
        return "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells))
    head = line(headers)
    print(head)
    print("-" * len(head))
    for row in rows:
        print(line(row))


def print_cases(ours: Dict[str, Dict], upstream: Dict[str, Dict], scale: str) -> None:
    headers = ["case", "jobs", "ours s", "ours runs", "jobs/s", "MB/s", "leader MiB", "leader CPU s",
               "ref s (5.10)", "ref/ours", "upstream s", "upstream/ours"]
    rows = []
    for key, r in ours.items():
        u = upstream.get(key)
        ref = REFERENCE_SECONDS.get(key) if scale == "full" else None
        leader = r.get("leader", {})
        rows.append([
            f"({key}) {r['title']}", str(r["jobs"]), _secs(r),
            "/".join("x" if s is None else fmt(s, ".1f") for s in r.get("runs", [])),
            fmt(r.get("jobs_per_second"), ".1f"), fmt(r.get("megabytes_per_second"), ".1f"),
            fmt(leader.get("peak_rss", 0) / MiB, ".1f"), fmt(leader.get("cpu"), ".1f"),
            fmt(ref, ".1f") if ref is not None else "n/a",
            (fmt(ref / r["seconds"]) + "x") if _ok(r) and ref is not None else "-",
            _secs(u) if u else "not run",
            (fmt(u["seconds"] / r["seconds"]) + "x") if _ok(r) and _ok(u) else "-",
        ])
    print_table(headers, rows)


def derive_fanout(ours: Dict[str, Dict], upstream: Dict[str, Dict]) -> Dict[str, Any]:
    """Per-job time at both big fan-outs and the leader's bytes per pending job."""
    out: Dict[str, Any] = {}
    for side, results in (("ours", ours), ("upstream", upstream)):
        for key in ("e10k", "e100k", "e1m"):
            r = results.get(key)
            if not _ok(r):
                continue
            n = r["params"]["n"]
            leader = r["leader"]
            report = r.get("report", {})
            peak = max(leader.get("peak_rss", 0), report.get("maxrss", 0))
            base = report.get("baseline_rss") or leader.get("first_rss", 0)
            out[f"{side}_{key}"] = {
                "n": n, "seconds_per_job": r["seconds"] / n,
                "leader_cpu_per_job": (report.get("leader_cpu") or leader.get("cpu", 0.0)) / n,
                "peak_rss_sampled": leader.get("peak_rss", 0), "peak_rss_maxrss": report.get("maxrss", 0),
                "baseline_rss": base, "bytes_per_pending_job": (peak - base) / n,
            }
    small, large = out.get("ours_e10k"), out.get("ours_e100k")
    if small and large:
        out["flatness"] = large["seconds_per_job"] / small["seconds_per_job"]
        if small["leader_cpu_per_job"] > 0:
            out["cpu_flatness"] = large["leader_cpu_per_job"] / small["leader_cpu_per_job"]
        small_peak = max(small["peak_rss_sampled"], small["peak_rss_maxrss"])
        large_peak = max(large["peak_rss_sampled"], large["peak_rss_maxrss"])
        out["marginal_bytes_per_job"] = (large_peak - small_peak) / (large["n"] - small["n"])
    million = out.get("ours_e1m")
    if small and million:
        out["million_flatness"] = million["seconds_per_job"] / small["seconds_per_job"]
        if small["leader_cpu_per_job"] > 0:
            out["million_cpu_flatness"] = million["leader_cpu_per_job"] / small["leader_cpu_per_job"]
    return out


def _row(target: str, ours: str, upstream: str, ratio: str, goal: str, status: str) -> List[str]:
    return [target, ours, upstream, ratio, goal, status]


def _status(value: Optional[float], goal: Optional[float], at_least: bool) -> str:
    if goal is None:
        return "info"
    if value is None:
        return "n/a"
    return "MET" if (value >= goal if at_least else value <= goal) else "NOT MET"


def targets(ours: Dict[str, Dict], upstream: Dict[str, Dict], derived: Dict[str, Any],
            imports: Dict[str, Dict]) -> List[List[str]]:
    rows = []
    for key, goal in SPEED_GOALS.items():
        r, u = ours.get(key), upstream.get(key)
        if r is None:
            continue
        ratio = u["seconds"] / r["seconds"] if _ok(r) and _ok(u) else None
        rows.append(_row(f"({key}) {CASES[key]['name']} speed-up", _secs(r) + " s",
                         _secs(u) + " s" if u else "-", fmt(ratio) + "x" if ratio else "-",
                         f">= {goal:g}x" if goal else "(none)", _status(ratio, goal, True)))
    for key in ("s", "scache"):
        r = ours.get(key)
        if r is None:
            continue
        rep = r.get("report", {})
        for pair, ratio in rep.get("ratios", {}).items():
            us = rep.get("us_per_file", {})
            mine = us.get("toil", {}).get(pair)
            plain = us.get("plain", {}).get(pair)
            rows.append(_row(f"({key}) {pair} vs plain Python ({rep.get('file_store', '?')})",
                             f"{mine} us/file" if mine is not None else "-",
                             f"plain {plain} us/file" if plain is not None else "-", fmt(ratio) + "x",
                             f"<= {SMALL_FILES_GOAL:g}x", _status(ratio if _ok(r) else None,
                                                                  SMALL_FILES_GOAL, False)))
        for pair, ratio in rep.get("cpu_ratios", {}).items():
            rows.append(_row(f"({key}) {pair}: CPU time vs plain Python", "-", "-", fmt(ratio) + "x",
                             "(info)", "info"))
    small, large = derived.get("ours_e10k"), derived.get("ours_e100k")
    up_small = derived.get("upstream_e10k")
    if small or large:
        def ms(d: Optional[Dict], field: str = "seconds_per_job") -> str:
            return f"{d[field] * 1000:.3f} ms/job @{d['n']}" if d else "-"
        flat = derived.get("flatness")
        rows.append(_row("(e) s/job large / s/job small (wall)", f"{ms(small)} -> {ms(large)}", ms(up_small),
                         fmt(flat), f"<= {FLAT_GOAL:g}", _status(flat, FLAT_GOAL, False)))
        cpu_flat = derived.get("cpu_flatness")
        rows.append(_row("(e) leader CPU/job large / small", f"{ms(small, 'leader_cpu_per_job')} -> "
                         f"{ms(large, 'leader_cpu_per_job')}", ms(up_small, "leader_cpu_per_job"),
                         fmt(cpu_flat), "(info)", "info"))
        if up_small and small:
            ratio = up_small["seconds_per_job"] / small["seconds_per_job"]
            rows.append(_row(f"(e) fan-out {small['n']} speed-up", ms(small), ms(up_small),
                             fmt(ratio) + "x", "(none)", "info"))
        biggest = large or small
        mem = biggest["bytes_per_pending_job"]
        up_mem = up_small["bytes_per_pending_job"] if up_small else None
        peak = max(biggest["peak_rss_sampled"], biggest["peak_rss_maxrss"])
        base = biggest["baseline_rss"]
        rows.append(_row(f"(e) leader bytes/pending job @{biggest['n']}",
                         f"{mem:.0f} B (peak {peak / MiB:.1f} - base {base / MiB:.1f} MiB)",
                         f"{up_mem:.0f} B @{up_small['n']}" if up_mem is not None else "-", "-",
                         f"<= {MEMORY_GOAL} B", _status(mem, MEMORY_GOAL, False)))
        if "marginal_bytes_per_job" in derived:
            rows.append(_row("(e) leader marginal bytes/job small->large",
                             f"{derived['marginal_bytes_per_job']:.0f} B", "-", "-", "(info)", "info"))
    million = derived.get("ours_e1m")
    if million:
        def per_job(d: Optional[Dict], field: str) -> str:
            return f"{d[field] * 1000:.3f} ms/job @{d['n']}" if d else "-"
        flat = derived.get("million_cpu_flatness")
        rows.append(_row("(e1m) leader CPU/job 1M / 10k", f"{per_job(small, 'leader_cpu_per_job')} -> "
                         f"{per_job(million, 'leader_cpu_per_job')}", "-", fmt(flat),
                         f"<= {MILLION_FLAT_GOAL:g}", _status(flat, MILLION_FLAT_GOAL, False)))
        wall_flat = derived.get("million_flatness")
        rows.append(_row("(e1m) s/job 1M / 10k (wall)", f"{per_job(small, 'seconds_per_job')} -> "
                         f"{per_job(million, 'seconds_per_job')}", "-", fmt(wall_flat), "(info)", "info"))
        mem = million["bytes_per_pending_job"]
        rows.append(_row(f"(e1m) leader bytes/pending job @{million['n']}", f"{mem:.0f} B", "-", "-",
                         f"<= {MILLION_MEMORY_GOAL} B", _status(mem, MILLION_MEMORY_GOAL, False)))
    mine, theirs = imports.get("ours"), imports.get("upstream")
    if mine:
        for label, field, scale, unit in (("wall", "wall_median", 1000.0, "ms"),
                                          ("-X importtime", "importtime_median_us", 0.001, "ms")):
            a = mine.get(field)
            b = theirs.get(field) if theirs else None
            ratio = a / b if a is not None and b else None
            rows.append(_row(f"import toil.job ({label}, median)",
                             f"{a * scale:.0f} {unit}" if a else "FAILED",
                             f"{b * scale:.0f} {unit}" if b else "-", fmt(ratio, ".3f"),
                             f"<= {IMPORT_GOAL:.3f}", _status(ratio, IMPORT_GOAL, False)))
    return rows


def print_targets(rows: List[List[str]]) -> None:
    print_table(["target", "ours", "upstream", "ratio", "goal", "status"], rows)
