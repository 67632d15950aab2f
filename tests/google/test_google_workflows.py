"""Real workflows on a ``google:`` job store against the GCS emulator: the manual's helloWorld and
sort examples (with the sort example's failure and --restart), the fault suite's workflow with
its leader SIGKILLed and restarted, the ``toil`` utilities on the store, and bad inputs."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

from google_support import PROJECT, fresh_name, key_file

REPO = Path(__file__).resolve().parents[2]
E2E_SCRIPTS = REPO / "tests" / "e2e" / "scripts"
TOIL = Path(sys.executable).parent / "toil"
sys.path.insert(0, str(REPO / "tests" / "faults" / "workflows"))

import faultkit  # noqa: E402  (the fault suite's workflow driver)
from faultkit import Trigger  # noqa: E402


def run(args: List[object], cwd: Path, env: Optional[Dict[str, str]] = None,
        timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=str(cwd), env=env, capture_output=True, text=True,
                          timeout=timeout)


def describe(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-6000:]}"


def buckets(bucket_client) -> set:
    return {b.name for b in bucket_client.list_buckets()}


def open_google_store(locator: str):
    from toil.common import Toil

    return Toil.getJobStore(locator)


# ------------------------------------------------------------------------------ the manual's examples
def test_hello_world_runs_on_google_and_cleans_up(gcs, bucket_client, tmp_path: Path) -> None:
    name = fresh_name("hello")
    proc = run([sys.executable, REPO / "examples" / "helloWorld.py", f"google:{PROJECT}:{name}"], tmp_path)
    assert proc.returncode == 0, describe(proc)
    assert "Hello, world!, here's a message: You did it!" in proc.stdout
    assert f"{name}--toil" not in buckets(bucket_client)  # options.clean = "always"


def test_sort_example_fails_then_restarts_on_google(gcs, bucket_client, tmp_path: Path) -> None:
    """Section 2.4.4 of the manual on a google: store: a job fails, the store is kept and the
    utilities read it, --restart after the fix finishes the workflow and removes the bucket."""
    script = tmp_path / "sort.py"
    text = (E2E_SCRIPTS / "sort.py").read_text()
    first = '    RealtimeLogger.info("Down job starting: %s" % path)\n'
    assert first in text
    script.write_text(text.replace(first, '    assert 1 == 2, "Test error!"\n' + first, 1))
    name = fresh_name("sort")
    locator = f"google:{PROJECT}:{name}"
    common = [sys.executable, script, locator, "--numLines=300", "--lineLength=10", "--overwriteOutput=True",
              "--retryCount=0", "--stats"]
    failed = run(common, tmp_path)
    assert failed.returncode != 0, describe(failed)
    assert "Test error!" in failed.stderr and "---TOIL WORKER OUTPUT LOG---" in failed.stderr
    assert f"{name}--toil" in buckets(bucket_client)  # kept for --restart

    status = run([TOIL, "status", locator], tmp_path)
    assert status.returncode == 0, describe(status)
    assert "down" in status.stdout + status.stderr  # the failed job is listed
    listed = run([TOIL, "debug-file", locator, "--listFilesInJobStore"], tmp_path)
    assert listed.returncode == 0, describe(listed)
    names = (tmp_path / "jobstore_files.txt").read_text().split()
    assert "shared/config.pickle" in names and any(n.startswith("jobs/down-") for n in names), names
    fetched = run([TOIL, "debug-file", locator, "--fetch", "rootJobStoreID", "--localFilePath", tmp_path / "got"],
                  tmp_path)
    assert fetched.returncode == 0, describe(fetched)
    assert (tmp_path / "got" / "rootJobStoreID").read_text().startswith("setup")
    again = run(common, tmp_path)  # without --restart
    assert again.returncode != 0 and "already exists. Use --restart" in again.stderr, describe(again)

    script.write_text(text)  # the fix
    fixed = run(common + ["--restart"], tmp_path)
    assert fixed.returncode == 0, describe(fixed)
    lines = (tmp_path / "sortedFile.txt").read_text().splitlines()
    assert len(lines) == 300 and lines == sorted(lines)
    stats = run([TOIL, "stats", locator], tmp_path)
    assert stats.returncode == 0 and "down" in stats.stdout, describe(stats)
    clean = run([TOIL, "clean", locator], tmp_path)
    assert clean.returncode == 0, describe(clean)
    assert f"{name}--toil" not in buckets(bucket_client)


# ------------------------------------------------------------------------------ a killed leader
WIDTH, SIZE, BIG = 3, 64 * 1024, 9 * 1024 * 1024  # BIG: over the resumable-upload threshold
NAMES = faultkit.faultflow.job_names(WIDTH)


def test_a_sigkilled_leader_resumes_on_google_without_redoing_recorded_work(gcs, bucket_client,
                                                                           tmp_path: Path) -> None:
    seed = 11
    locator = f"google:{PROJECT}:{fresh_name('crash')}"
    out = tmp_path / "out"
    out.mkdir()
    args = [*faultkit.QUICK, "--clean", "never", "--width", WIDTH, "--size", SIZE, "--big", BIG,
            "--seed", seed]
    kills = []
    for cycle, trigger in enumerate([Trigger("done", 2), Trigger("done", 3)]):
        extra = ["--restart"] if cycle else []
        proc = faultkit.start(Path(locator), out, [*args, *extra], tmp_path, f"leader{cycle}")
        info = faultkit.watch_and_kill(proc, Path(locator), out, trigger, poll=0.01, timeout=180)
        assert info is not None, (tmp_path / f"leader{cycle}.err").read_text()[-4000:]
        lines = faultkit.counter(out)
        assert not faultkit.wait_gone(faultkit.job_pids(lines), timeout=20), "jobs outlived the leader"
        assert faultkit.wait_group_gone(proc.pid, timeout=20)
        lines = faultkit.counter(out)
        jobs = {desc.jobStoreID: desc for desc in open_google_store(locator).jobs()}  # all readable
        kills.append((len(lines), faultkit.completion_recorded(lines, jobs)))

    final = faultkit.start(Path(locator), out, [*args, "--restart"], tmp_path, "final")
    assert final.wait(timeout=240) == 0, (tmp_path / "final.err").read_text()[-6000:]
    lines = faultkit.counter(out)
    assert faultkit.result_line(tmp_path / "final.out") == faultkit.expected_result(seed, WIDTH, SIZE, BIG)
    assert not faultkit.bad_reads(lines, seed, faultkit.file_sizes(SIZE, BIG, WIDTH))
    for before, recorded in kills:
        again = {line.name for line in lines[before:] if line.kind == "run"} & set(recorded)
        assert not again, f"{sorted(again)} ran again after their completion was recorded"
    assert {line.name for line in lines if line.kind == "done"} == set(NAMES)
    store = open_google_store(locator)
    assert list(store.jobs()) == []
    store.destroy()


# ------------------------------------------------------------------------------ bad inputs
def _scrubbed_env(tmp_path: Path) -> Dict[str, str]:
    """No emulator, no credentials, no gcloud configuration, no metadata server."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("STORAGE_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT",
                        "CLOUDSDK_CONFIG")}
    env.update(HOME=str(tmp_path), NO_GCE_CHECK="True", GCE_METADATA_HOST="127.0.0.1:9",
               GCE_METADATA_IP="127.0.0.1:9")
    return env


