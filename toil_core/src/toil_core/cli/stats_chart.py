"""Charts of a workflow's statistics for ``toil stats --chart FILE``.

Two pictures: the total run time of each job type (a bar per type, with its job count), and the
number of jobs running over the run (from each job's recorded start and end). They are written as
one SVG file, as a self-contained HTML report (the SVG inline, a table of the job types, no
external resources), or as a PNG when matplotlib happens to be installed. The format comes from
the file's extension. The numbers drawn are the ones ``toil stats --raw`` reports; each bar and the
concurrency curve also carry them as ``data-*`` attributes.
"""
from __future__ import annotations

import html
import math
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

from toil_core.lib.errors import ToilError
from toil_core.lib.svg import attributes as _attrs
from toil_core.lib.svg import element as _element
from toil_core.lib.svg import nice_step as _nice_step
from toil_core.lib.svg import plural as _plural
from toil_core.lib.svg import seconds_label as _seconds
from toil_core.lib.svg import text as _text

__all__ = ["CHART_FORMATS", "ChartError", "chart_format", "check_png_support", "concurrency", "html_report",
           "job_type_bars", "svg_document", "write_chart"]

CHART_FORMATS = {".svg": "svg", ".html": "html", ".htm": "html", ".png": "png"}

WIDTH = 760
LABEL_WIDTH = 200
BAR_HEIGHT = 22
BAR_GAP = 8
PLOT_HEIGHT = 220
MARGIN = 24
COLORS = {"bar": "#4c78a8", "line": "#f58518", "fill": "#fdd9b5", "axis": "#555555", "grid": "#dddddd"}


class ChartError(ToilError):
    """A chart that can't be written; the message says why and what to do instead."""


def chart_format(path: str) -> str:
    """'svg', 'html' or 'png' from the file name; ChartError for other extensions."""
    extension = os.path.splitext(path)[1].lower()
    if extension not in CHART_FORMATS:
        raise ChartError(f"Can't tell the chart format of '{path}': give a file name ending in "
                         f"{', '.join(sorted(CHART_FORMATS))}.")
    return CHART_FORMATS[extension]


# ------------------------------------------------------------------------------ data
def job_type_bars(tree: Dict[str, Any]) -> List[Tuple[str, int, float]]:
    """``(job type, count, total seconds)`` from the aggregated stats, longest total first."""
    bars = [(name, int(summary["count"]), float(summary["time"]["total"]))
            for name, summary in tree["job_types"].items()]
    return sorted(bars, key=lambda bar: (-bar[2], bar[0]))


def concurrency(jobs: Sequence[Dict[str, Any]]) -> Tuple[float, List[Tuple[float, int]]]:
    """When the first job started (seconds since the epoch) and the steps of the number of jobs
    running: ``(seconds since that start, jobs running from then on)``. A job ending at the moment
    another starts is counted as ended first. ``(0.0, [])`` if no job recorded its times."""
    events: List[Tuple[float, int]] = []
    for job in jobs:
        start, end = job.get("start"), job.get("end")
        if start is None or end is None:
            continue
        events.append((float(start), 1))
        events.append((max(float(start), float(end)), -1))
    if not events:
        return 0.0, []
    events.sort(key=lambda event: (event[0], event[1]))
    origin = events[0][0]
    steps: List[Tuple[float, int]] = []
    running = 0
    for moment, change in events:
        running += change
        offset = moment - origin
        if steps and steps[-1][0] == offset:
            steps[-1] = (offset, running)
        else:
            steps.append((offset, running))
    return origin, steps


# ------------------------------------------------------------------------------ drawing helpers
# ------------------------------------------------------------------------------ the two charts
def bars_svg(bars: List[Tuple[str, int, float]]) -> Tuple[str, int]:
    """The time-per-job-type chart as an SVG group, and its height."""
    top = MARGIN + 20
    height = top + max(1, len(bars)) * (BAR_HEIGHT + BAR_GAP) + MARGIN
    plot_width = WIDTH - LABEL_WIDTH - 2 * MARGIN - 120
    longest = max([total for _, _, total in bars] + [1e-9])
    parts = ['<g class="time-per-job-type">',
             _text(MARGIN, MARGIN + 4, "Total run time per job type", size=15, font_weight="bold")]
    if not bars:
        parts.append(_text(MARGIN, top + BAR_HEIGHT, "No jobs recorded statistics."))
    for index, (name, count, total) in enumerate(bars):
        y = top + index * (BAR_HEIGHT + BAR_GAP)
        width = max(1.0, plot_width * total / longest)
        label = name if len(name) <= 28 else name[:27] + "\u2026"
        parts.append(_text(LABEL_WIDTH + MARGIN - 8, y + BAR_HEIGHT * 0.7, label, anchor="end"))
        parts.append(_element("rect", f"{name}: {_plural(count, 'job')}, {_seconds(total)} in total",
                              class_="bar", x=LABEL_WIDTH + MARGIN, y=y, width=f"{width:.1f}",
                              height=BAR_HEIGHT, fill=COLORS["bar"], data_job_type=name, data_count=count,
                              data_total_seconds=repr(total)))
        parts.append(_text(LABEL_WIDTH + MARGIN + width + 6, y + BAR_HEIGHT * 0.7,
                           f"{_seconds(total)} \u00b7 {_plural(count, 'job')}", class_="bar-label"))
    parts.append("</g>")
    return "\n".join(parts), height


