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
