"""Helpers for the fault suite: read what faultflow.py jobs recorded, look into a job store from
outside, and kill a running workflow at chosen instants.

Not a workflow: imported by tests/faults/test_*.py.
"""
from __future__ import annotations

import collections
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Counter, Dict, List, Optional, Sequence, Set, Tuple

import attrs

HERE = Path(__file__).resolve().parent
FAULTFLOW = HERE / "faultflow.py"
sys.path.insert(0, str(HERE))

import faultflow  # noqa: E402  (the workflow's pure functions: content, digest, planned_failures)

#: Leader options that keep its periodic checks quick.
QUICK = ["--rescueJobsFrequency", "1", "--kill_polling_interval", "1", "--servicePollingInterval", "1",
         "--deadlockWait", "5", "--deadlockCheckInterval", "1", "--maxCores", "2"]

#: Names of the checkpoint job and its subtree (rerun from scratch by --restart while unfinished).
CHECKPOINT_TREE = ("ckpt", "ck-0", "ck-1", "ck-2", "ck-sum")


# ---------------------------------------------------------------------------------- the counter file
@attrs.frozen
class Line:
    kind: str
    name: str
    fields: Tuple[str, ...]

    @property
    def job_id(self) -> str:
        return self.fields[0]

    @property
    def pid(self) -> int:
        return int(self.fields[1])


def counter(out: Path) -> List[Line]:
    """Every complete line jobs appended to ``out/counter.log``, in order."""
    path = Path(out) / "counter.log"
    if not path.exists():
        return []
    text = path.read_text()
    result = []
    for raw in text.splitlines(keepends=True):
        if not raw.endswith("\n"):
            continue  # a line being written right now
        parts = raw.split()
        if len(parts) >= 2:
            result.append(Line(parts[0], parts[1], tuple(parts[2:])))
    return result


def runs(lines: Sequence[Line]) -> Counter[str]:
    return collections.Counter(line.name for line in lines if line.kind == "run")


def job_pids(lines: Sequence[Line]) -> Set[int]:
    return {line.pid for line in lines if line.kind in ("run", "done")}


def expected_sha(seed: int, label: str, size: int) -> str:
    return faultflow.digest(faultflow.content(seed, label, size))


def file_sizes(size: int, big: int, width: int) -> Dict[str, int]:
    """Label -> size of every global file of faultflow.py."""
    sizes = {"g-root": size, "g-big": big, "g-summary": 1024}
    sizes.update({f"g-work-{i}": size for i in range(width)})
    return sizes


def bad_reads(lines: Sequence[Line], seed: int, sizes: Dict[str, int]) -> List[Line]:
    """``read`` lines whose checksum is not that of the file's true content."""
    return [line for line in lines if line.kind == "read"
            and line.fields[1] != expected_sha(seed, line.fields[0], sizes[line.fields[0]])]


# ---------------------------------------------------------------------------------- the job store
def open_store(path: Path):
    from toil_core.jobstores.file_job_store import FileJobStore

    return FileJobStore(str(path))


def stored_jobs(path: Path) -> Dict[str, object]:
    """jobStoreID -> description of every job in the store (raises if one is damaged)."""
    if not Path(path).is_dir():
        return {}
    return {desc.jobStoreID: desc for desc in open_store(path).jobs()}


def completion_recorded(lines: Sequence[Line], jobs: Dict[str, object]) -> Dict[str, str]:
    """Jobs whose completion is recorded: name -> jobStoreID.

    A job's completion is recorded when both (1) it wrote its ``done`` line (its own side effect)
    under a jobStoreID and (2) the job store no longer lists that job as one to run: its
    description is gone, or it has no body any more (``body_id`` is None, set by the worker's
    final atomic update). While the checkpoint job is still in the store, --restart reruns it and
    its whole subtree from scratch by design (Toil's checkpoint semantics), so none of those count.
    """
    recorded: Dict[str, str] = {}
    for line in lines:
        if line.kind != "done":
            continue
        desc = jobs.get(line.job_id)
        if desc is None or getattr(desc, "body_id", None) is None:
            recorded[line.name] = line.job_id
    checkpoint_pending = any(getattr(d, "checkpoint", False) for d in jobs.values())
    if checkpoint_pending:
        for name in CHECKPOINT_TREE:
            recorded.pop(name, None)
    return recorded


