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
#: The name secrets.py --names gives files, shared files and a job (tests/core/workflows/secrets.py).
NAME_MARKER = "Zq7NameMarker"


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
    proc = ok(_run_secrets(tmp_path, js, "--sseKey", key, "--clean", "never", "--stats", "--names"))
    assert result_line(proc) == str(3 * (50 + 5000 + 1))
    assert "NAMES:ok" in proc.stdout, describe(proc)  # names came back, the export holds the content
    assert MARKER in proc.stderr  # the leader shows the job's log line: the workflow really logged it
    objects = _stored_objects(js)
    assert len(objects) > 10
    for path in js.rglob("*"):  # directories too: job IDs and owners name them
        assert NAME_MARKER.lower() not in str(path.relative_to(js)).lower(), f"a name in the path {path}"
    for path in objects:
        data = path.read_bytes()
        assert MARKER.encode() not in data, f"plaintext in {path}"
        assert NAME_MARKER.lower().encode() not in data.lower(), f"a name in clear in {path}"
    clear = {p.name for p in objects if not p.read_bytes().startswith(b"TOILENC")}
    assert clear <= {".toil-job-store", "encryption.json", "leader.lock"}, clear


def test_operator_commands_work_given_the_key(tmp_path: Path) -> None:
    key = _key(tmp_path)
    js = tmp_path / "js"
    ok(_run_secrets(tmp_path, js, "--sseKey", key, "--clean", "never", "--stats", "--names"))
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
    named = tmp_path / "named"
    fetch = subprocess.run([toil, "debug-file", str(js), "--fetch", f"{NAME_MARKER}_*", "--localFilePath",
                            str(named)], env=env, capture_output=True, text=True)
    assert fetch.returncode == 0, fetch.stderr
    assert {p.name for p in named.iterdir()} >= {f"{NAME_MARKER}_file.txt", f"{NAME_MARKER}_stream.dat",
                                                 f"{NAME_MARKER}_shared"}  # found by the names unsealed
    assert (named / f"{NAME_MARKER}_stream.dat").read_bytes() == b"named stream"
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
    files = sorted(p for p in (js / "files").rglob("*") if p.is_file())
    stored = [p for p in files if p.stat().st_size > 40000]  # the 5000-marker streams
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


def _store(path: Path, key: Path):
    from toil_core.jobstores.file_job_store import FileJobStore

    store = FileJobStore(str(path))
    store.provide_key(str(key))
    return store


def test_a_clear_store_keeps_readable_names(tmp_path: Path) -> None:
    """Upstream's layout where nothing is sealed: file IDs end with the file's name, job IDs
    start with the job's, shared files are kept under their names."""
    from toil_core.job.description import JobDescription
    from toil_core.jobstores.file_job_store import FileJobStore
    from toil_core.testing import make_config

    store = FileJobStore(str(tmp_path / "js"))
    store.initialize(make_config(tmp_path / "work"))
    with store.write_file_stream(basename=NAME_MARKER + ".txt") as (handle, file_id):
        handle.write(b"x")
    with store.write_shared_file_stream(NAME_MARKER + "_shared") as handle:
        handle.write(b"y")
    job = JobDescription(jobName=NAME_MARKER)
    store.assign_job_id(job)
    assert file_id.endswith("-" + NAME_MARKER + ".txt") and store.original_file_name(file_id) is None
    assert (tmp_path / "js" / "shared" / (NAME_MARKER + "_shared")).is_file()
    assert str(job.jobStoreID).startswith(NAME_MARKER + "-")


