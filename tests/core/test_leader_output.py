"""What the leader shows: job messages in its log (FEATURES A.11) and the progress bar (A.14)."""
from __future__ import annotations

import errno
import os
import pty
import subprocess
import threading

from workflows.harness import FAST, command, describe, kill_group, ok, run, workflow_env

# ------------------------------------------------------------------------------------- logging


def test_job_messages_reach_the_leader_log(tmp_path):
    proc = ok(run("logging_wf.py", tmp_path / "js", *FAST, tmp_path=tmp_path))
    err = proc.stderr
    for text in ("job.log message ALPHA-1", "logToMaster message BETA-2", "warning message GAMMA-3",
                 "child message EPSILON-5"):
        assert text in err, text
    alpha = next(line for line in err.splitlines() if "ALPHA-1" in line)
    assert "[I]" in alpha or "INFO" in alpha, alpha
    gamma = next(line for line in err.splitlines() if "GAMMA-3" in line)
    assert "[W]" in gamma or "WARNING" in gamma, gamma
    # Output of successful jobs is not shown.
    assert "DELTA-4" not in err and "DELTA-4" not in proc.stdout


def test_job_messages_follow_the_log_level(tmp_path):
    proc = ok(run("logging_wf.py", tmp_path / "js", "--logWarning", *FAST, tmp_path=tmp_path))
    assert "ALPHA-1" not in proc.stderr
    assert "BETA-2" not in proc.stderr
    assert "GAMMA-3" in proc.stderr  # logged at WARNING


# ------------------------------------------------------------------------------------- progress


def _run_on_terminal(tmp_path, *extra):
    """Run a workflow with a pseudo-terminal as stderr; returns (exit code, what the terminal got)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(command("logging_wf.py", tmp_path / "js", *FAST, *extra), cwd=str(tmp_path),
                            env=workflow_env(tmp_path), stdout=subprocess.PIPE, stderr=slave,
                            start_new_session=True)
    os.close(slave)
    chunks = []

    def drain():
        while True:
            try:
                data = os.read(master, 65536)
            except OSError as error:  # EIO once every writer closed the terminal
                if error.errno == errno.EIO:
                    return
                raise
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise
    reader.join(timeout=10)
    os.close(master)
    proc.stdout.close()
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


def test_progress_bar_on_a_terminal(tmp_path):
    code, text = _run_on_terminal(tmp_path)
    assert code == 0, text[-3000:]
    assert "Workflow Progress" in text


def test_no_progress_bar_with_disable_progress(tmp_path):
    code, text = _run_on_terminal(tmp_path, "--disableProgress")
    assert code == 0, text[-3000:]
    assert "Workflow Progress" not in text
    assert "Finished toil run successfully." in text


def test_no_progress_bar_when_stderr_is_a_pipe(tmp_path):
    proc = ok(run("logging_wf.py", tmp_path / "js", *FAST, tmp_path=tmp_path))
    assert "Workflow Progress" not in proc.stderr, describe(proc)


# ------------------------------------------------------------------------------------- job logs


def _failing(tmp_path, *extra):
    out = tmp_path / "out"
    out.mkdir()
    return run("failing.py", tmp_path / "js", "--out", out, *FAST, *extra, tmp_path=tmp_path)


def test_write_logs_keeps_each_failed_attempt(tmp_path):
    proc = _failing(tmp_path, "--retryCount", "1", "--writeLogs", tmp_path / "logs")
    assert proc.returncode == 1, describe(proc)
    files = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert len(files) == 2, files
    assert all(name.startswith("always_fails") and name.endswith(".log") for name in files), files
    for name in files:
        text = (tmp_path / "logs" / name).read_text()
        assert "RuntimeError: Deliberate failure XYZZY-42" in text


def test_write_logs_gzip(tmp_path):
    import gzip

    proc = _failing(tmp_path, "--retryCount", "0", "--writeLogsGzip", tmp_path / "logs")
    assert proc.returncode == 1, describe(proc)
    (path,) = list((tmp_path / "logs").iterdir())
    assert path.name.endswith(".log.gz")
    assert "Deliberate failure XYZZY-42" in gzip.open(path, "rt").read()


def test_failed_job_log_is_truncated_to_max_log_file_size(tmp_path):
    proc = _failing(tmp_path, "--retryCount", "0", "--noisy", "3000")
    assert proc.returncode == 1, describe(proc)
    assert "about to fail on purpose" in proc.stderr  # the end of the log is kept
    assert "noise line 002999" in proc.stderr
    assert "noise line 000000" not in proc.stderr  # the beginning was cut (default 64000 bytes)


def test_max_log_file_size_zero_keeps_everything(tmp_path):
    proc = _failing(tmp_path, "--retryCount", "0", "--noisy", "3000", "--maxLogFileSize", "0")
    assert proc.returncode == 1, describe(proc)
    assert "noise line 000000" in proc.stderr
    assert "about to fail on purpose" in proc.stderr


def test_write_logs_from_all_jobs(tmp_path):
    ok(run("logging_wf.py", tmp_path / "js", "--writeLogs", tmp_path / "logs", "--writeLogsFromAllJobs", *FAST,
           tmp_path=tmp_path))
    texts = [p.read_text() for p in (tmp_path / "logs").iterdir()]
    assert texts, "no log files written"
    assert any("printed by a successful job DELTA-4" in text for text in texts)
    assert any("EPSILON-5" in text for text in texts)


def test_write_logs_without_all_jobs_skips_successful_jobs(tmp_path):
    ok(run("logging_wf.py", tmp_path / "js", "--writeLogs", tmp_path / "logs", *FAST, tmp_path=tmp_path))
    assert not (tmp_path / "logs").exists() or not list((tmp_path / "logs").iterdir())


def test_debug_logging_shows_output_of_successful_jobs(tmp_path):
    proc = ok(run("logging_wf.py", tmp_path / "js", "--logDebug", *FAST, tmp_path=tmp_path))
    assert "printed by a successful job DELTA-4" in proc.stderr


def test_status_wait_reports_running_jobs(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    proc = ok(run("sleeper.py", tmp_path / "js", "--out", out, "--seconds", "3", "--statusWait", "1", *FAST,
                  tmp_path=tmp_path))
    assert "jobs are running" in proc.stderr and "jobs are issued and waiting to run" in proc.stderr


def test_no_status_lines_by_default(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    proc = ok(run("sleeper.py", tmp_path / "js", "--out", out, "--seconds", "1", *FAST, tmp_path=tmp_path))
    assert "jobs are issued and waiting to run" not in proc.stderr  # --statusWait defaults to 3600 s
