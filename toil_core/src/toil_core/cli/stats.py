"""Report the run time, CPU time, wait time and memory of a workflow's jobs (needs --stats).

``toil stats JOBSTORE`` reads the statistics the workers of a workflow run with ``--stats``
recorded in its job store, and prints a table: totals, then one block for the workers, one for
all jobs and one per job type (the jobs' display names). ``--raw`` prints the same as JSON.
"""
from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
from typing import IO, TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from toil_core.cli._common import CommandError, command, open_store
from toil_core.cli.stats_chart import ChartError, chart_format, check_png_support, write_chart
from toil_core.cli.stats_tables import (  # noqa: F401  (upstream's toilStats exposes them)
    ColumnWidths,
    buildElement,
    computeColumnWidths,
    createSummary,
    decorateSubHeader,
    decorateTitle,
    get,
    padStr,
    prettyMemory,
    prettyTime,
    reportMemory,
    reportNumber,
    reportTime,
    sprintTag,
    updateColumnWidths,
)
from toil_core.workflow.options import parser_with_common_options, set_logging_from_options

if TYPE_CHECKING:
    from toil_core.common.config import Config
    from toil_core.jobstores.abstract import AbstractJobStore

__all__ = [
    "ColumnWidths", "add_stats_options", "buildElement", "category_choices", "computeColumnWidths",
    "createSummary", "decorateSubHeader", "decorateTitle", "get", "getStats", "main", "padStr",
    "prettyMemory", "prettyTime", "processData", "reportData", "reportMemory", "reportNumber",
    "reportPrettyData", "reportTime", "sort_category_choices", "sort_field_choices", "sortJobs",
    "sprintTag", "updateColumnWidths",
]

logger = logging.getLogger(__name__)

category_choices = ["time", "clock", "wait", "memory"]
sort_category_choices = category_choices + ["alpha", "count"]
sort_field_choices = ["min", "med", "ave", "max", "total"]


# ------------------------------------------------------------------------------ collecting
def _number(value: Any) -> float:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 0.0


def _timestamp(value: Any) -> Optional[float]:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _job_record(raw: Dict[str, Any]) -> Dict[str, Any]:
    time_, clock = _number(raw.get("time")), _number(raw.get("clock"))
    return {"class_name": str(raw.get("class_name") or "Job"), "time": time_, "clock": clock,
            "wait": max(0.0, time_ - clock), "memory": _number(raw.get("memory")),
            # When the job started and ended (seconds since the epoch; None in older stats).
            "start": _timestamp(raw.get("start")), "end": _timestamp(raw.get("end"))}


def getStats(jobStore: AbstractJobStore) -> Dict[str, List[Dict[str, Any]]]:
    """Collect the per-job and per-worker records of every stats blob in the job store."""
    workers: List[Dict[str, Any]] = []
    jobs: List[Dict[str, Any]] = []

    def collect(handle: IO[bytes]) -> None:
        try:
            blob = json.loads(handle.read())
        except (ValueError, UnicodeDecodeError):
            return
        if not isinstance(blob, dict) or not blob.get("jobs"):
            return  # a plain log blob
        records = [_job_record(r) for r in blob["jobs"] if isinstance(r, dict)]
        if not records:
            return
        jobs.extend(records)
        worker = blob.get("worker")
        raw: Dict[str, Any] = worker if isinstance(worker, dict) else {}
        time_ = _number(raw.get("time", sum(r["time"] for r in records)))
        clock = _number(raw.get("clock", sum(r["clock"] for r in records)))
        workers.append({"time": time_, "clock": clock, "wait": max(0.0, time_ - clock),
                        "memory": _number(raw.get("memory", max(r["memory"] for r in records))),
                        "jobs": len(records)})

    jobStore.read_logs(collect, read_all=True)
    return {"workers": workers, "jobs": jobs}


