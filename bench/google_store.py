#!/usr/bin/env python3
"""The fan-out and files workflows on a ``google:`` job store (the GCS emulator on loopback) next
to the ``file:`` job store, in one run, with the emulator's requests per job counted.

    .venv/bin/python bench/google_store.py                 # fan-out 200, files 20 x 1 MB x 3 readers
    .venv/bin/python bench/google_store.py --children 1000 --files 200 --readers 10

The emulator (gcp-storage-emulator, started as the tests start it) answers one request at a time
over HTTP/1.0, so the google: figures measure the job store's request pattern on a slow server, not
Cloud Storage's latency; the requests per job are the number that carries over. Prints a table and a
JSON line ``BENCH-GOOGLE {...}``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "tests" / "google"))

from gcs_server import start_gcs_server  # noqa: E402


def requests_logged(log: Path) -> int:
    """Requests the emulator answered so far (one access-log line each)."""
    try:
        return sum(1 for line in log.read_text(errors="replace").splitlines() if line.startswith('"'))
    except OSError:
        return 0


def run(script: str, store: str, args: List[str], env: Dict[str, str], cwd: str) -> float:
    began = time.perf_counter()
    proc = subprocess.run([sys.executable, str(BENCH / script), store, "--logLevel=WARNING", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - began
    if proc.returncode != 0 or "BENCH-RESULT" not in proc.stdout:
        raise SystemExit(f"{script} on {store} failed:\n{proc.stderr[-4000:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=200)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--readers", type=int, default=3)
    options = parser.parse_args()
    cases = [
        ("fan-out", "wf_fanout.py", [f"--benchChildren={options.children}"], options.children + 1),
        ("files", "wf_files.py", [f"--benchFiles={options.files}", f"--benchReaders={options.readers}",
                                  "--benchFileMB=1"], options.readers + 2),
    ]
    rows: List[Dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="toil-bench-google-") as tmp:
        server = start_gcs_server(Path(tmp))
        env = dict(os.environ, STORAGE_EMULATOR_HOST=server.url)
        try:
            for name, script, args, jobs in cases:
                file_seconds = run(script, f"file:{tmp}/js-{name}", args, env, tmp)
                before = requests_logged(server.log)
                google_seconds = run(script, f"google:bench-{uuid.uuid4().hex[:10]}", args, env, tmp)
                requests = requests_logged(server.log) - before
                rows.append({"case": name, "jobs": jobs, "file_seconds": round(file_seconds, 2),
                             "google_seconds": round(google_seconds, 2),
                             "ratio": round(google_seconds / file_seconds, 2), "requests": requests,
                             "requests_per_job": round(requests / jobs, 1)})
        finally:
            server.stop()
    print(f"{'case':<8} {'jobs':>5} {'file: s':>8} {'google: s':>10} {'ratio':>6} {'requests':>9} {'req/job':>8}")
    for row in rows:
        print(f"{row['case']:<8} {row['jobs']:>5} {row['file_seconds']:>8} {row['google_seconds']:>10} "
              f"{row['ratio']:>6} {row['requests']:>9} {row['requests_per_job']:>8}")
    print("BENCH-GOOGLE " + json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
