"""Job isolation with the warm fork server: what one job does to its process never reaches the next job.

Every job runs in its own forked process, so a job that crashes its process (or its process group),
leaks memory, changes its working directory, its environment or module globals (of the workflow's
module or of the standard library) leaves the next job untouched.  Each test runs a real workflow as a
subprocess (the script below, written to tmp_path) in which the jobs record what they see as JSON
lines; the "next job" is always one that does not share a process with the offender (a sibling's child
or the root's follow-on, with --disableChaining).  Jobs chained into the same worker process share it
by design (as in upstream Toil); only the working directory is restored between them, which the last
test checks.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List

import pytest

WORKFLOW = textwrap.dedent('''
    """Isolation probes: python isolation_wf.py JOBSTORE --out DIR --mode MODE [toil options]"""
    import json
    import os
    import signal
    import string
    import time

    from toil.common import Toil
    from toil.job import Job

    STATE = {"touched": False}
    HOARD = []
    SMALL = {"cores": 0.1, "memory": "100M", "disk": "10M"}


    def rss():
        try:
            import psutil
            return psutil.Process().memory_info().rss
        except ImportError:
            with open("/proc/self/statm") as handle:
                return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


    def record(out, name, **fields):
        fields.update(name=name, pid=os.getpid(), cwd=os.getcwd(), rss=rss(),
                      env=os.environ.get("TOIL_ISOLATION_PROBE"), state=STATE["touched"],
                      hoard=len(HOARD), letters=string.ascii_letters[:3])
        with open(os.path.join(out, "events.jsonl"), "a") as handle:
            handle.write(json.dumps(fields) + "\\n")


    def observe(job, out, name):
        record(out, name)
        return name


    def pollute(job, out):
        record(out, "polluter-start")
        os.environ["TOIL_ISOLATION_PROBE"] = "leaked"
        STATE["touched"] = True
        string.ascii_letters = "zzz" + string.ascii_letters[3:]
        elsewhere = os.path.join(out, "elsewhere")
        os.makedirs(elsewhere, exist_ok=True)
        os.chdir(elsewhere)
        record(out, "polluter-end")
        return "polluted"


    def hog(job, out, megabytes):
        HOARD.append(b"\\x01" * (megabytes << 20))  # touched pages, kept alive by a module global
        record(out, "hog")
        return "hogged"


    def crash(job, out, how, once):
        marker = os.path.join(out, "crashed")
        if not (once and os.path.exists(marker)):
            open(marker, "w").close()
            record(out, "crash", how=how)
            if how == "exit":
                os._exit(3)
            elif how == "sigkill":
                os.kill(os.getpid(), signal.SIGKILL)
            elif how == "killpg":  # its whole process group
                os.killpg(os.getpgid(0), signal.SIGKILL)
            time.sleep(60)
        record(out, "crash-retried")
        return "recovered"


    def wait_for_crash(job, out):
        """Wait until the crashing sibling's process is gone, then add the next job."""
        deadline = time.time() + 60
        pid = None
        while time.time() < deadline:
            path = os.path.join(out, "events.jsonl")
            lines = open(path).read().splitlines() if os.path.exists(path) else []
            pids = [json.loads(l)["pid"] for l in lines if json.loads(l)["name"] == "crash"]
            if pids:
                pid = pids[0]
                try:
                    with open("/proc/%d/stat" % pid) as handle:
                        gone = handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
                except OSError:
                    gone = True
                if gone:
                    break
            time.sleep(0.05)
        record(out, "waiter", crashed_pid=pid)
        job.addChildJobFn(observe, out, "after-crash", **SMALL)


    def root(job, out, mode, crash_how):
        record(out, "root")
        if mode == "pollute":
            job.addChildJobFn(pollute, out, **SMALL)
            job.addFollowOnJobFn(observe, out, "after", **SMALL)
        elif mode == "hog":
            job.addChildJobFn(hog, out, 300, cores=0.1, memory="700M", disk="10M")
            job.addFollowOnJobFn(observe, out, "after", **SMALL)
        elif mode == "crash-retry":
            crasher = job.addChildJobFn(crash, out, crash_how, True, **SMALL)
            crasher.addFollowOnJobFn(observe, out, "after", **SMALL)
            return crasher.rv()
        elif mode == "crash-sibling":
            job.addChildJobFn(crash, out, crash_how, False, **SMALL)
            job.addChildJobFn(wait_for_crash, out, **SMALL)
        elif mode == "chained":
            polluter = job.addChildJobFn(pollute, out, **SMALL)
            polluter.addFollowOnJobFn(observe, out, "chained", **SMALL)
        return mode


    if __name__ == "__main__":
        parser = Job.Runner.getDefaultArgumentParser()
        parser.add_argument("--out", required=True)
        parser.add_argument("--mode", required=True)
        parser.add_argument("--crash", default="sigkill")
        options = parser.parse_args()
        with Toil(options) as toil:
            result = toil.start(Job.wrapJobFn(root, os.path.abspath(options.out), options.mode,
                                              options.crash, **SMALL))
        print("RESULT: %s" % result, flush=True)