_TOKEN = re.compile(r"[0-9a-f]{20}")


def normalized_listing(path: Path) -> Counter[str]:
    """The store's files (not directories), random tokens and fan-out names masked; log blobs
    (stats and messages of every attempt, kept for ``toil stats``) are counted separately."""
    root = Path(path)
    listing: Counter[str] = collections.Counter()
    for dirpath, _, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        for name in filenames:
            rel = os.path.normpath(os.path.join(rel_dir, name))
            parts = rel.split(os.sep)
            if parts[0] == "logs":
                continue
            rel = _TOKEN.sub("T", rel)
            parts = rel.split(os.sep)
            if parts[0] in ("files", "jobs") and len(parts) > 2:
                if parts[1] == "job" and len(parts) > 3:
                    parts[2] = "FF"
                else:
                    parts[1] = "FF"
            listing["/".join(parts)] += 1
    return listing


def log_blobs(path: Path) -> List[Path]:
    return sorted(p for sub in ("new", "read") for p in (Path(path) / "logs" / sub).glob("*") if p.is_file())


def tmp_files(path: Path) -> List[str]:
    try:
        return os.listdir(Path(path) / "tmp")
    except FileNotFoundError:
        return []


# ---------------------------------------------------------------------------------- running and killing
def start(job_store: Path, out: Path, args: Sequence[object], tmp_path: Path, log_name: str,
          env: Optional[Dict[str, str]] = None) -> subprocess.Popen:
    """Start faultflow.py in a new session (so its whole process group can be killed); output
    goes to files, as killed jobs' orphans could keep pipes open."""
    command = [sys.executable, str(FAULTFLOW), str(job_store), "--out", str(out), *[str(a) for a in args]]
    with open(tmp_path / f"{log_name}.out", "w") as stdout, open(tmp_path / f"{log_name}.err", "w") as stderr:
        return subprocess.Popen(command, cwd=str(tmp_path), env=env, stdout=stdout, stderr=stderr,
                                start_new_session=True)


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def process_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True


def wait_gone(pids: Set[int], timeout: float) -> Set[int]:
    """Wait for ``pids`` to end; returns those still running after ``timeout``."""
    deadline = time.time() + timeout
    pending = {p for p in pids if not process_gone(p)}
    while pending and time.time() < deadline:
        time.sleep(0.02)
        pending = {p for p in pending if not process_gone(p)}
    return pending


@attrs.define
class Trigger:
    """When to kill: ``kind`` is one of

    * ``boot``: ``value`` seconds after the leader started (while it starts or resumes);
    * ``time``: ``value`` seconds after the first job of this leader started;
    * ``write``: when the job store's ``tmp/`` directory changed for the ``value``-th time (every
      job store write creates a file there and renames it out when complete);
    * ``in-write``: the ``value``-th time ``tmp/`` is seen holding a file being written;
    * ``done``: when the ``value``-th new ``done`` line appears (a job has ended and its worker
      is committing it).
    """

    kind: str
    value: float

    def describe(self) -> str:
        if self.kind == "boot":
            return f"{self.value:.2f} s after the leader started"
        if self.kind == "time":
            return f"{self.value:.2f} s after its first job started"
        return f"at {self.kind} #{int(self.value)}"


