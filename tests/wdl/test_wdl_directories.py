"""Directory values (WDL ``version development``) moved through the job store: a directory a task
makes, passed to another task together with a file from inside it, a directory given as an input
from the host, and directories returned as workflow outputs (copied to the output directory)."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import DATA

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def dirs_run(tmp_path_factory):
    """One run of directories.wdl, shared by the tests below."""
    import json
    import subprocess

    from conftest import runner_command, wdl_env

    tmp = tmp_path_factory.mktemp("dirs")
    given = tmp / "given"
    (given / "deeper").mkdir(parents=True)
    (given / "given.txt").write_text("from the host\n")
    (given / "deeper" / "c.txt").write_text("c\n")
    out = tmp / "out"
    command = runner_command() + ["--jobStore", f"file:{tmp / 'store'}", "-o", str(out), "--retryCount", "0",
                                  "--container", "none", str(DATA / "directories.wdl"),
                                  "-i", json.dumps({"dirs.given": "given"})]
    proc = subprocess.run(command, cwd=tmp, env=wdl_env(tmp), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-6000:]
    return json.loads(proc.stdout), out


def _tree(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.read_text() if p.is_file() else None) for p in sorted(root.rglob("*"))}


def test_directory_output_is_copied_with_its_tree(dirs_run):
    result, out = dirs_run
    made = Path(result["dirs.made"])
    assert made.parent == out and made.name == "out"
    assert _tree(made) == {"a.txt": "hello\n", "sub": None, "sub/b.txt": "world\n"}


def test_directory_reaches_the_next_task_whole(dirs_run):
    result, _ = dirs_run
    lines = Path(result["dirs.listing"]).read_text().splitlines()
    assert lines[:4] == [".", "./a.txt", "./sub", "./sub/b.txt"]


def test_file_from_inside_a_directory_is_placed_inside_it(dirs_run):
    result, _ = dirs_run
    assert "inner file inside its directory" in Path(result["dirs.listing"]).read_text()


def test_directory_input_from_the_host(dirs_run):
    result, _ = dirs_run
    lines = Path(result["dirs.listing"]).read_text().splitlines()
    assert lines[4:6] == ["./deeper/c.txt", "./given.txt"] and lines[-1] == "from the host"


def test_directory_input_passed_through_a_task_output(dirs_run):
    result, _ = dirs_run
    assert _tree(Path(result["dirs.passed_on"])) == _tree(Path(result["dirs.made"]))


def test_missing_directory_input_is_one_clear_error(run_wdl):
    run = run_wdl(DATA / "directories.wdl", "-i", '{"dirs.given": "no-such-folder"}', check=False)
    assert run.returncode == 1
    assert "input directory not found: no-such-folder" in run.stderr and "Traceback" not in run.stderr