def test_sealed_names_come_back_only_with_their_token(tmp_path: Path) -> None:
    from toil_core.testing import make_config

    key = _key(tmp_path)
    store = _store(tmp_path / "js", key)
    store.initialize(make_config(tmp_path / "work", sseKey=str(key)))
    long_name = "é" * 100 + ".bam"  # over the 112 bytes kept whole: the end (extension) is kept
    ids = []
    for name in (NAME_MARKER + ".txt", long_name, None):
        with store.write_file_stream(basename=name) as (handle, file_id):
            handle.write(b"x")
        assert NAME_MARKER not in file_id and len(file_id.rsplit("/", 1)[-1]) <= 255
        ids.append(file_id)
    assert store.original_file_name(ids[0]) == NAME_MARKER + ".txt"
    kept = store.original_file_name(ids[1])
    assert kept is not None and long_name.endswith(kept) and len(kept.encode()) > 100
    assert store.original_file_name(ids[2]) == "stream"
    token, sealed = ids[0].rsplit("/", 1)[-1].split("-", 1)
    other_token = ids[2].rsplit("/", 1)[-1].split("-", 1)[0]
    assert store.original_file_name(f"{other_token}-{sealed}") is None  # a name moved to another file


def test_a_store_made_before_names_were_sealed_still_opens(tmp_path: Path) -> None:
    """A store of encryption format 1 (before this change: clear shared file names, file IDs
    ending with the clear name) opens, reads, and keeps its shared files where they are."""
    import json

    from toil_core.testing import make_config

    key = _key(tmp_path)
    js = tmp_path / "js"
    store = _store(js, key)
    store.initialize(make_config(tmp_path / "work", sseKey=str(key)))
    with store.write_shared_file_stream("notes") as handle:
        handle.write(b"old notes")
    # Turn it into a format 1 store: shared files sealed under their clear names, and one file
    # written as the old code wrote them (its clear name in its ID).
    cipher = store._cipher
    for name in ("config.pickle", "notes"):
        sealed = Path(store.shared_file_location(name))
        with store.read_shared_file_stream(name) as handle:
            plain = handle.read()
        (js / "shared" / name).write_bytes(cipher.encrypt(f"shared/{name}", plain))
        sealed.unlink()
    old_id = "ab/" + "ab" * 10 + "-" + NAME_MARKER + ".txt"
    (js / "files" / "ab").mkdir()
    (js / "files" / old_id).write_bytes(cipher.encrypt(f"files/{old_id}", b"old file"))
    record = json.loads((js / "encryption.json").read_text())
    record["format"] = 1
    (js / "encryption.json").write_text(json.dumps(record))

    reopened = _store(js, key)
    reopened.resume()
    with reopened.read_shared_file_stream("notes") as handle:
        assert handle.read() == b"old notes"
    with reopened.read_file_stream(old_id) as handle:
        assert handle.read() == b"old file"
    assert reopened.original_file_name(old_id) is None  # (debug-file falls back to the clear name)
    with reopened.write_shared_file_stream("more") as handle:
        handle.write(b"z")
    assert (js / "shared" / "more").is_file()  # a format 1 store keeps clear shared names


def test_object_stores_seal_names_and_keep_format_1_shared_names_clear(tmp_path: Path) -> None:
    """ObjectSealer (aws:, google:): the same shared name maps to the same key in every process
    of a format 2 store and opens again; a format 1 store's record keeps shared names clear."""
    import json

    from toil_core.plugin_api import ObjectSealer

    key = str(_key(tmp_path))
    new = ObjectSealer.create("aws:test", key)
    sealed = new.shared_name(NAME_MARKER)
    assert NAME_MARKER.lower() not in sealed.lower()
    again = ObjectSealer.open("aws:test", new.record(), key)  # another process, same store
    assert again.shared_name(NAME_MARKER) == sealed and again.open_shared_name(sealed) == NAME_MARKER
    part = new.file_name(NAME_MARKER + ".txt", "ab" * 10)
    assert again.open_file_name(part, "ab" * 10) == NAME_MARKER + ".txt"
    assert again.open_file_name(part, "cd" * 10) is None
    record = json.loads(new.record())
    record["format"] = 1
    old = ObjectSealer.open("aws:test", json.dumps(record).encode(), key)
    assert old.shared_name("config.pickle") == "config.pickle"