def concurrency_svg(steps: List[Tuple[float, int]], timed_jobs: int) -> Tuple[str, int]:
    """The jobs-running-over-time chart as an SVG group, and its height."""
    left, top = MARGIN + 50, MARGIN + 24
    plot_width = WIDTH - left - MARGIN - 10
    height = top + PLOT_HEIGHT + 50
    parts = ['<g class="concurrency-chart">',
             _text(MARGIN, MARGIN + 4, "Jobs running over the run", size=15, font_weight="bold")]
    if not steps:
        parts.append(_text(MARGIN, top + 30, "No job recorded when it started and ended (stats of an older "
                                              "version): no concurrency to draw."))
        parts.append("</g>")
        return "\n".join(parts), top + 60
    span = max(steps[-1][0], 1e-6)
    peak = max(running for _, running in steps)
    x_step, y_step = _nice_step(span), max(1, int(math.ceil(_nice_step(max(peak, 1), 4))))
    y_max = max(peak, 1)
    y_max = int(math.ceil(y_max / y_step) * y_step)

    def x_of(t: float) -> float:
        return left + plot_width * t / span

    def y_of(n: float) -> float:
        return top + PLOT_HEIGHT - PLOT_HEIGHT * n / y_max

    count = 0
    while count * y_step <= y_max:
        y = y_of(count * y_step)
        parts.append(_element("line", x1=left, y1=f"{y:.1f}", x2=left + plot_width, y2=f"{y:.1f}",
                              stroke=COLORS["grid"]))
        parts.append(_text(left - 6, y + 4, str(count * y_step), anchor="end", size=11))
        count += 1
    tick = 0
    while tick * x_step <= span * 1.0001:
        x = x_of(tick * x_step)
        parts.append(_element("line", x1=f"{x:.1f}", y1=top + PLOT_HEIGHT, x2=f"{x:.1f}",
                              y2=top + PLOT_HEIGHT + 4, stroke=COLORS["axis"]))
        parts.append(_text(x, top + PLOT_HEIGHT + 17, _seconds(tick * x_step), anchor="middle", size=11))
        tick += 1
    points: List[str] = [f"{x_of(0):.2f},{y_of(0):.2f}"]
    previous = 0
    for offset, running in steps:
        x = x_of(offset)
        points.append(f"{x:.2f},{y_of(previous):.2f}")
        points.append(f"{x:.2f},{y_of(running):.2f}")
        previous = running
    outline = " ".join(points)
    data = " ".join(f"{offset!r}:{running}" for offset, running in steps)
    parts.append(_element("polygon", points=f"{outline} {x_of(span):.2f},{y_of(0):.2f}", fill=COLORS["fill"],
                          stroke="none"))
    parts.append(_element("polyline", f"at most {_plural(peak, 'job')} running at once", class_="concurrency",
                          points=outline, fill="none", stroke=COLORS["line"], stroke_width=2, data_peak=peak,
                          data_jobs=timed_jobs, data_span_seconds=repr(span), data_steps=data))
    parts.append(_element("line", x1=left, y1=top, x2=left, y2=top + PLOT_HEIGHT, stroke=COLORS["axis"]))
    parts.append(_element("line", x1=left, y1=top + PLOT_HEIGHT, x2=left + plot_width, y2=top + PLOT_HEIGHT,
                          stroke=COLORS["axis"]))
    parts.append(_text(left + plot_width / 2, top + PLOT_HEIGHT + 36, "seconds since the first job started",
                       anchor="middle", size=11))
    parts.append(_text(left + plot_width, top - 8, f"peak: {_plural(peak, 'job')} running",
                       anchor="end", size=11, class_="peak-label"))
    parts.append("</g>")
    return "\n".join(parts), height


def _charts(tree: Dict[str, Any], jobs: Sequence[Dict[str, Any]]) -> Tuple[str, str, int, int]:
    bars, bars_height = bars_svg(job_type_bars(tree))
    _, steps = concurrency(jobs)
    timed = sum(1 for job in jobs if job.get("start") is not None and job.get("end") is not None)
    curve, curve_height = concurrency_svg(steps, timed)
    return bars, curve, bars_height, curve_height