def watch_and_kill(proc: subprocess.Popen, job_store: Path, out: Path, trigger: Trigger,
                   poll: float = 0.001, timeout: float = 120) -> Optional[Dict[str, object]]:
    """Poll (no inotify) until ``trigger`` fires, then SIGKILL the process group.

    Returns facts about the kill (``elapsed``, ``during_write``: a file was being written into
    the store's tmp/ right after the kill), or None if the workflow ended first.
    """
    began = time.time()
    tmp = Path(job_store) / "tmp"
    seen = 0
    last_mtime: Optional[int] = None
    was_busy = False
    base_lines = len(counter(out))
    base_done = sum(1 for line in counter(out) if line.kind == "done")
    first_job: Optional[float] = None
    last_size = -1
    while proc.poll() is None:
        now = time.time()
        if now - began > timeout:
            kill_group(proc)
            raise AssertionError(f"workflow neither ended nor hit {trigger.describe()} in {timeout} s")
        fire = False
        if trigger.kind == "boot":
            fire = now - began >= trigger.value
        elif trigger.kind == "time":
            if first_job is None and any(line.kind == "run" for line in counter(out)[base_lines:]):
                first_job = now
            fire = first_job is not None and now - first_job >= trigger.value
        elif trigger.kind == "write":
            try:
                mtime = tmp.stat().st_mtime_ns
            except FileNotFoundError:
                mtime = None
            if mtime is not None and last_mtime is not None and mtime != last_mtime:
                seen += 1
            last_mtime = mtime if mtime is not None else last_mtime
            fire = seen >= trigger.value
        elif trigger.kind == "in-write":
            busy = bool(tmp_files(job_store))
            if busy and not was_busy:
                seen += 1
            was_busy = busy
            fire = busy and seen >= trigger.value
        elif trigger.kind == "done":
            path = Path(out) / "counter.log"
            size = path.stat().st_size if path.exists() else 0
            if size != last_size:
                last_size = size
                done = sum(1 for line in counter(out) if line.kind == "done")
                fire = done - base_done >= trigger.value
        else:
            raise ValueError(trigger.kind)
        if fire:
            kill_group(proc)
            during_write = bool(tmp_files(job_store))
            proc.wait()
            return {"elapsed": now - began, "during_write": during_write}
        time.sleep(poll)
    return None


def failed_job_names(stderr: str) -> List[str]:
    """Names (unitName) of the jobs a FailedJobsException lists, from the leader's stderr."""
    match = re.search(r"contains (\d+) failed jobs: (.*)", stderr)
    if not match:
        return []
    names = re.findall(r"'[^']*' (\S+) \S+", match.group(2))
    assert len(names) == int(match.group(1)), match.group(0)
    return names


def expected_result(seed: int, width: int, size: int, big: int) -> str:
    """What faultflow.py returns when every job ran correctly (see ``total`` there)."""
    root_sha = expected_sha(seed, "g-root", size)
    posts = [f"{i}:{root_sha}:{expected_sha(seed, f'g-work-{i}', size)}" for i in range(width)]
    ck = sum(j * j for j in range(3))
    summary = "|".join([root_sha] + posts + [str(ck), expected_sha(seed, "g-big", big), f"svc-{seed}"])
    return faultflow.digest(summary.encode())


def result_line(stdout_path: Path) -> Optional[str]:
    for line in Path(stdout_path).read_text().splitlines():
        if line.startswith("RESULT:"):
            return line[len("RESULT:"):].strip()
    return None


def predicted_failures(seed: int, fail_max: int, retry_count: int, width: int) -> Optional[Set[str]]:
    """The jobs of faultflow.py that fail for good with ``--fail-max`` and ``--retryCount``: those
    planned to fail on every try, among those whose predecessors all succeed. None when a job
    under the checkpoint fails for good (the checkpoint then reruns: not predicted here)."""
    tries = retry_count + 1

    def fails(name: str) -> bool:
        return faultflow.planned_failures(seed, name, fail_max) >= tries

    if fails("root"):
        return {"root"}
    failed = {name for name in ["svc-user", "ckpt", "big"] + [f"work-{i}" for i in range(width)] if fails(name)}
    failed |= {f"post-{i}" for i in range(width) if not fails(f"work-{i}") and fails(f"post-{i}")}
    if not fails("big") and fails("big-read"):
        failed.add("big-read")
    if not fails("ckpt") and any(fails(name) for name in CHECKPOINT_TREE[1:]):
        return None
    if not failed and fails("total"):
        failed.add("total")
    return failed


def wait_for_line(out: Path, kind: str, name: str, timeout: float, poll: float = 0.0005) -> Line:
    """The first ``kind name`` line in the counter file, once it appears."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for line in counter(out):
            if line.kind == kind and line.name == name:
                return line
        time.sleep(poll)
    raise AssertionError(f"no '{kind} {name}' line after {timeout} s")


def wait_group_gone(pgid: int, timeout: float) -> bool:
    """Wait until no live process is in process group ``pgid``."""
    deadline = time.time() + timeout
    while True:
        alive = False
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                alive = True
                break
        if not alive:
            return True
        if time.time() >= deadline:
            return False
        time.sleep(0.02)
