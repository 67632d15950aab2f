"""Upstream ``toil.utils.toilStats`` table helpers: formatting, column widths, headers and rows,
and building summaries ("tags") from job records."""
from __future__ import annotations

import math
import types

import pytest

from toil.utils import toilStats


def opts(**overrides):
    values = dict(pretty=False, categories=["time", "clock", "wait", "memory"], sortCategory="time",
                  sortField="med")
    values.update(overrides)
    return types.SimpleNamespace(**values)


def test_number_time_and_memory_formats():
    assert toilStats.padStr("ab", 5) == "   ab" and toilStats.padStr("abc") == "abc"
    assert toilStats.reportNumber(4.0) == "4" and toilStats.reportNumber(2.5, field=5) == "  2.5"
    assert toilStats.reportTime(3.14159, opts()) == "3.14"
    assert toilStats.reportTime(3.14159, opts(), field=7) == "   3.14"
    assert toilStats.reportTime(192, opts(pretty=True)) == "3m12s"
    assert toilStats.reportMemory(2048, opts()) == "2048K"
    assert toilStats.reportMemory(2048 * 1024, opts(), isBytes=True) == "2048K"
    assert toilStats.reportMemory(1536 * 1024, opts(pretty=True)) == "1.5G"


def test_get_reads_numbers_and_gives_nan_otherwise():
    assert toilStats.get({"time": "2.5"}, "time") == 2.5
    assert math.isnan(toilStats.get({"time": "soon"}, "time"))
    assert math.isnan(toilStats.get({}, "time"))


def test_build_element_summarizes_items_with_wait_as_time_minus_clock():
    element = {}
    tag = toilStats.buildElement(element, [{"time": 4, "clock": 1, "memory": 10},
                                           {"time": 2, "clock": 2}, {"time": 9, "clock": 3, "memory": 30}], "job")
    assert element["job"] is tag
    assert tag.total_number == 3 and tag.name == "job"
    assert (tag.min_time, tag.median_time, tag.max_time, tag.total_time) == (2, 4, 9, 15)
    assert tag.average_time == 5
    assert (tag.min_wait, tag.median_wait, tag.max_wait) == (0, 3, 6)
    assert (tag.min_memory, tag.max_memory) == (0, 30)


def test_build_element_of_nothing_is_zeros_and_negative_values_are_refused():
    tag = toilStats.buildElement({}, [], "worker")
    assert tag.total_number == 0 and tag.max_clock == 0 and tag.average_memory == 0
    with pytest.raises(RuntimeError, match="Negative value"):
        toilStats.buildElement({}, [{"time": -1}], "job")


def test_create_summary_counts_items_per_container():
    element = {}
    workers = [{"jobs": [1, 2, 3]}, {"jobs": [1]}, {"jobs": [1, 2]}]
    toilStats.createSummary(element, workers, "worker", lambda w: w["jobs"])
    assert element == {"median_number_per_worker": 2, "average_number_per_worker": 2.0,
                       "min_number_per_worker": 1, "max_number_per_worker": 3}


def test_column_widths_grow_to_the_widest_value():
    small = toilStats.buildElement({}, [{"time": 1, "clock": 1, "memory": 5}], "a")
    big = toilStats.buildElement({}, [{"time": 123456789.5, "clock": 1, "memory": 5}], "b")
    widths = toilStats.computeColumnWidths([small], big, small, opts())
    assert widths.getWidth("time", "max") == len("123456789.50") + 1
    assert widths.getWidth("clock", "max") == 8  # the default fits
    assert widths.title("clock") == 5 * 8
    widths.setWidth("Memory", "min", 11)
    assert widths.getWidth("memory", "min") == 11


def test_titles_and_sub_headers_mark_the_sort_column():
    assert toilStats.decorateTitle("Time", opts()) == "Time*"
    assert toilStats.decorateTitle("Clock", opts()) == "Clock"
    widths = toilStats.ColumnWidths()
    assert toilStats.decorateSubHeader("Time", widths, opts()).split() == ["|", "min", "med*", "ave", "max", "total"]
    assert "*" not in toilStats.decorateSubHeader("Wait", widths, opts())


def test_sprint_tag_prints_header_sub_header_and_row():
    tag = toilStats.buildElement({}, [{"time": 2, "clock": 1, "memory": 300}] * 2, "job")
    toilStats.createSummary(tag, [[1, 2]], "worker", lambda jobs: jobs)
    text = toilStats.sprintTag("job", tag, opts(categories=["time", "memory"]))
    lines = text.splitlines()
    assert lines[0].split() == ["Worker", "Jobs", "|", "min", "med", "ave", "max"]
    assert lines[1].split() == ["|", "2", "2", "2", "2"]
    assert lines[2].split() == ["Count", "|", "Time*", "|", "Memory"]
    assert lines[3].split() == ["n", "|", "min", "med*", "ave", "max", "total", "|", "min", "med", "ave", "max", "total"]
    assert lines[4].split("|")[0].strip() == "2"
    assert lines[4].split("|")[1].split() == ["2.00", "2.00", "2.00", "2.00", "4.00"]
    assert lines[4].split("|")[2].split() == ["300K", "300K", "300K", "300K", "600K"]


def test_sprint_tag_reads_the_engine_summaries_too():
    from toil_core.cli.stats import processData
    from toil_core.common.config import Config

    records = [{"class_name": "Align", "time": 3.0, "clock": 2.0, "wait": 1.0, "memory": 100.0}]
    tree = processData(Config(), {"workers": [{"time": 3.0, "clock": 2.0, "wait": 1.0,
                                                               "memory": 100.0, "jobs": 1}], "jobs": records})
    row = toilStats.sprintTag("Align", tree["job_types"]["Align"], opts()).splitlines()[-1]
    assert [cell.split() for cell in row.split("|")][1] == ["3.00"] * 5
