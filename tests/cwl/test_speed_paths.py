"""The fast paths of toil-cwl-runner: scatter elements batched into jobs, and the disk cache of the
built CWL schemas (see bench/cwl_cases.py for what they are worth)."""
from __future__ import annotations

import json
from pathlib import Path

from toil_cwl.jobs import batch_size

MESSAGES = [f"m{i}" for i in range(11)]
KEEP = [i % 4 != 1 for i in range(11)]  # elements 1, 5 and 9 are skipped by `when`


def test_batch_size_keeps_four_jobs_per_slot():
    settings = {"scatter_batch_size": 50, "limits": {"cores": 2}}
    assert batch_size(8, {"cores": 1}, settings) == 1  # no more elements than 4 jobs per slot
    assert batch_size(9, {"cores": 1}, settings) == 2
    assert batch_size(200, {"cores": 1}, settings) == 25
    assert batch_size(1000, {"cores": 1}, settings) == 50  # capped by --scatter-batch-size
    assert batch_size(1000, {"cores": 1}, dict(settings, scatter_batch_size=1)) == 1
    assert batch_size(40, {"cores": 2}, settings) == 10  # one slot only


def _write_inputs(tmp_path: Path) -> Path:
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps({"messages": MESSAGES, "keep": KEEP}))
    return inputs


def _contents(output):
    return [None if f is None else Path(f["path"]).read_text() for f in output["outs"]]


def test_batched_scatter_keeps_element_order_and_skips(run_cwl, data_dir, tmp_path):
    # --maxCores 1: 4 jobs wanted, 8 elements run -> batches of 2 (and one of the skipped are nulls).
    run = run_cwl(data_dir / "echo-when.cwl", _write_inputs(tmp_path), extra=["--maxCores", "1"])
    assert _contents(run.output) == [m + "\n" if keep else None for m, keep in zip(MESSAGES, KEEP)]


def test_unbatched_scatter_gives_the_same_outputs(run_cwl, data_dir, tmp_path):
    run = run_cwl(data_dir / "echo-when.cwl", _write_inputs(tmp_path),
                  extra=["--maxCores", "1", "--scatter-batch-size", "1"])
    assert _contents(run.output) == [m + "\n" if keep else None for m, keep in zip(MESSAGES, KEEP)]


