"""The ``--clusterStats`` chart: what the cluster scaler wrote (node counts, wanted counts and
queued jobs at each scaling round) drawn as a self-contained HTML page with two inline SVG step
charts, nodes over the run (one line per node type, the scaler's target dashed) and queued jobs
over the run, above a short summary (peak nodes, node-seconds, peak queue). For people who would
rather look than read the JSON; it is written next to it. Every series also carries its numbers
as ``data-*`` attributes, as ``toil stats --chart`` does.
"""
from __future__ import annotations

import html
import math
from typing import Any, Dict, List, Sequence, Tuple

from toil_core.lib.svg import element, nice_step, plural, seconds_label, text

__all__ = ["cluster_chart_html", "node_seconds", "series"]

WIDTH = 760
PLOT_HEIGHT = 200
MARGIN = 24
LEFT = MARGIN + 50
PALETTE = ["#4c78a8", "#e45756", "#54a24b", "#b279a2", "#9d755d", "#72b7b2"]
QUEUE_COLOR = "#f58518"
AXIS, GRID = "#555555", "#dddddd"

Series = List[Tuple[float, float]]


def series(stats: Dict[str, Any]) -> Tuple[Dict[str, Series], Dict[str, Series], Series]:
    """(nodes per type, wanted per type, queued jobs) as (seconds since the first round, value)."""
    samples = stats.get("samples") or []
    start = samples[0]["time"] if samples else 0.0
    types = list(stats.get("node_types") or [])
    nodes = {t: [(s["time"] - start, float(s["nodes"].get(t, 0))) for s in samples] for t in types}
    wanted = {t: [(s["time"] - start, float(s["wanted"].get(t, 0))) for s in samples] for t in types}
    queued = [(s["time"] - start, float(s["queued_jobs"])) for s in samples]
    return nodes, wanted, queued


def node_seconds(points: Series) -> float:
    """The area under a step series (each value holds until the next round)."""
    return sum(value * (points[i + 1][0] - t) for i, (t, value) in enumerate(points[:-1]))


def _step_points(points: Series, x_of: Any, y_of: Any) -> str:
    out: List[str] = []
    previous = None
    for t, value in points:
        if previous is not None:
            out.append(f"{x_of(t):.2f},{y_of(previous):.2f}")
        out.append(f"{x_of(t):.2f},{y_of(value):.2f}")
        previous = value
    return " ".join(out)


def _panel(title: str, lines: Sequence[Tuple[str, Series, str, bool]], span: float, css: str) -> Tuple[str, int]:
    """One step chart: ``lines`` are (label, points, colour, dashed); returns the group and its height."""
    top = MARGIN + 24
    plot_width = WIDTH - LEFT - MARGIN - 150
    peak = max([v for _, points, _, _ in lines for _, v in points] + [1.0])
    y_step = max(1, int(math.ceil(nice_step(peak, 4))))
    y_max = int(math.ceil(peak / y_step) * y_step)

    def x_of(t: float) -> float:
        return LEFT + plot_width * t / span

    def y_of(v: float) -> float:
        return top + PLOT_HEIGHT - PLOT_HEIGHT * v / y_max

    parts = [f'<g class="{css}">', text(MARGIN, MARGIN + 4, title, size=15, font_weight="bold")]
    for k in range(0, y_max + 1, y_step):
        parts.append(element("line", x1=LEFT, y1=f"{y_of(k):.1f}", x2=LEFT + plot_width, y2=f"{y_of(k):.1f}",
                             stroke=GRID))
        parts.append(text(LEFT - 6, y_of(k) + 4, str(k), anchor="end", size=11))
    x_step = nice_step(span)
    tick = 0
    while tick * x_step <= span * 1.0001:
        parts.append(text(x_of(tick * x_step), top + PLOT_HEIGHT + 17, seconds_label(tick * x_step),
                          anchor="middle", size=11))
        tick += 1
    for index, (label, points, colour, dashed) in enumerate(lines):
        data = " ".join(f"{t:.3f}:{v:g}" for t, v in points)
        extra = {"stroke_dasharray": "6 4"} if dashed else {}
        parts.append(element("polyline", f"{label}: at most {max((v for _, v in points), default=0):g}",
                             class_="series", points=_step_points(points, x_of, y_of), fill="none", stroke=colour,
                             stroke_width=2, data_label=label, data_points=data, **extra))
        legend_y = top + 12 + index * 18
        parts.append(element("line", x1=LEFT + plot_width + 12, y1=legend_y - 4, x2=LEFT + plot_width + 32,
                             y2=legend_y - 4, stroke=colour, stroke_width=2, **extra))
        parts.append(text(LEFT + plot_width + 36, legend_y, label, size=11))
    parts.append(element("line", x1=LEFT, y1=top + PLOT_HEIGHT, x2=LEFT + plot_width, y2=top + PLOT_HEIGHT,
                         stroke=AXIS))
    parts.append(element("line", x1=LEFT, y1=top, x2=LEFT, y2=top + PLOT_HEIGHT, stroke=AXIS))
    parts.append(text(LEFT + plot_width / 2, top + PLOT_HEIGHT + 36, "seconds since the first scaling round",
                      anchor="middle", size=11))
    parts.append("</g>")
    return "\n".join(parts), top + PLOT_HEIGHT + 50


def _svg(body: str, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" role="img">\n'
            f"<title>{html.escape(title, quote=False)}</title>\n"
            f'<rect width="{WIDTH}" height="{height}" fill="white"/>\n{body}\n</svg>')


def cluster_chart_html(stats: Dict[str, Any], title: str = "Cluster over the run") -> str:
    """The page for one ``--clusterStats`` file's contents (``{"node_types", "samples"}``)."""
    nodes, wanted, queued = series(stats)
    samples = stats.get("samples") or []
    span = max(queued[-1][0] if queued else 0.0, 1e-6)
    node_lines = []
    for index, node_type in enumerate(nodes):
        colour = PALETTE[index % len(PALETTE)]
        node_lines.append((f"{node_type} nodes", nodes[node_type], colour, False))
        node_lines.append((f"{node_type} wanted", wanted[node_type], colour, True))
    nodes_svg, nodes_height = _panel("Nodes over the run", node_lines, span, "nodes-chart")
    queue_svg, queue_height = _panel("Queued jobs over the run", [("queued jobs", queued, QUEUE_COLOR, False)],
                                     span, "queue-chart")
    peak_nodes = max((sum(s["nodes"].values()) for s in samples), default=0)
    used = sum(node_seconds(points) for points in nodes.values())
    peak_queue = max((s["queued_jobs"] for s in samples), default=0)
    summary = (f"{plural(len(samples), 'scaling round')} over {seconds_label(span if samples else 0)}; "
               f"peak {plural(int(peak_nodes), 'node')}, {used:.0f} node-seconds, "
               f"at most {plural(int(peak_queue), 'queued job')}.")
    if not samples:
        summary = "The scaler recorded no scaling round: nothing to draw."
    body = f'{nodes_svg}\n<g transform="translate(0,{nodes_height})">\n{queue_svg}\n</g>'
    svg = _svg(body, nodes_height + queue_height, title)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title></head>\n<body style=\"font-family: sans-serif\">\n"
            f"<h1>{html.escape(title)}</h1>\n<p class=\"summary\" data-peak-nodes=\"{int(peak_nodes)}\" "
            f"data-node-seconds=\"{used:.3f}\" data-peak-queued=\"{int(peak_queue)}\">{html.escape(summary)}</p>\n"
            f"{svg}\n</body>\n</html>\n")
