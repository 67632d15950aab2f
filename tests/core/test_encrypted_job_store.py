"""A file job store created with --sseKey keeps everything encrypted (issue: the encryption extra).

The tests run real workflows (tests/core/workflows/secrets.py) and look at every byte of the job
store, tamper with stored objects, restart with wrong keys, and kill the leader mid-run.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

pytest.importorskip("cryptography", reason="toil-core[encryption] is a test dependency; install it")

from workflows.harness import describe, ok, result_line, run, workflow_env

MARKER = "PLAINTEXT-MARKER-6b1f0c"
SECRETS = "secrets.py"


def _key(tmp_path: Path, name: str = "key", length: int = 32) -> Path:
    path = tmp_path / name
    path.write_text(os.urandom(32).hex()[:length] + "\n")
    return path


def _snapshot(root: Path) -> Dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _stored_objects(js: Path):
    return [p for p in js.rglob("*") if p.is_file() and p.parent.name != "tmp"]


def _run_secrets(tmp_path: Path, js: Path, *args: object, timeout: float = 90):
    return run(SECRETS, js, "--marker", MARKER, *args, tmp_path=tmp_path, timeout=timeout)


def test_no_marker_anywhere_in_the_store(tmp_path: Path) -> None:
    key = _key(tmp_path)
    js = tmp_path / "js"
    proc = ok(_run_secrets(tmp_path, js, "--sseKey", key, "--clean", "never", "--stats"))
    assert result_line(proc) == str(3 * (50 + 5000 + 1))
    assert MARKER in proc.stderr  # the leader shows the job's log line: the workflow really logged it
    objects = _stored_objects(js)
    assert len(objects) > 10
    for path in objects:
        data = path.read_bytes()
        assert MARKER.encode() not in data, f"plaintext in {path}"
    clear = {p.name for p in objects if not p.read_bytes().startswith(b"TOILENC")}
    assert clear <= {".toil-job-store", "encryption.json", "leader.lock"}, clear


def test_operator_commands_work_given_the_key(tmp_path: Path) -> None:
    key = _key(tmp_path)
    js = tmp_path / "js"
    ok(_run_secrets(tmp_path, js, "--sseKey", key, "--clean", "never", "--stats"))
    toil = str(Path(sys.executable).with_name("toil"))
    env = workflow_env(tmp_path, {"TOIL_SSE_KEY": str(key)})
    stats = subprocess.run([toil, "stats", str(js), "--raw"], env=env, capture_output=True, text=True)
    assert stats.returncode == 0, stats.stderr
    assert '"writer"' in stats.stdout
    status = subprocess.run([toil, "status", str(js)], env=env, capture_output=True, text=True)
    assert status.returncode == 0, status.stderr
    assert "completed successfully" in status.stdout
    fetched = tmp_path / "fetched"
    fetch = subprocess.run([toil, "debug-file", str(js), "--fetch", "*stream*", "--localFilePath", str(fetched)],
                           env=env, capture_output=True, text=True)
    assert fetch.returncode == 0, fetch.stderr
    contents = [p.read_bytes() for p in fetched.iterdir()]
    assert sum(c == (MARKER * 5000).encode() for c in contents) == 3  # the three streams, decrypted
    without_key = subprocess.run([toil, "status", str(js)], env=workflow_env(tmp_path), capture_output=True,
                                 text=True)
    assert without_key.returncode != 0
    assert "is encrypted" in without_key.stderr and "TOIL_SSE_KEY" in without_key.stderr
    clean = subprocess.run([toil, "clean", str(js)], env=workflow_env(tmp_path), capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr
    assert not js.exists()


def _failed_run(tmp_path: Path, key: Path) -> Path:
    flag = tmp_path / "fail"
    flag.touch()
    js = tmp_path / "js"
    proc = _run_secrets(tmp_path, js, "--sseKey", key, "--retryCount", "0", "--failFlag", flag)
    assert proc.returncode != 0 and js.exists(), describe(proc)
    flag.unlink()
    return js


@pytest.mark.parametrize("case", ["no key", "wrong key", "short key"])
def test_restart_with_a_bad_key_fails_and_leaves_the_store_alone(tmp_path: Path, case: str) -> None:
    key = _key(tmp_path)
    js = _failed_run(tmp_path, key)
    before = _snapshot(js)
    args = {"no key": [], "wrong key": ["--sseKey", _key(tmp_path, "other")],
            "short key": ["--sseKey", _key(tmp_path, "short", 31)]}[case]
    proc = _run_secrets(tmp_path, js, "--restart", *args)
    assert proc.returncode != 0
    expected = {"no key": "no key was given", "wrong key": "is not the key",
                "short key": "32 character"}[case]
    assert expected in proc.stderr, describe(proc)
    assert _snapshot(js) == before
    proc = ok(_run_secrets(tmp_path, js, "--restart", "--sseKey", key))
    assert result_line(proc) == str(3 * (50 + 5000 + 1))


@pytest.mark.parametrize("how", ["flip", "truncate", "swap"])
def test_tampered_file_fails_the_read_and_restart_resumes_once_restored(tmp_path: Path, how: str) -> None:
    key = _key(tmp_path)
    js = _failed_run(tmp_path, key)
    streams = sorted((js / "files").rglob("*-stream"))
    stored = [p for p in streams if p.stat().st_size > 40000]  # the 5000-marker streams
    assert len(stored) >= 2
    victim, other = stored[0], stored[1]
    original, other_original = victim.read_bytes(), other.read_bytes()
    if how == "flip":
        victim.write_bytes(original[:100] + bytes([original[100] ^ 0x40]) + original[101:])
    elif how == "truncate":
        victim.write_bytes(original[:-100])
    else:
        victim.write_bytes(other_original)
        other.write_bytes(original)
    proc = _run_secrets(tmp_path, js, "--restart", "--sseKey", key, "--retryCount", "0")
    assert proc.returncode != 0
    assert "cannot be decrypted" in proc.stderr, describe(proc)
    named = {victim.name, other.name} if how == "swap" else {victim.name}  # a swap fails at whichever is read first
    assert any(name in proc.stderr for name in named), describe(proc)
    victim.write_bytes(original)
    other.write_bytes(other_original)
    proc = ok(_run_secrets(tmp_path, js, "--restart", "--sseKey", key))
    assert result_line(proc) == str(3 * (50 + 5000 + 1))


def test_without_cryptography_the_error_says_what_to_install(tmp_path: Path) -> None:
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['cryptography'] = None\n")
    env = workflow_env(tmp_path, {"PYTHONPATH": str(blocker)})
    proc = run(SECRETS, tmp_path / "js", "--marker", MARKER, "--sseKey", _key(tmp_path), tmp_path=tmp_path, env=env)
    assert proc.returncode != 0
    assert "pip install 'toil-core[encryption]'" in proc.stderr, describe(proc)
    assert not (tmp_path / "js").exists()


def test_the_core_does_not_import_cryptography_without_encryption(tmp_path: Path) -> None:
    code = ("import sys\n"
            "from toil.common import Toil\nfrom toil.job import Job\n"
            "def f(job):\n    return job.fileStore.writeGlobalFile(__file__) and 1\n"
            "if __name__ == '__main__':\n"
            "    o = Job.Runner.getDefaultOptions(sys.argv[1])\n"
            "    with Toil(o) as t:\n        assert t.start(Job.wrapJobFn(f)) == 1\n"
            "    print('LOADED', 'cryptography' in sys.modules)\n")
    script = tmp_path / "plain.py"
    script.write_text(code)
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "js")], capture_output=True, text=True,
                          env=workflow_env(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "LOADED False" in proc.stdout


def test_client_side_encryption_needs_a_key(tmp_path: Path) -> None:
    proc = _run_secrets(tmp_path, tmp_path / "js", "--clientSideEncryption")
    assert proc.returncode != 0
    assert "--clientSideEncryption needs the key" in proc.stderr
    assert not (tmp_path / "js").exists()