def _svg(body: str, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" role="img">\n'
            f"<title>{html.escape(title, quote=False)}</title>\n"
            f'<rect width="{WIDTH}" height="{height}" fill="white"/>\n{body}\n</svg>\n')


def svg_document(tree: Dict[str, Any], jobs: Sequence[Dict[str, Any]], title: str) -> str:
    """One standalone SVG with both charts, one above the other."""
    bars, curve, bars_height, curve_height = _charts(tree, jobs)
    body = f'{bars}\n<g transform="translate(0,{bars_height})">\n{curve}\n</g>'
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + _svg(body, bars_height + curve_height, title)


def html_report(tree: Dict[str, Any], jobs: Sequence[Dict[str, Any]], title: str) -> str:
    """A self-contained HTML page: a summary, both charts (inline SVG) and a table of job types."""
    bars, curve, bars_height, curve_height = _charts(tree, jobs)
    _, steps = concurrency(jobs)
    peak = max([running for _, running in steps] + [0])
    span = steps[-1][0] if steps else 0.0
    rows = []
    for name, summary in sorted(tree["job_types"].items(), key=lambda item: -item[1]["time"]["total"]):
        time_ = summary["time"]
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in (
            name, summary["count"], f"{time_['total']:.3f}", f"{time_['med']:.3f}", f"{time_['max']:.3f}",
            f"{summary['clock']['total']:.3f}", f"{summary['memory']['max']:.0f}K")) + "</tr>")
    facts = [("Batch system", tree["batch_system"]), ("Jobs", tree["job"]["count"]),
             ("Workers", tree["worker"]["count"]),
             ("Total run time of the workers", _seconds(tree["total_run_time"])),
             ("Total CPU time of the workers", _seconds(tree["total_clock"])),
             ("First job start to last job end", _seconds(span)), ("Most jobs running at once", peak)]
    escaped = html.escape(title)
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{escaped}</title>",
        "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child"
        "{text-align:left}dt{font-weight:bold;float:left;clear:left;width:18em}dd{margin-left:18em}</style>",
        "</head>", "<body>", f"<h1>{escaped}</h1>",
        "<dl>" + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>" for k, v in facts)
        + "</dl>",
        "<h2>Time per job type</h2>", _svg(bars, bars_height, "Total run time per job type"),
        "<h2>Concurrency</h2>", _svg(curve, curve_height, "Jobs running over the run"),
        "<h2>Job types</h2>",
        "<table><thead><tr><th>Job type</th><th>Jobs</th><th>Total s</th><th>Median s</th><th>Max s</th>"
        "<th>CPU s</th><th>Max memory</th></tr></thead>", "<tbody>", *rows, "</tbody></table>",
        "</body>", "</html>", ""])


def check_png_support() -> Any:
    """matplotlib's pyplot (with a file-only backend); ChartError if matplotlib is not installed."""
    try:
        import matplotlib  # lazy: matplotlib is an optional dependency, only for .png charts

        matplotlib.use("Agg")
        from matplotlib import pyplot  # lazy: matplotlib is an optional dependency, only for .png charts
    except ImportError as error:
        raise ChartError(f"Writing a PNG chart needs matplotlib, which is not installed ({error}). "
                         "Install it with 'pip install matplotlib', or write an .svg or .html chart "
                         "instead (they need nothing else).") from error
    return pyplot


def _png(path: str, tree: Dict[str, Any], jobs: Sequence[Dict[str, Any]], title: str) -> None:
    pyplot = check_png_support()
    bars = job_type_bars(tree)
    _, steps = concurrency(jobs)
    figure, (top, bottom) = pyplot.subplots(2, 1, figsize=(9, 3 + 0.35 * len(bars) + 3))
    names = [name for name, _, _ in bars][::-1]
    top.barh(names, [total for _, _, total in bars][::-1], color=COLORS["bar"])
    top.set_title("Total run time per job type")
    top.set_xlabel("seconds")
    if steps:
        bottom.step([0.0] + [t for t, _ in steps], [0] + [n for _, n in steps], where="post",
                    color=COLORS["line"])
    bottom.set_title("Jobs running over the run")
    bottom.set_xlabel("seconds since the first job started")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, format="png")
    pyplot.close(figure)


def write_chart(path: str, tree: Dict[str, Any], jobs: Sequence[Dict[str, Any]],
                title: Optional[str] = None) -> str:
    """Write the charts to ``path`` in the format its extension names; returns the format."""
    kind = chart_format(path)
    title = title or "Workflow statistics"
    if kind == "png":
        _png(path, tree, jobs, title)
        return kind
    text = svg_document(tree, jobs, title) if kind == "svg" else html_report(tree, jobs, title)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ChartError(f"Can't write the chart '{path}': the directory {directory} does not exist.")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return kind
