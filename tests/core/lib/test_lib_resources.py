"""Tests for toil_core.lib.resources."""
import os
import subprocess
import sys

from toil_core.lib.resources import get_total_cpu_time, get_total_cpu_time_and_memory_usage, glob


def test_cpu_time_and_memory_types():
    cpu, rss = get_total_cpu_time_and_memory_usage()
    assert isinstance(cpu, float) and cpu > 0
    assert isinstance(rss, int) and rss > 1024  # a Python process uses more than 1 MiB


def test_cpu_time_includes_children():
    before = get_total_cpu_time()
    subprocess.run([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"], check=True)
    assert get_total_cpu_time() - before > 0.05


def test_glob_finds_nested_files(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for rel in ["x.txt", "a/y.txt", "a/b/z.txt", "a/b/w.dat"]:
        (tmp_path / rel).write_text("")
    found = glob("*.txt", str(tmp_path))
    assert sorted(os.path.relpath(p, tmp_path) for p in found) == ["a/b/z.txt", "a/y.txt", "x.txt"]
    assert all(os.path.isabs(p) for p in found)


def test_glob_no_matches(tmp_path):
    assert glob("*.none", str(tmp_path)) == []