def test_no_credentials_and_no_emulator_is_one_clear_error(tmp_path: Path) -> None:
    proc = run([sys.executable, REPO / "examples" / "helloWorld.py", f"google:{PROJECT}:{fresh_name()}"],
               tmp_path, env=_scrubbed_env(tmp_path), timeout=120)
    assert proc.returncode == 1, describe(proc)
    assert "No Google Cloud credentials found: set GOOGLE_APPLICATION_CREDENTIALS" in proc.stderr, describe(proc)
    assert "STORAGE_EMULATOR_HOST" in proc.stderr


def test_a_malformed_locator_is_one_clear_error(tmp_path: Path) -> None:
    proc = run([sys.executable, REPO / "examples" / "helloWorld.py", "google:Not_A_Bucket!"], tmp_path)
    assert proc.returncode == 1, describe(proc)
    assert "Invalid google job store locator 'google:Not_A_Bucket!'" in proc.stderr, describe(proc)


def test_a_31_character_sse_key_is_refused_before_anything_is_made(gcs, bucket_client, tmp_path: Path) -> None:
    name = fresh_name("key31")
    proc = run([sys.executable, REPO / "examples" / "helloWorld.py", f"google:{PROJECT}:{name}",
                "--sseKey", key_file(tmp_path, b"k" * 31)], tmp_path)
    assert proc.returncode != 0, describe(proc)
    assert "32 character key" in proc.stderr, describe(proc)
    assert f"{name}--toil" not in buckets(bucket_client)


def test_restart_with_another_sse_key_fails_at_once_and_leaves_the_store(gcs, bucket_client,
                                                                         tmp_path: Path) -> None:
    """The emulator does not enforce customer-supplied keys, so this is the store's own check (the
    fingerprint in its marker): on Cloud Storage the first read would fail too."""
    script = tmp_path / "fails.py"
    script.write_text(
        "from toil.common import Toil\nfrom toil.job import Job\n\n"
        "def boom(job):\n    raise RuntimeError('planned failure')\n\n"
        "if __name__ == '__main__':\n"
        "    options = Job.Runner.getDefaultArgumentParser().parse_args()\n"
        "    options.retryCount = 0\n"
        "    with Toil(options) as toil:\n"
        "        toil.restart() if options.restart else toil.start(Job.wrapJobFn(boom))\n")
    name = fresh_name("sse")
    locator = f"google:{PROJECT}:{name}"
    first = run([sys.executable, script, locator, "--sseKey", key_file(tmp_path, b"A" * 32)], tmp_path)
    assert first.returncode != 0 and "planned failure" in first.stderr, describe(first)
    objects = sorted((b.name, b.generation) for b in bucket_client.list_blobs(f"{name}--toil"))
    wrong = run([sys.executable, script, locator, "--restart", "--sseKey", key_file(tmp_path, b"B" * 32, "b.key")],
                tmp_path, timeout=60)
    assert wrong.returncode != 0, describe(wrong)
    assert "was created with a different --sseKey" in wrong.stderr, describe(wrong)
    missing = run([sys.executable, script, locator, "--restart"], tmp_path, timeout=60)
    assert "was created with an --sseKey, but none was given" in missing.stderr, describe(missing)
    assert sorted((b.name, b.generation) for b in bucket_client.list_blobs(f"{name}--toil")) == objects
    clean = run([TOIL, "clean", locator], tmp_path)
    assert clean.returncode == 0, describe(clean)


