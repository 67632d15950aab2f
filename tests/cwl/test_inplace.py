"""InplaceUpdateRequirement: a tool's in-place update is seen by the steps that come after it.

The workflows in data/inplace read the updated value with CommandLineTools (no Node.js needed);
cwltool refuses that (its mutation manager only lets ExpressionTools read an older copy of an
updated value), toil-cwl-runner gives them the new content, as the same path would under cwltool.
The official suite's two ``inplace_update`` tests run in test_conformance_quick.py.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from toil_cwl_test_helpers import DATA

INPLACE = DATA / "inplace"


def test_file_update_is_seen_through_every_copy_of_the_value(run_cwl):
    run = run_cwl(INPLACE / "file-wf.cwl")
    # step3 holds step1's value, step4 step2's output: both see the rewritten, longer file.
    assert run.output == {"a": "4000\n", "b": "4000\n"}


def test_directory_update_is_seen_through_every_copy_of_the_value(run_cwl):
    run = run_cwl(INPLACE / "dir-wf.cwl")
    listing = "blurb:\nchanged:\nnew, longer\nkept:\nold\n"
    assert run.output == {"a": listing, "b": listing}


def test_a_top_level_tool_updates_the_job_store_copy_not_the_users_file(run_cwl, tmp_path):
    number = tmp_path / "number.txt"
    number.write_text("3\n")
    job = tmp_path / "job.yml"
    job.write_text(f"r: {{class: File, path: {number}}}\n")
    run = run_cwl(INPLACE / "bump-file.cwl", job)
    out = run.output["out"]
    assert Path(out["path"]).read_text() == "4000\n" and out["size"] == 5
    assert number.read_text() == "3\n"


def test_without_the_requirement_writable_inputs_are_copies(run_cwl, tmp_path):
    """The same update without InplaceUpdateRequirement changes a copy: step1's value stays."""
    data = tmp_path / "inplace"
    data.mkdir()
    for path in INPLACE.glob("*.cwl"):
        text = path.read_text()
        if path.name == "bump-file.cwl":
            text = text.replace("  InplaceUpdateRequirement:\n    inplaceUpdate: true\n", "")
        (data / path.name).write_text(text)
    assert "Inplace" not in (data / "bump-file.cwl").read_text()
    run = run_cwl(data / "file-wf.cwl")
    assert run.output == {"a": "3\n", "b": "4000\n"}


# ------------------------------------------------------------------------------------------------
# Redirects on a real file job store
# ------------------------------------------------------------------------------------------------

@pytest.fixture
def job_store(tmp_path):
    from toil.common import Config
    from toil.jobStores.fileJobStore import FileJobStore

    store = FileJobStore(str(tmp_path / "js"))
    store.initialize(Config())
    return store


def _file_uri(job_store, content: bytes, name: str) -> str:
    from toil.fileStores import FileID
    from toil_cwl.locations import file_uri_for

    with job_store.write_file_stream() as (handle, file_id):
        handle.write(content)
    return file_uri_for(FileID(file_id, len(content)), name)


def test_redirects_follow_chains_and_keep_the_holders_name(job_store):
    from toil_cwl.inplace import Redirects

    first, second, third = (_file_uri(job_store, b"x" * n, f"v{n}") for n in (1, 2, 3))
    Redirects(job_store, "job-a").record(first, second)
    Redirects(job_store, "job-b").record(second, third)
    seen = Redirects(job_store, "job-c").current(first)
    assert seen.rsplit("/", 1)[0] == third.rsplit("/", 1)[0]
    assert seen.rsplit("/", 1)[1] == "v1"


def test_a_retried_job_ignores_the_update_its_earlier_attempt_recorded(job_store):
    from toil_cwl.inplace import Redirects

    old, new = _file_uri(job_store, b"3", "n"), _file_uri(job_store, b"4", "n")
    attempt = Redirects(job_store, "job-a")
    attempt.record(old, new)
    assert attempt.current(old) == new  # the attempt itself sees its update
    assert Redirects(job_store, "job-a").current(old) == old  # its retry starts from the original
    assert Redirects(job_store, "job-b").current(old) == new


def test_directory_redirects_apply_below_the_directory_too(job_store):
    from toil_cwl.inplace import Redirects, new_nonce
    from toil_cwl.locations import dir_uri, resolve_entry

    kept = _file_uri(job_store, b"k", "kept")
    old = dir_uri({"kept": kept}, "d", new_nonce())
    added = _file_uri(job_store, b"a", "added")
    new = dir_uri({"kept": kept, "sub": {"added": added}}, "d", new_nonce())
    twin = dir_uri({"kept": kept}, "d", new_nonce())  # same content, another value
    Redirects(job_store, "job-a").record(old, new)
    view = Redirects(job_store, "job-b")
    assert resolve_entry(view.current(old + "/sub/added")) == ("file", added)
    assert view.current(old).rsplit("/", 1)[1] == "d"
    assert view.current(twin) == twin
