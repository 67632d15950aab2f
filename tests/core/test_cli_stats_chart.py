"""``toil stats --chart``: the SVG and HTML charts of real workflow runs (one failed), checked against the
numbers of ``toil stats --raw`` and against the start and end times the workers recorded."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from workflows.harness import describe
from workflows.harness import run_source as run_workflow
from workflows.harness import toil_cli as toil

SVG = "{http://www.w3.org/2000/svg}"

# Two "meet" jobs wait for each other, so they are running at the same time however loaded the
# machine is; the root ("setup") ends before they start and its follow-on ("summary") starts after.
RENDEZVOUS_WORKFLOW = '''
import os
import time

from toil.common import Toil
from toil.job import Job


class Meet(Job):
    def __init__(self, directory, me, other):
        super().__init__(cores=0.5, memory="50M", displayName="meet")
        self.directory, self.me, self.other = directory, me, other

    def run(self, fileStore):
        open(os.path.join(self.directory, self.me), "w").close()
        deadline = time.time() + 120
        while not os.path.exists(os.path.join(self.directory, self.other)):
            if time.time() > deadline:
                raise RuntimeError("the other meet job never started")
            time.sleep(0.02)
        return self.me


class Count(Job):
    def __init__(self, n, name):
        super().__init__(cores=0.5, memory="50M", displayName=name)
        self.n = n

    def run(self, fileStore):
        return sum(range(self.n))


if __name__ == "__main__":
    options = Job.Runner.getDefaultArgumentParser().parse_args()
    directory = os.path.abspath("rendezvous")
    os.makedirs(directory, exist_ok=True)
    root = Count(1000, "setup")
    root.addChild(Meet(directory, "a", "b"))
    root.addChild(Meet(directory, "b", "a"))
    root.addFollowOn(Count(200000, "summary"))
    with Toil(options) as toil:
        toil.start(root)
'''

FAILING_WORKFLOW = '''
from toil.common import Toil
from toil.job import Job


class Step(Job):
    def __init__(self, name, fail=False):
        super().__init__(displayName=name)
        self.fail = fail

    def run(self, fileStore):
        if self.fail:
            raise RuntimeError("deliberate failure 42")
        return 1


if __name__ == "__main__":
    options = Job.Runner.getDefaultArgumentParser().parse_args()
    root = Step("prepare")
    root.addChild(Step("broken", fail=True))
    root.addChild(Step("fine"))
    root.addChild(Step("fine"))
    with Toil(options) as toil:
        toil.start(root)
'''


@pytest.fixture(scope="module")
def rendezvous(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("chart")
    proc = run_workflow(base, RENDEZVOUS_WORKFLOW, "--stats")
    assert proc.returncode == 0, describe(proc)
    return base


@pytest.fixture(scope="module")
def failed(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("chart_failed")
    proc = run_workflow(base, FAILING_WORKFLOW, "--stats", "--retryCount", "0")
    assert proc.returncode != 0, describe(proc)
    return base


def raw_stats(base: Path) -> dict:
    proc = toil(base, "stats", "js", "--raw")
    assert proc.returncode == 0, describe(proc)
    return json.loads(proc.stdout)


def recorded_job_times(base: Path) -> list:
    """(start, end) of every job, read straight from the stats blobs of the job store."""
    from toil_core.jobstores.locator import open_job_store

    times = []

    def collect(handle):
        blob = json.loads(handle.read())
        for job in blob.get("jobs") or []:
            times.append((job["start"], job["end"]))

    open_job_store(str(base / "js")).read_logs(collect, read_all=True)
    return times


def bars_of(root: ET.Element) -> dict:
    return {rect.get("data-job-type"): rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "bar"}


def curve_of(root: ET.Element) -> ET.Element:
    curves = [line for line in root.iter(f"{SVG}polyline") if line.get("class") == "concurrency"]
    assert len(curves) == 1
    return curves[0]


class _Checker(HTMLParser):
    """Checks that tags nest and close properly and collects what would load external resources."""

    VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "embed", "source", "track",
            "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list = []
        self.errors: list = []
        self.external: list = []
        self.tags: list = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href") and value and not value.startswith(("#", "data:")):
                self.external.append((tag, name, value))
        if tag in ("link", "script", "iframe", "object", "img"):
            self.external.append((tag, "tag", ""))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href") and value and not value.startswith(("#", "data:")):
                self.external.append((tag, name, value))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}>, open: {self.stack[-3:]}")
        else:
            self.stack.pop()


# ------------------------------------------------------------------------------------------- SVG
def test_svg_bars_match_the_stats(rendezvous):
    proc = toil(rendezvous, "stats", "js", "--chart", "chart.svg")
    assert proc.returncode == 0, describe(proc)
    assert "Batch System: single_machine" in proc.stdout  # the table is still printed
    root = ET.parse(rendezvous / "chart.svg").getroot()
    assert root.tag == f"{SVG}svg"
    raw = raw_stats(rendezvous)
    bars = bars_of(root)
    assert set(bars) == set(raw["job_types"]) == {"setup", "meet", "summary"}
    for name, rect in bars.items():
        assert int(rect.get("data-count")) == raw["job_types"][name]["count"]
        assert float(rect.get("data-total-seconds")) == pytest.approx(raw["job_types"][name]["time"]["total"])
        assert f"{raw['job_types'][name]['count']} job" in "".join(rect.find(f"{SVG}title").itertext())
    widths = {name: float(rect.get("width")) for name, rect in bars.items()}
    longest = max(raw["job_types"], key=lambda name: raw["job_types"][name]["time"]["total"])
    assert max(widths, key=widths.get) == longest


def test_svg_concurrency_matches_the_recorded_job_times(rendezvous):
    proc = toil(rendezvous, "stats", "js", "--chart", "chart.svg")
    assert proc.returncode == 0, describe(proc)
    curve = curve_of(ET.parse(rendezvous / "chart.svg").getroot())
    times = recorded_job_times(rendezvous)
    assert len(times) == 4 and int(curve.get("data-jobs")) == 4
    # Independent count: how many jobs run at each job's start (a job ending then is not running).
    peak = max(sum(1 for s, e in times if s <= start < e) for start, _ in times)
    assert int(curve.get("data-peak")) == peak == 2  # the two meet jobs, and only they, overlap
    span = max(e for _, e in times) - min(s for s, _ in times)
    assert float(curve.get("data-span-seconds")) == pytest.approx(span)
    steps = [tuple(map(float, step.split(":"))) for step in curve.get("data-steps").split()]
    assert steps[0] == (0.0, 1.0) and steps[-1][1] == 0
    origin = min(s for s, _ in times)
    for offset, running in steps:  # every step agrees with the recorded times (as offsets from the origin)
        assert running == sum(1 for s, e in times if s - origin <= offset < e - origin)


# ------------------------------------------------------------------------------------------ HTML
def test_html_report_is_self_contained_and_well_formed(rendezvous):
    proc = toil(rendezvous, "stats", "js", "--chart", "report.html")
    assert proc.returncode == 0, describe(proc)
    text = (rendezvous / "report.html").read_text()
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    assert checker.external == []
    assert text.startswith("<!DOCTYPE html>") and checker.tags.count("svg") == 2
    svgs = [ET.fromstring(block) for block in re.findall(r"<svg .*?</svg>", text, flags=re.S)]
    assert len(svgs) == 2
    raw = raw_stats(rendezvous)
    bars = bars_of(svgs[0])
    assert {name: int(rect.get("data-count")) for name, rect in bars.items()} == {
        name: summary["count"] for name, summary in raw["job_types"].items()}
    assert int(curve_of(svgs[1]).get("data-peak")) == 2
    for name in raw["job_types"]:  # the table has a row per job type with its count
        assert re.search(rf"<tr><td>{name}</td><td>{raw['job_types'][name]['count']}</td>", text)


def test_several_charts_at_once(rendezvous):
    proc = toil(rendezvous, "stats", "js", "--chart", "one.svg", "--chart", "two.html",
                "--outputFile", "table.txt")
    assert proc.returncode == 0, describe(proc)
    ET.parse(rendezvous / "one.svg")
    assert (rendezvous / "two.html").read_text().startswith("<!DOCTYPE html>")
    assert (rendezvous / "table.txt").read_text().startswith("Batch System:")


# ---------------------------------------------------------------------------------- failed run
def test_chart_of_a_failed_run_shows_the_jobs_that_finished(failed):
    proc = toil(failed, "stats", "js", "--chart", "failed.svg")
    assert proc.returncode == 0, describe(proc)
    bars = bars_of(ET.parse(failed / "failed.svg").getroot())
    raw = raw_stats(failed)
    assert {name: int(rect.get("data-count")) for name, rect in bars.items()} == {"prepare": 1, "fine": 2}
    assert {name: summary["count"] for name, summary in raw["job_types"].items()} == {"prepare": 1, "fine": 2}


# -------------------------------------------------------------------------------------- formats
def test_png_chart_with_matplotlib(rendezvous):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed: PNG charts are optional")
    proc = toil(rendezvous, "stats", "js", "--chart", "chart.png")
    assert proc.returncode == 0, describe(proc)
    assert (rendezvous / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_png_chart_without_matplotlib_says_what_to_do(rendezvous):
    try:
        import matplotlib  # noqa: F401
        pytest.skip("matplotlib is installed: the PNG chart is drawn instead")
    except ImportError:
        pass
    proc = toil(rendezvous, "stats", "js", "--chart", "nope.png")
    assert proc.returncode == 1
    assert "matplotlib" in proc.stderr and ".svg" in proc.stderr
    assert proc.stdout == ""  # nothing printed before the error
    assert not (rendezvous / "nope.png").exists()


def test_unknown_chart_format_is_rejected(rendezvous):
    proc = toil(rendezvous, "stats", "js", "--chart", "chart.pdf")
    assert proc.returncode == 2
    assert "chart.pdf" in proc.stderr and ".html" in proc.stderr


# ------------------------------------------------------------------------------------ the maths
def test_concurrency_steps_of_known_intervals():
    from toil_core.cli.stats_chart import concurrency

    jobs = [{"start": 100.0, "end": 102.0}, {"start": 101.0, "end": 103.0}, {"start": 103.0, "end": 104.0},
            {"start": None, "end": None}]
    origin, steps = concurrency(jobs)
    assert origin == 100.0
    assert steps == [(0.0, 1), (1.0, 2), (2.0, 1), (3.0, 1), (4.0, 0)]


def test_stats_without_job_times_draw_a_note():
    from toil_core.cli.stats_chart import svg_document

    tree = {"job_types": {"old": {"count": 1, "time": {"total": 1.5}}}}
    root = ET.fromstring(svg_document(tree, [{"start": None, "end": None}], "old stats").split("\n", 1)[1])
    assert not [line for line in root.iter(f"{SVG}polyline")]
    assert any("No job recorded when it started" in "".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    assert float(bars_of(root)["old"].get("data-total-seconds")) == 1.5


# ------------------------------------------------------------------------------------ the README
ROOT = Path(__file__).resolve().parents[2]


def test_readme_pictures_are_real_charts():
    readme = (ROOT / "README.md").read_text()
    for name in ("docs/stats-chart.svg", "docs/status-graph.svg"):
        assert f"]({name})" in readme
        assert ET.parse(ROOT / name).getroot().tag == f"{SVG}svg"
    chart = ET.parse(ROOT / "docs" / "stats-chart.svg").getroot()
    bars = bars_of(chart)
    # The chart and the README's table come from the same run: same job counts per type.
    for name, rect in bars.items():
        block = re.search(rf"^{name}\n.*\n.*\n\s+(\d+) \|", readme, flags=re.M)
        assert block and int(block.group(1)) == int(rect.get("data-count")), name
    assert int(curve_of(chart).get("data-peak")) >= 2


def test_readme_demo_workflow_runs(tmp_path):
    demo = (ROOT / "docs" / "stats_demo.py").read_text()
    proc = run_workflow(tmp_path, demo, "--stats", "--limit", "20000", "--chunks", "3")
    assert proc.returncode == 0, describe(proc)
    assert "2262 primes below 20000" in proc.stdout
    chart = toil(tmp_path, "stats", "js", "--chart", "demo.svg")
    assert chart.returncode == 0, describe(chart)
    bars = bars_of(ET.parse(tmp_path / "demo.svg").getroot())
    assert {name: int(rect.get("data-count")) for name, rect in bars.items()} == {
        "prepare": 1, "countPrimes": 3, "report": 1}