def test_schema_cache_is_written_then_used_and_still_validates(run_cwl, data_dir, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    first = run_cwl("--validate", data_dir / "upper.cwl", check=False)
    assert first.returncode == 0, first.stderr[-3000:]
    written = sorted(p.name for p in (cache / "toil-cwl").glob("schema-*.pickle"))
    assert any(name.startswith("schema-v1.0-") for name in written), written
    bad = data_dir / "bad.cwl"
    bad.write_text((data_dir / "upper.cwl").read_text() + "\nnotAField: 1\n")
    second = run_cwl("--validate", bad, check=False)
    assert second.returncode == 1
    assert "notAField" in second.stderr
    assert sorted(p.name for p in (cache / "toil-cwl").glob("schema-*.pickle")) == written


def test_exported_outputs_of_one_name_get_numbered_names(tmp_path):
    from toil_cwl.staging import Exporter

    def literal(name, text):
        return {"class": "File", "location": "_:", "basename": name, "contents": text}

    # A file literally named out.txt_3 comes between the numbered ones: it keeps its name and
    # the numbering goes around it.
    files = [literal("out.txt", "a"), literal("out.txt", "b"), literal("out.txt_3", "c"),
             literal("out.txt", "d"), literal("out.txt", "e")]
    Exporter(lambda file_id, url: None, str(tmp_path)).export({"outs": files})
    names = [Path(f["path"]).name for f in files]
    assert names == ["out.txt", "out.txt_2", "out.txt_3", "out.txt_4", "out.txt_5"]
    assert [Path(f["path"]).read_text() for f in files] == ["a", "b", "c", "d", "e"]


def test_quiet_sets_cwltools_log_level_in_the_jobs(monkeypatch):
    import logging

    from toil_cwl.jobs import _log_once

    cwl_logger = logging.getLogger("cwltool")
    saved = cwl_logger.level
    monkeypatch.setattr(cwl_logger, "propagate", cwl_logger.propagate)
    try:
        cwl_logger.setLevel(logging.INFO)
        _log_once({"cwl_log_level": None})
        assert cwl_logger.level == logging.INFO
        _log_once({"cwl_log_level": logging.WARNING})
        assert cwl_logger.level == logging.WARNING
    finally:
        cwl_logger.setLevel(saved)  # setLevel, not a plain restore: it also clears the level cache


CHAIN_INPUTS = {"messages": MESSAGES, "keep": KEEP, "suffix": "!"}


def _load_workflow(path: Path):
    from cwltool.context import LoadingContext
    from cwltool.load_tool import load_tool

    return load_tool(str(path), LoadingContext())


def _chain_ids(workflow):
    from cwltool.process import shortname

    from toil_cwl.chains import plan_chains

    return [[shortname(step.id) for step in chain] for chain in plan_chains(workflow)]


def test_aligned_scatters_form_one_chain_and_a_whole_array_reader_stays_out(data_dir):
    assert _chain_ids(_load_workflow(data_dir / "chain.cwl")) == [["echo", "shout", "count"]]


def test_a_step_reading_a_chain_output_whole_does_not_join_the_chain(data_dir):
    # count also reads shout's whole output array: it must wait for the whole scatter.
    text = (data_dir / "chain.cwl").read_text()
    text = text.replace("        text: {type: \"File?\"}\n      stdin:",
                        "        text: {type: \"File?\"}\n        all: {type: Any}\n      stdin:")
    text = text.replace("      text: shout/out\n    out: [out]\n  total:",
                        "      text: shout/out\n      all: shout/out\n    out: [out]\n  total:")
    (data_dir / "chain2.cwl").write_text(text)
    assert _chain_ids(_load_workflow(data_dir / "chain2.cwl")) == [["echo", "shout"]]


def _chain_contents(output):
    def read(f):
        return None if f is None else Path(f["path"]).read_text()

    return {key: [read(f) for f in output[key]] for key in ("echoed", "counts")} | {
        "total": read(output["total"])}


def test_chained_scatter_gives_cwls_outputs_with_skips_and_shared_inputs(run_cwl, data_dir, tmp_path):
    inputs = tmp_path / "chain.json"
    inputs.write_text(json.dumps(CHAIN_INPUTS))
    chained = run_cwl(data_dir / "chain.cwl", inputs, extra=["--maxCores", "1"])
    kept = [m for m, keep in zip(MESSAGES, KEEP) if keep]
    assert _chain_contents(chained.output) == {
        "echoed": [m + "\n" if keep else None for m, keep in zip(MESSAGES, KEEP)],
        "counts": [f"{len(m) + 3}\n" if keep else None for m, keep in zip(MESSAGES, KEEP)],
        "total": "".join(f"{m} !\n" for m in kept)}
    assert "+shout+count" in chained.stderr  # the chain ran as one unit (its jobs' names)


def test_chains_waiting_on_each_other_run_one_scatter_at_a_time(run_cwl, data_dir, tmp_path):
    workflow = data_dir / "crossed-chains.cwl"
    assert sorted(_chain_ids(_load_workflow(workflow))) == [["a", "b"], ["c", "d"]]
    inputs = tmp_path / "crossed.json"
    inputs.write_text(json.dumps({"messages": MESSAGES}))
    run = run_cwl(workflow, inputs, extra=["--maxCores", "1"])
    everything = "".join(m + "\n" for m in MESSAGES)
    for key in ("b_out", "d_out"):
        assert [Path(f["path"]).read_text() for f in run.output[key]] == [m + "\n" + everything for m in MESSAGES]
    assert "+b" not in run.stderr and "+d" not in run.stderr  # no chain job ran