def _summary(values: List[float]) -> Dict[str, float]:
    if not values:
        return {"min": 0.0, "med": 0.0, "ave": 0.0, "max": 0.0, "total": 0.0}
    total = float(sum(values))
    return {"min": float(min(values)), "med": float(statistics.median(values)),
            "ave": total / len(values), "max": float(max(values)), "total": total}


def _summarize(records: List[Dict[str, Any]]) -> Dict[str, Any]:
    out: Dict[str, Any] = {"count": len(records)}
    for category in category_choices:
        out[category] = _summary([r[category] for r in records])
    return out


def processData(config: Config, stats: Dict[str, List[Dict[str, Any]]]) -> Dict[str, Any]:
    """Aggregate the records into the report (a JSON-serializable dict)."""
    workers, jobs = stats["workers"], stats["jobs"]
    by_type: Dict[str, List[Dict[str, Any]]] = {}
    for record in jobs:
        by_type.setdefault(record["class_name"], []).append(record)
    job = _summarize(jobs)
    per_worker = _summary([float(w["jobs"]) for w in workers])
    job["worker_jobs"] = {k: per_worker[k] for k in ("min", "med", "ave", "max")}
    return {
        "batch_system": str(config.batchSystem),
        "default_cores": config.defaultCores,
        "default_memory": int(config.defaultMemory),
        "max_cores": config.maxCores,
        "total_clock": sum(w["clock"] for w in workers),
        "total_run_time": sum(w["time"] for w in workers),
        "worker": _summarize(workers),
        "job": job,
        "job_types": {name: _summarize(records) for name, records in sorted(by_type.items())},
    }


# ------------------------------------------------------------------------------ formatting
def sortJobs(jobTypes: List[Tuple[str, Dict[str, Any]]], options: Any) -> List[Tuple[str, Dict[str, Any]]]:
    """The ``(name, summary)`` job types sorted by --sortCategory/--sortField (--sortReverse)."""
    category, field = options.sortCategory, options.sortField
    if category == "alpha":
        def key(item: Tuple[str, Dict[str, Any]]) -> Any:
            return (item[0],)
    elif category == "count":
        def key(item: Tuple[str, Dict[str, Any]]) -> Any:
            return (item[1]["count"], item[0])
    else:
        def key(item: Tuple[str, Dict[str, Any]]) -> Any:
            return (item[1][category][field], item[0])
    return sorted(jobTypes, key=key, reverse=bool(options.sortReverse))


def _number_text(value: Any) -> str:
    try:
        return "%g" % float(value)
    except (TypeError, ValueError):
        return str(value)


def reportPrettyData(tree: Dict[str, Any], options: Any) -> str:
    """The report as the text table (see :mod:`toil_core.cli.stats_tables`)."""
    job_types = sortJobs(list(tree["job_types"].items()), options)
    widths = computeColumnWidths([summary for _, summary in job_types], tree["worker"], tree["job"], options)
    memory_k = tree["default_memory"] / 1024.0
    clock, runtime = tree["total_clock"], tree["total_run_time"]
    lines = [
        f"Batch System: {tree['batch_system']}",
        f"Default Cores: {_number_text(tree['default_cores'])}  Default Memory: "
        + reportMemory(memory_k, options),
        f"Max Cores: {_number_text(tree['max_cores'])}",
        f"Total Clock: {reportTime(clock, options)}  Total Runtime: {reportTime(runtime, options)}",
        "Worker",
        sprintTag("worker", tree["worker"], options, widths),
        "Job",
        sprintTag("job", tree["job"], options, widths),
    ]
    for name, summary in job_types:
        lines += [name, sprintTag(name, summary, options, widths)]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def reportData(tree: Dict[str, Any], options: Any) -> None:
    """Write the report (text, or JSON with --raw) to --outputFile or stdout."""
    if options.raw:
        ordered = dict(tree)
        ordered["job_types"] = dict(sortJobs(list(tree["job_types"].items()), options))
        text = json.dumps(ordered, indent=2) + "\n"
    else:
        text = reportPrettyData(tree, options)
    if options.outputFile:
        with open(options.outputFile, "w") as handle:
            handle.write(text)
        logger.info("Wrote the statistics to %s", options.outputFile)
    else:
        sys.stdout.write(text)


