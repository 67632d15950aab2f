"""``toil status --dotFile``: the graph of the remaining jobs of a failed workflow drawn by Graphviz.

The drawing tests need Graphviz's ``dot``. The ``graphviz`` fixture installs it with apt-get when the
tests run as root on a Debian-like system (waiting for the dpkg lock another suite may hold), and
skips with the reason otherwise.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from workflows.harness import describe, run_source
from workflows.harness import toil_cli as toil

SVG = "{http://www.w3.org/2000/svg}"

FAILING_WORKFLOW = '''
from toil.common import Toil
from toil.job import Job


def ok(job, x):
    return x


def boom(job):
    raise RuntimeError("deliberate failure 42")


def root(job):
    job.addChildJobFn(boom)
    job.addChildJobFn(ok, 1)
    job.addFollowOnJobFn(ok, 2)


if __name__ == "__main__":
    options = Job.Runner.getDefaultArgumentParser().parse_args()
    with Toil(options) as toil:
        toil.start(Job.wrapJobFn(root))
'''


def _apt_install(package: str) -> str:
    """Install ``package`` with apt-get (root only), waiting up to 10 minutes for the dpkg lock."""
    lock = ["-o", "DPkg::Lock::Timeout=600"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", *lock, "install", "-y", "-qq", "--no-install-recommends", package]
    proc = subprocess.run(install, capture_output=True, text=True, env=env, timeout=1200, check=False)
    if proc.returncode != 0:  # stale package lists: refresh them once and retry
        subprocess.run(["apt-get", *lock, "update", "-qq"], capture_output=True, env=env, timeout=1200,
                       check=False)
        proc = subprocess.run(install, capture_output=True, text=True, env=env, timeout=1200, check=False)
    return "" if proc.returncode == 0 else proc.stderr[-2000:]


@pytest.fixture(scope="session")
def graphviz() -> str:
    """The path of Graphviz's ``dot``, installing Graphviz with apt-get if possible."""
    found = shutil.which("dot")
    if found:
        return found
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("Graphviz's 'dot' is not installed and the tests are not running as root to install it "
                    "(apt install graphviz)")
    if shutil.which("apt-get") is None:
        pytest.skip("Graphviz's 'dot' is not installed and there is no apt-get to install it")
    error = _apt_install("graphviz")
    found = shutil.which("dot")
    if not found:
        pytest.skip(f"Could not install Graphviz with apt-get: {error}")
    return found


@pytest.fixture(scope="module")
def failed_store(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("dot")
    proc = run_source(base, FAILING_WORKFLOW, "--retryCount", "0")
    assert proc.returncode != 0, describe(proc)
    return base


def remaining_jobs(base: Path) -> dict:
    from toil_core.jobstores.locator import open_job_store

    return {job.jobStoreID: job for job in open_job_store(str(base / "js")).jobs()}


def svg_texts(root: ET.Element) -> list:
    return ["".join(text.itertext()) for text in root.iter(f"{SVG}text")]


def test_dot_file_svg_names_every_remaining_job(failed_store, graphviz):
    proc = toil(failed_store, "status", "js", "--dotFile", "graph.svg", "--noAggStats")
    assert proc.returncode == 0, describe(proc)
    root = ET.parse(failed_store / "graph.svg").getroot()  # raises if not well-formed XML
    assert root.tag == f"{SVG}svg"
    jobs = remaining_jobs(failed_store)
    nodes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    assert len(nodes) == len(jobs) == 3
    texts = svg_texts(root)
    for job_id, job in jobs.items():
        assert job_id in texts
        assert job.jobName in texts
    edges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    assert len(edges) == 2  # root -> boom (child) and root -> ok (follow-on); the finished child is gone


def test_dot_file_png_and_pdf(failed_store, graphviz):
    proc = toil(failed_store, "status", "js", "--dotFile", "graph.png", "--noAggStats")
    assert proc.returncode == 0, describe(proc)
    assert (failed_store / "graph.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    proc = toil(failed_store, "status", "js", "--dotFile", "graph.pdf", "--noAggStats")
    assert proc.returncode == 0, describe(proc)
    assert (failed_store / "graph.pdf").read_bytes()[:5] == b"%PDF-"


def test_dot_file_of_selected_jobs(failed_store, graphviz):
    boom = next(job_id for job_id, job in remaining_jobs(failed_store).items() if job.jobName == "boom")
    proc = toil(failed_store, "status", "js", "--dotFile", "boom.svg", "--jobs", boom, "--noAggStats")
    assert proc.returncode == 0, describe(proc)
    root = ET.parse(failed_store / "boom.svg").getroot()
    nodes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    assert len(nodes) == 1 and boom in svg_texts(root)


def test_print_dot_and_dot_file_together(failed_store, graphviz):
    proc = toil(failed_store, "status", "js", "--printDot", "--dotFile", "both.svg", "--noAggStats")
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.startswith("digraph")
    assert (failed_store / "both.svg").stat().st_size > 0


def test_dot_text_file_needs_no_graphviz(failed_store, tmp_path):
    empty_path = tmp_path / "bin"
    empty_path.mkdir()
    proc = toil(failed_store, "status", "js", "--dotFile", "graph.dot", "--noAggStats", path=str(empty_path))
    assert proc.returncode == 0, describe(proc)
    printed = toil(failed_store, "status", "js", "--printDot", "--noAggStats")
    assert (failed_store / "graph.dot").read_text() == printed.stdout


def test_missing_graphviz_says_how_to_install_it(failed_store, tmp_path):
    empty_path = tmp_path / "bin"
    empty_path.mkdir()
    proc = toil(failed_store, "status", "js", "--dotFile", "nodot.svg", path=str(empty_path))
    assert proc.returncode == 1, describe(proc)
    assert "Graphviz" in proc.stderr and "apt install graphviz" in proc.stderr
    assert proc.stdout == ""  # checked before any report is printed
    assert not (failed_store / "nodot.svg").exists()


def test_unknown_graph_format_is_rejected(failed_store):
    proc = toil(failed_store, "status", "js", "--dotFile", "graph.jpeg")
    assert proc.returncode == 2
    assert "graph.jpeg" in proc.stderr and ".svg" in proc.stderr