# ------------------------------------------------------------------------------ chapter 12 tutorials
def test_tutorial_multiplejobs_runs_every_job_once_on_google(gcs, tmp_path: Path) -> None:
    proc = run([sys.executable, E2E_SCRIPTS / "tutorial_multiplejobs3.py", f"google:{PROJECT}:{fresh_name('mj')}"],
               tmp_path)
    assert proc.returncode == 0, describe(proc)
    prefix = "Hello world, I have a message: "
    counts = {word: sum(1 for line in proc.stderr.splitlines() if prefix + word in line)
              for word in ("first", "second or third", "last")}
    assert counts == {"first": 1, "second or third": 2, "last": 1}, describe(proc)


def test_tutorial_checkpoint_reruns_on_google(gcs, tmp_path: Path) -> None:
    locator = f"google:{PROJECT}:{fresh_name('ckpt')}"
    proc = run([sys.executable, E2E_SCRIPTS / "tutorial_checkpoints.py", locator, "--retryCount", "1"], tmp_path)
    assert proc.returncode == 0, describe(proc)
    assert "The checkpoint job ran 2 times" in proc.stdout.splitlines(), describe(proc)
    assert "Successor defined by checkpoint run 2 succeeded" in proc.stderr, describe(proc)
    assert "Successor defined by checkpoint run 1 succeeded" not in proc.stderr, describe(proc)


# ------------------------------------------------------------------------------ client-side encryption
def test_a_sealed_store_shows_no_name_or_content_in_the_bucket(gcs, bucket_client, tmp_path: Path) -> None:
    """tests/core/workflows/secrets.py with --clientSideEncryption --names: no object name holds a
    name the workflow chose (files, imports, shared files, the job's names), no object holds the
    marker or a name in clear, and the names still come back (readGlobalFile, debug-file)."""
    import pytest

    pytest.importorskip("cryptography", reason="toil-core[encryption] is a test dependency; install it")
    from google.cloud.storage import Blob

    marker, names = "PLAINTEXT-MARKER-5e2d70", "Zq7NameMarker"  # the latter: secrets.py's NAME_MARKER
    key = b"0123456789abcdef0123456789ABCDEF"
    name = fresh_name("sealed")
    locator = f"google:{PROJECT}:{name}"
    proc = run([sys.executable, REPO / "tests" / "core" / "workflows" / "secrets.py", locator, "--marker", marker,
                "--sseKey", key_file(tmp_path, key), "--clientSideEncryption", "--clean", "never", "--stats",
                "--names"], tmp_path)
    assert proc.returncode == 0, describe(proc)
    assert f"RESULT:{3 * (50 + 5000 + 1)}" in proc.stdout and "NAMES:ok" in proc.stdout, describe(proc)
    bucket = bucket_client.bucket(f"{name}--toil")
    objects = sorted(b.name for b in bucket_client.list_blobs(bucket))
    assert len(objects) > 10, objects
    for object_name in objects:
        assert names.lower() not in object_name.lower(), f"a name in clear in the object name {object_name}"
        sealed = object_name not in ("_toil/store", "_toil/leader-lock")
        raw = Blob(object_name, bucket, encryption_key=key if sealed else None).download_as_bytes()
        assert marker.encode() not in raw and names.lower().encode() not in raw.lower(), object_name
        assert raw.startswith(b"TOILENC") == sealed, object_name
    env = dict(os.environ, TOIL_SSE_KEY=key_file(tmp_path, key))
    fetched = tmp_path / "fetched"
    fetch = run([TOIL, "debug-file", locator, "--fetch", f"{names}_*", "--localFilePath", fetched], tmp_path, env=env)
    assert fetch.returncode == 0, describe(fetch)
    assert {p.name for p in fetched.iterdir()} >= {f"{names}_file.txt", f"{names}_stream.dat",
                                                   f"{names}_shared"}, describe(fetch)
    clean = run([TOIL, "clean", locator], tmp_path, env=env)
    assert clean.returncode == 0, describe(clean)