# ------------------------------------------------------------------------------ command line
def _categories(text: str) -> List[str]:
    chosen = [c.strip().lower() for c in text.split(",") if c.strip()]
    bad = [c for c in chosen if c not in category_choices]
    if bad or not chosen:
        raise argparse.ArgumentTypeError(
            f"invalid categories {text!r}: choose from {','.join(category_choices)}")
    return [c for c in category_choices if c in chosen]


def add_stats_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--outputFile", dest="outputFile", default=None,
                        help="Write the report to this file instead of standard output.")
    parser.add_argument("--raw", action="store_true", default=False,
                        help="Print the aggregated statistics as JSON.")
    parser.add_argument("--pretty", "--human", dest="pretty", action="store_true", default=False,
                        help="Print times and sizes in human-readable units.")
    parser.add_argument("--sortCategory", dest="sortCategory", default="time",
                        choices=sort_category_choices, type=str.lower,
                        help="Sort the job types by this category (alpha: by name).")
    parser.add_argument("--sortField", dest="sortField", default="med", choices=sort_field_choices,
                        type=str.lower, help="Sort by this statistic of the sort category.")
    parser.add_argument("--sortReverse", "--reverseSort", dest="sortReverse", action="store_true",
                        default=False, help="Reverse the sort order.")
    parser.add_argument("--categories", dest="categories", type=_categories,
                        default=",".join(category_choices),
                        help="Comma-separated categories to show, among " + ",".join(category_choices) + ".")
    parser.add_argument("--chart", dest="chart", action="append", default=[], metavar="FILE",
                        type=_chart_path,
                        help="Also draw the total time per job type and the number of jobs running over "
                             "the run into FILE; the extension picks the format: .html (a self-contained "
                             "report), .svg, or .png (needs matplotlib). Repeat for several files.")


def build_parser() -> argparse.ArgumentParser:
    parser = parser_with_common_options(jobstore_option=True, prog="toil stats")
    parser.description = ("Report the run time, CPU time, wait time and memory of the jobs of a "
                          "workflow run with --stats.")
    add_stats_options(parser)
    return parser


@command
def main(argv: List[str]) -> int:
    """Reports stats on the workflow, use with --stats option to toil."""
    options = build_parser().parse_args(argv)
    set_logging_from_options(options)
    store = open_store(options.jobStore, f"No job store found at '{options.jobStore}'. Run the "
                       "workflow with --stats (which keeps the job store) before running toil stats.")
    stats = getStats(store)
    if not stats["jobs"]:
        if not store.config.stats:
            raise CommandError(
                f"The workflow in job store '{options.jobStore}' was not run with --stats, so no "
                "statistics were recorded. Rerun the workflow with --stats (which keeps the job "
                "store) and then run toil stats.")
        raise CommandError(
            f"No statistics have been recorded in job store '{options.jobStore}' yet: jobs record "
            "them as they finish. Make sure the workflow was run with --stats.")
    tree = processData(store.config, stats)
    if any(path.lower().endswith(".png") for path in options.chart):
        try:
            check_png_support()
        except ChartError as error:
            raise CommandError(str(error)) from error
    reportData(tree, options)
    write_charts(options.chart, tree, stats["jobs"], options.jobStore)
    return 0


def _chart_path(text: str) -> str:
    try:
        chart_format(text)
    except ChartError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return text


def write_charts(paths: List[str], tree: Dict[str, Any], jobs: List[Dict[str, Any]], job_store: str) -> None:
    """Write the ``--chart`` files (format from each file's extension)."""
    try:
        for path in paths:
            kind = write_chart(path, tree, jobs, title=f"Toil stats: {job_store}")
            logger.info("Wrote the %s chart to %s", kind.upper(), path)
    except ChartError as error:
        raise CommandError(str(error)) from error
