"""Stand-ins for Torque's and LSF's commands, for toil-hpc's tests (no server of either can be
installed on the test machines).

They run jobs for real, on this machine, and print what the real commands print: the
``qstat -f`` and ``bjobs -json`` text comes from the recorded transcripts in
``tests/hpc/recorded`` (templates with the job's values filled in). Used as::

    python fake_sched.py torque qsub|qstat|qdel ARGS...
    python fake_sched.py lsf bsub|bjobs|bkill ARGS...

State lives in ``$FAKE_SCHED_STATE`` (one JSON file per job). Memory limits are enforced the way
the real systems report them: a job whose processes' resident memory goes over its request is
killed and recorded as ``exit_status = -10`` (Torque) or ``TERM_MEMLIMIT`` (LSF).
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

HERE = Path(__file__).resolve().parent
RECORDED = HERE.parent / "recorded"
STATE = Path(os.environ.get("FAKE_SCHED_STATE", "/tmp/fake-sched"))
SERVER = "torque-server.example.org"


def _job_file(job_id: str) -> Path:
    return STATE / "jobs" / f"{job_id.split('.')[0]}.json"


def _load(job_id: str) -> Optional[Dict[str, Any]]:
    try:
        return json.loads(_job_file(job_id).read_text())
    except (OSError, ValueError):
        return None


def _save(job: Dict[str, Any]) -> None:
    path = _job_file(str(job["id"]))
    tmp = path.with_suffix(".tmp%d" % os.getpid())
    tmp.write_text(json.dumps(job))
    os.replace(tmp, path)


def _next_id() -> int:
    (STATE / "jobs").mkdir(parents=True, exist_ok=True)
    counter = STATE / "counter"
    fd = os.open(str(counter), os.O_RDWR | os.O_CREAT)
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)
        value = int(os.read(fd, 32) or b"100") + 1
        os.lseek(fd, 0, 0)
        os.ftruncate(fd, 0)
        os.write(fd, str(value).encode())
        return value
    finally:
        os.close(fd)


def _parse_mem(text: str, unit: str = "kb") -> int:
    match = re.match(r"(\d+)\s*([kmgt]?b?)?", text.lower())
    if not match:
        return 0
    factor = {"": 1024, "b": 1, "k": 1024, "kb": 1024, "m": 2**20, "mb": 2**20, "g": 2**30, "gb": 2**30,
              "t": 2**40, "tb": 2**40}[match.group(2) or unit]
    return int(match.group(1)) * factor


# ---------------------------------------------------------------------------------------------
# submission
# ---------------------------------------------------------------------------------------------

def submit(flavor: str, args: List[str]) -> int:
    script = sys.stdin.read()
    opts: Dict[str, List[str]] = {}
    i = 0
    while i < len(args):
        if args[i].startswith("-") and i + 1 < len(args) and args[i] not in ("-V",):
            opts.setdefault(args[i], []).append(args[i + 1])
            i += 2
        else:
            opts.setdefault(args[i], []).append("")
            i += 1
    number = _next_id()
    job_id = f"{number}.{SERVER}" if flavor == "torque" else str(number)
    memory = 0
    if flavor == "torque":
        for resources in opts.get("-l", []):
            match = re.search(r"(?:^|,)mem=([^,]+)", resources)
            if match:
                memory = _parse_mem(match.group(1))
        name = (opts.get("-N") or ["STDIN"])[0]
        out = err = "/dev/null"
    else:
        if "-M" in opts:
            memory = _parse_mem(opts["-M"][0], os.environ.get("FAKE_LSF_UNIT", "kb"))
        name = (opts.get("-J") or ["NONAME"])[0]
        out = (opts.get("-o") or ["/dev/null"])[0].replace("%J", job_id)
        err = (opts.get("-e") or ["/dev/null"])[0].replace("%J", job_id)
    script_path = STATE / "jobs" / f"{number}.sh"
    script_path.write_text(script)
    job = {"id": job_id, "name": name, "flavor": flavor, "script": str(script_path), "out": out, "err": err,
           "memory": memory, "state": "Q", "submitted": time.time(), "cwd": os.getcwd(), "args": args}
    _save(job)
    log = open(STATE / "jobs" / f"{number}.runner.log", "ab")
    subprocess.Popen([sys.executable, __file__, flavor, "_run", job_id], start_new_session=True,
                     stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=os.getcwd())
    template = "qsub.txt" if flavor == "torque" else "bsub.txt"
    sys.stdout.write(_render(flavor, template, {"job_id": job_id}))
    return 0


def run(flavor: str, job_id: str) -> int:
    """The detached runner of one job: start it, watch its memory, record how it ended."""
    job = _load(job_id)
    if job.get("killed"):  # deleted while queued: never runs, no exit status (as qstat shows it)
        job.update(state="C", ended=time.time(), reason="TERM_OWNER")
        _save(job)
        return 0
    env = dict(os.environ)
    env["PBS_JOBID" if flavor == "torque" else "LSB_JOBID"] = job_id
    env["PBS_O_WORKDIR"] = job["cwd"]
    with open(job["out"], "ab") as out, open(job["err"], "ab") as err:
        child = subprocess.Popen(["/bin/sh", job["script"]], stdout=out, stderr=err, env=env,
                                 start_new_session=True, cwd=job["cwd"])
    job = _load(job_id)
    job.update(state="R", started=time.time(), pgid=child.pid)
    _save(job)
    if job.get("killed"):
        _kill_group(child.pid, signal.SIGTERM)
    over_memory = False
    while child.poll() is None:
        if job["memory"] and _group_rss(child.pid) > job["memory"]:
            over_memory = True
            _kill_group(child.pid, signal.SIGKILL)
        time.sleep(0.1)
    job = _load(job_id)
    status = child.returncode
    job.update(state="C", ended=time.time())
    if over_memory:
        job.update(exit=-10 if flavor == "torque" else 137, reason="TERM_MEMLIMIT")
    elif job.get("killed"):
        job.update(exit=256 + 15 if flavor == "torque" else 130, reason="TERM_OWNER")
    elif status < 0:
        job.update(exit=256 - status if flavor == "torque" else 128 - status, reason="TERM_SIGNAL")
    else:
        job.update(exit=status, reason="")
    _save(job)
    return 0


def _group_rss(pgid: int) -> int:
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pgid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except (OSError, ValueError, ProcessLookupError):
            continue
    return total


def _kill_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill(flavor: str, ids: List[str]) -> int:
    code = 0
    for job_id in ids:
        job = _load(job_id)
        if job is None or job["state"] == "C":
            template = "qdel_unknown.txt" if flavor == "torque" else "bkill_finished.txt"
            sys.stderr.write(_render(flavor, template, {"job_id": job_id}))
            code = 153 if flavor == "torque" else 255
            continue
        job["killed"] = True
        _save(job)
        if job.get("pgid"):
            _kill_group(job["pgid"], signal.SIGTERM)
        if flavor == "lsf":
            sys.stdout.write(_render(flavor, "bkill.txt", {"job_id": job_id}))
    return code


# ---------------------------------------------------------------------------------------------
# queries, rendered from the recorded transcripts
# ---------------------------------------------------------------------------------------------

def _render(flavor: str, name: str, values: Dict[str, Any]) -> str:
    text = (RECORDED / flavor / name).read_text()
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def _hms(seconds: float) -> str:
    seconds = int(seconds)
    return "%02d:%02d:%02d" % (seconds // 3600, seconds // 60 % 60, seconds % 60)


def qstat(args: List[str]) -> int:
    ids = [a for a in args if not a.startswith("-")]
    code = 0
    for job_id in ids:
        job = _load(job_id)
        if job is None:
            sys.stderr.write(_render("torque", "qstat_unknown.txt", {"job_id": job_id}))
            code = 153
            continue
        now = job.get("ended") or time.time()
        values = {"job_id": job["id"], "name": job["name"], "state": job["state"],
                  "walltime": _hms(now - job["started"]) if job.get("started") else "00:00:00",
                  "submit_args": " ".join(job["args"])}
        template = {"Q": "qstat_f_queued.txt", "R": "qstat_f_running.txt"}.get(job["state"], "qstat_f_completed.txt")
        values["exit_status"] = job.get("exit", "")
        sys.stdout.write(_render("torque", template, values))
    return code


def bjobs(args: List[str]) -> int:
    ids = [a for a in args if a.isdigit()]
    records = []
    for job_id in ids:
        job = _load(job_id)
        if job is None:
            records.append(_render("lsf", "bjobs_json_unknown.txt", {"job_id": job_id}).strip())
            continue
        run_time = int((job.get("ended") or time.time()) - job["started"]) if job.get("started") else 0
        state = {"Q": "PEND", "R": "RUN"}.get(job["state"]) or ("DONE" if job.get("exit") == 0 else "EXIT")
        template = {"PEND": "bjobs_json_pending.txt", "RUN": "bjobs_json_running.txt",
                    "DONE": "bjobs_json_done.txt"}.get(state, "bjobs_json_exit.txt")
        reason = {"TERM_MEMLIMIT": "TERM_MEMLIMIT: job killed after reaching LSF memory usage limit",
                  "TERM_OWNER": "TERM_OWNER: job killed by owner"}.get(job.get("reason", ""), "")
        records.append(_render("lsf", template, {"job_id": job_id, "run_time": run_time,
                                                 "exit_code": job.get("exit", ""), "exit_reason": reason}).strip())
    if "-json" not in args:  # LSF before 10.1.0.2: -o "..." delimiter='|'
        for record in records:
            data = json.loads(record)
            if data.get("ERROR"):
                sys.stderr.write(data["ERROR"] + "\n")
            else:
                sys.stdout.write("|".join(data.get(k, "") for k in
                                          ("JOBID", "STAT", "EXIT_CODE", "EXIT_REASON", "RUN_TIME")) + "\n")
        return 0
    if os.environ.get("FAKE_LSF_NO_JSON"):
        sys.stderr.write("bjobs: illegal option -- json\n")
        return 255
    sys.stdout.write('{\n  "COMMAND":"bjobs",\n  "JOBS":%d,\n  "RECORDS":[\n    %s\n  ]\n}\n'
                     % (len(records), ",\n    ".join(records)))
    return 0


def main(argv: List[str]) -> int:
    flavor, command, args = argv[0], argv[1], argv[2:]
    STATE.mkdir(parents=True, exist_ok=True)
    (STATE / "jobs").mkdir(exist_ok=True)
    with open(STATE / "calls.log", "a") as calls:
        calls.write(json.dumps([command, *args]) + "\n")
    if command == "_run":
        return run(flavor, args[0])
    if command in ("qsub", "bsub"):
        return submit(flavor, args)
    if command in ("qdel", "bkill"):
        return kill(flavor, [a for a in args if not a.startswith("-")])
    if command == "qstat":
        return qstat(args)
    if command == "bjobs":
        return bjobs(args)
    sys.stderr.write(f"fake_sched: unknown command {command}\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
