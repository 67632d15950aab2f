"""A real Cloud Storage JSON-API server for the tests: gcp-storage-emulator on loopback.

:func:`start_gcs_server` finds the emulator in this interpreter (the toil-google ``test`` extra
installs it) or installs it with pip into a private virtualenv (cached under
``~/.cache/toil-tests``), starts it on a free port with in-memory storage and waits until it
answers. The emulator implements the JSON API's objects, buckets, listings, rewrites, batch
requests and resumable uploads; it accepts but does not enforce customer-supplied encryption
keys and generation preconditions.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import List, Optional

import attrs

CACHE = Path(os.environ.get("TOIL_TEST_CACHE", Path.home() / ".cache" / "toil-tests"))
PACKAGE = "gcp-storage-emulator"


@attrs.define
class GCSServer:
    """A running emulator; ``url`` goes into ``STORAGE_EMULATOR_HOST``."""

    url: str
    process: "subprocess.Popen[bytes]"
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _emulator_command() -> List[str]:
    """How to run the emulator: this interpreter if it has it, else a private virtualenv."""
    probe = subprocess.run([sys.executable, "-c", "import gcp_storage_emulator.__main__"],
                           capture_output=True)
    if probe.returncode == 0:
        return [sys.executable, "-m", "gcp_storage_emulator"]
    venv = CACHE / "gcs-emulator-venv"
    python = venv / "bin" / "python"
    if not (venv / "bin" / "gcp-storage-emulator").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", PACKAGE], check=True)
    return [str(python), "-m", "gcp_storage_emulator"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def start_gcs_server(log_dir: Path, timeout: float = 60.0) -> GCSServer:
    """Start the emulator and wait (up to ``timeout`` s) until it answers."""
    command = _emulator_command()
    last: Optional[str] = None
    for _ in range(3):  # a port taken between choosing and binding: try another
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = log_dir / f"gcs-emulator-{port}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(command + ["start", "--host=127.0.0.1", f"--port={port}", "--in-memory"],
                                       stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        server = GCSServer(url, process, log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(url):
                return server
            time.sleep(0.1)
        last = server.log_tail()
        server.stop()
    raise RuntimeError(f"gcp-storage-emulator did not start:\n{last}")