''')

QUICK = ["--logLevel", "INFO", "--rescueJobsFrequency", "1", "--deadlockWait", "5",
         "--deadlockCheckInterval", "1"]


def _run(tmp_path: Path, mode: str, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess:
    script = tmp_path / "isolation_wf.py"
    script.write_text(WORKFLOW)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    (tmp_path / "tmpdir").mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmpdir"), PYTHONUNBUFFERED="1")
    env.pop("TOIL_ISOLATION_PROBE", None)
    for var in ("TOIL_WORKDIR", "TOIL_COORDINATION_DIR", "TOIL_PROFILE_WORKERS_DIR"):
        env.pop(var, None)
    cmd = [sys.executable, str(script), str(tmp_path / "jobstore"), "--out", str(out), "--mode", mode,
           *QUICK, *extra]
    proc = subprocess.Popen(cmd, cwd=str(tmp_path), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        raise AssertionError(f"workflow timed out\n--- stdout\n{stdout[-3000:]}\n"
                             f"--- stderr\n{stderr[-6000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def _describe(proc: subprocess.CompletedProcess) -> str:
    return (f"exit code {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}\n"
            f"--- stderr\n{proc.stderr[-6000:]}")


def _events(tmp_path: Path) -> Dict[str, List[dict]]:
    path = tmp_path / "out" / "events.jsonl"
    events: Dict[str, List[dict]] = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        event = json.loads(line)
        events.setdefault(event["name"], []).append(event)
    return events


def _one(events: Dict[str, List[dict]], name: str, proc: subprocess.CompletedProcess) -> dict:
    assert len(events.get(name, [])) == 1, f"expected one {name!r} event, got {events}\n" + _describe(proc)
    return events[name][0]


def _assert_pristine(job: dict, root: dict) -> None:
    """What a job sees when nothing leaked into its process."""
    assert job["env"] is None, job
    assert job["state"] is False, job
    assert job["hoard"] == 0, job
    assert job["letters"] == "abc", job
    assert job["cwd"] == root["cwd"], (job, root)


def test_environment_globals_and_cwd_do_not_leak(tmp_path):
    proc = _run(tmp_path, "pollute", "--disableChaining")
    assert proc.returncode == 0, _describe(proc)
    events = _events(tmp_path)
    root, start = _one(events, "root", proc), _one(events, "polluter-start", proc)
    end, after = _one(events, "polluter-end", proc), _one(events, "after", proc)
    _assert_pristine(start, root)
    # The polluter really changed its own process ...
    assert end["env"] == "leaked" and end["state"] is True and end["letters"] == "zzz"
    assert end["cwd"] == str(tmp_path / "out" / "elsewhere")
    # ... and the next job, in another process, sees none of it.
    assert after["pid"] != end["pid"]
    _assert_pristine(after, root)
    assert os.environ.get("TOIL_ISOLATION_PROBE") is None


def test_memory_kept_by_a_job_is_not_inherited(tmp_path):
    proc = _run(tmp_path, "hog", "--disableChaining")
    assert proc.returncode == 0, _describe(proc)
    events = _events(tmp_path)
    root, hog, after = (_one(events, name, proc) for name in ("root", "hog", "after"))
    mib = 2 ** 20
    assert hog["hoard"] == 1 and hog["rss"] > root["rss"] + 250 * mib, (root, hog)
    assert after["pid"] != hog["pid"]
    assert after["rss"] < hog["rss"] - 200 * mib, (hog, after)
    assert after["rss"] < root["rss"] + 50 * mib, (root, after)
    _assert_pristine(after, root)


@pytest.mark.parametrize("how", ["exit", "sigkill", "killpg"])
def test_crashed_job_is_retried_in_a_fresh_process(tmp_path, how):
    proc = _run(tmp_path, "crash-retry", "--crash", how, "--retryCount", "1", "--disableChaining")
    assert proc.returncode == 0, _describe(proc)
    assert "RESULT: recovered" in proc.stdout, _describe(proc)
    events = _events(tmp_path)
    root, crashed = _one(events, "root", proc), _one(events, "crash", proc)
    retried, after = _one(events, "crash-retried", proc), _one(events, "after", proc)
    assert retried["pid"] != crashed["pid"]
    assert after["pid"] not in (crashed["pid"], root["pid"])
    _assert_pristine(after, root)


@pytest.mark.parametrize("how", ["exit", "sigkill", "killpg"])
def test_crash_without_retries_leaves_other_jobs_running(tmp_path, how):
    # No retries: the workflow fails, but the independent sibling and the job it adds after the
    # crash still run (the fork server and the leader survive the crash, even of a process group).
    proc = _run(tmp_path, "crash-sibling", "--crash", how, "--retryCount", "0", "--maxCores", "2",
                "--disableChaining")
    assert proc.returncode != 0, _describe(proc)
    assert "RESULT:" not in proc.stdout
    events = _events(tmp_path)
    root, crashed = _one(events, "root", proc), _one(events, "crash", proc)
    waiter, after = _one(events, "waiter", proc), _one(events, "after-crash", proc)
    assert waiter["crashed_pid"] == crashed["pid"], "the waiter gave up before the crash:\n" + _describe(proc)
    assert after["pid"] not in (crashed["pid"], waiter["pid"], root["pid"])
    assert "crash-retried" not in events
    _assert_pristine(after, root)


def test_chained_job_gets_the_working_directory_back(tmp_path):
    # A follow-on may run in its predecessor's process (chaining); the cwd is restored between them.
    proc = _run(tmp_path, "chained")
    assert proc.returncode == 0, _describe(proc)
    events = _events(tmp_path)
    root, end = _one(events, "root", proc), _one(events, "polluter-end", proc)
    chained = _one(events, "chained", proc)
    assert end["cwd"] == str(tmp_path / "out" / "elsewhere")
    assert chained["cwd"] == root["cwd"]
    if chained["pid"] == end["pid"]:
        # Really chained: the probes do see what a shared process keeps (so the other tests, which
        # see nothing, are not blind).
        assert chained["env"] == "leaked" and chained["state"] is True and chained["letters"] == "zzz"
