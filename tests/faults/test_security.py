"""Security basics (issue 5).

* The job store is private: every directory 0700, every file 0600 (0700 if executable), even
  when the workflow runs under umask 000.
* Secrets given with ``--setEnv`` or present in the leader's environment reach the jobs but
  never any log or statistics: a run with ``--stats``, ``--writeLogs``, ``--logDebug``,
  ``--logFile`` and a failing job is searched completely (job store, log files, the output of
  the run and of ``toil stats`` / ``toil status``). The only files that hold them are the two
  the workers need to recreate the environment: ``shared/config.pickle`` (the ``--setEnv``
  values) and ``shared/environment.pickle`` (the leader's environment), both 0600.
* A job store owned by another user is refused before anything in it is unpickled: its config
  is replaced by a pickle that creates a marker file when loaded, and no marker appears.
"""
from __future__ import annotations

import os
import pickle
import shutil
import stat
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Dict, List

import attrs
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "scripts"))
from support import command, describe, script_env, without_source_lines  # noqa: E402

SCRIPT = "secrets_wf.py"
#: The two files that must hold the secrets (see the module docstring).
ALLOWED = ("js/shared/config.pickle", "js/shared/environment.pickle")


@attrs.define
class SecretRun:
    tmp: Path
    secrets: Dict[str, str]
    outputs: Dict[str, str]  # name -> text printed by the run and the toil commands


def _toil(*args: object, tmp: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "toil_core.cli.main", *[str(a) for a in args]], cwd=str(tmp),
                          env=script_env(tmp), capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def secret_run(tmp_path_factory: pytest.TempPathFactory) -> SecretRun:
    tmp = tmp_path_factory.mktemp("secrets")
    out = tmp / "out"
    out.mkdir()
    secrets = {"TOIL_TEST_SETENV_TOKEN": f"setenv-{uuid.uuid4().hex}",
               "TOIL_TEST_ENV_PASSWORD": f"environ-{uuid.uuid4().hex}",
               "TOIL_TEST_FORWARDED_KEY": f"forwarded-{uuid.uuid4().hex}"}
    (out / "secret-names").write_text("\n".join(secrets) + "\n")
    env = script_env(tmp, {"TOIL_TEST_ENV_PASSWORD": secrets["TOIL_TEST_ENV_PASSWORD"],
                           "TOIL_TEST_FORWARDED_KEY": secrets["TOIL_TEST_FORWARDED_KEY"]})
    args = [tmp / "js", "--out", out, "--stats", "--writeLogs", tmp / "joblogs", "--writeLogsFromAllJobs",
            "--logDebug", "--logFile", tmp / "leader.log", "--retryCount", "0",
            "--setEnv", f"TOIL_TEST_SETENV_TOKEN={secrets['TOIL_TEST_SETENV_TOKEN']}",
            "--setEnv", "TOIL_TEST_FORWARDED_KEY"]
    proc = subprocess.run(command(SCRIPT, args), cwd=str(tmp), env=env, capture_output=True, text=True,
                          timeout=120, preexec_fn=lambda: os.umask(0))
    assert proc.returncode == 1, describe(proc)  # the failing job
    assert "deliberate failure for the security test" in proc.stderr
    outputs = {"run stdout": proc.stdout, "run stderr": proc.stderr}
    for name, cmd in (("toil stats", ["stats", tmp / "js"]), ("toil stats --raw", ["stats", tmp / "js", "--raw"]),
                      ("toil status", ["status", tmp / "js", "--printLogs", "--printPerJobStats"])):
        done = _toil(*cmd, tmp=tmp)
        outputs[name] = done.stdout + done.stderr
        outputs[name + " (exit code)"] = str(done.returncode)
    return SecretRun(tmp, secrets, outputs)


def test_the_secrets_reached_every_job(secret_run: SecretRun) -> None:
    """Without this the search below could pass for want of secrets to leak."""
    events = (secret_run.tmp / "out" / "events.log").read_text().split("\n")
    for job in ("root", "fails", "writer"):
        assert f"{job} sees-secrets yes" in events, events


def test_secrets_never_appear_in_logs_stats_or_output(secret_run: SecretRun, fault_table) -> None:
    tmp = secret_run.tmp
    values = [v.encode() for v in secret_run.secrets.values()]
    holders: List[str] = []
    searched = 0
    for path in sorted(tmp.rglob("*")):
        if path.is_file() and not path.is_symlink():
            searched += 1
            data = path.read_bytes()
            if any(value in data for value in values):
                holders.append(str(path.relative_to(tmp)))
    leaking_outputs = [name for name, text in secret_run.outputs.items()
                       if any(value.decode() in text for value in values)]
    assert holders == list(ALLOWED), holders
    assert leaking_outputs == []
    # What was searched really holds logs and statistics.
    js = tmp / "js"
    assert list(js.glob("logs/*/*")), "no stats/log blobs in the job store"
    assert len(list((tmp / "joblogs").iterdir())) >= 3
    assert "[D]" in (tmp / "leader.log").read_text()
    assert secret_run.outputs["toil stats (exit code)"] == "0" and "writer" in secret_run.outputs["toil stats"]
    assert "deliberate failure" in secret_run.outputs["toil status"]
    for name in ALLOWED:
        assert stat.S_IMODE((tmp / name).stat().st_mode) == 0o600
    fault_table.record("security", "--setEnv / environment secrets with --stats --writeLogs --logDebug "
                       "--logFile and a failing job",
                       f"absent from {searched} files and 5 outputs (only in config/environment.pickle, 0600)")


def test_job_store_tree_is_private_even_under_umask_000(secret_run: SecretRun, fault_table) -> None:
    js = secret_run.tmp / "js"
    me = os.geteuid()
    modes: Dict[str, int] = {}
    for path in [js, *sorted(js.rglob("*"))]:
        info = path.lstat()
        assert info.st_uid == me, path
        modes[str(path.relative_to(js))] = stat.S_IMODE(info.st_mode)
        if stat.S_ISDIR(info.st_mode):
            assert stat.S_IMODE(info.st_mode) == 0o700, (path, oct(info.st_mode))
        else:
            assert stat.S_ISREG(info.st_mode), path
            assert stat.S_IMODE(info.st_mode) in (0o600, 0o700), (path, oct(info.st_mode))
            if stat.S_IMODE(info.st_mode) == 0o700:
                assert path.name.endswith("tool.sh"), path  # only the imported executable
    assert 0o700 in [m for p, m in modes.items() if p.endswith("tool.sh")]
    assert len(modes) > 20
    fault_table.record("security", "job store permissions after a run under umask 000",
                       f"{len(modes)} entries: directories 0700, files 0600 (executable 0700)")


# ------------------------------------------------------------------ a store owned by someone else
class _MakesMarker:
    """Unpickling this creates a file: evidence that something was unpickled."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (self.path, "w"))


def _chown(path: Path, uid: int, gid: int, recursive: bool) -> None:
    for item in [path, *(path.rglob("*") if recursive else [])]:
        os.lchown(item, uid, gid)


@pytest.mark.parametrize("owned", ["whole store", "config only"])
def test_store_of_another_user_is_refused_before_anything_is_unpickled(owned: str, secret_run: SecretRun,
                                                                       tmp_path: Path, fault_table) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give the job store to another user")
    try:
        import pwd

        nobody = pwd.getpwnam("nobody")
    except (ImportError, KeyError):
        pytest.skip("no 'nobody' user")
    js = tmp_path / "js"
    shutil.copytree(secret_run.tmp / "js", js, symlinks=True)
    marker = tmp_path / "UNPICKLED"
    (js / "shared" / "config.pickle").write_bytes(pickle.dumps(_MakesMarker(str(marker))))
    target = js if owned == "whole store" else js / "shared" / "config.pickle"
    _chown(target, nobody.pw_uid, nobody.pw_gid, recursive=owned == "whole store")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "secret-names").write_text("")
    attempts = {
        "workflow --restart": subprocess.run(command(SCRIPT, [js, "--out", tmp_path / "out", "--restart"]),
                                             cwd=str(tmp_path), env=script_env(tmp_path), capture_output=True,
                                             text=True, timeout=120),
        "toil status": _toil("status", js, tmp=tmp_path),
        "toil stats": _toil("stats", js, tmp=tmp_path),
    }
    for name, proc in attempts.items():
        output = without_source_lines(proc.stdout + proc.stderr)
        assert proc.returncode != 0, (name, describe(proc))
        assert f"Refusing to load the job store '{js}'" in output, (name, describe(proc))
        assert "is owned by user 'nobody'" in output and "chown -R" in output, (name, output)
        assert not marker.exists(), f"{name} unpickled the config of a store it does not own"
    # The pickle is live: once the store is ours again, loading it creates the marker.
    _chown(target, 0, 0, recursive=owned == "whole store")
    _toil("status", js, tmp=tmp_path)
    assert marker.exists()
    fault_table.record("security", f"job store owned by 'nobody' ({owned}), config = marker pickle",
                       "refused by --restart, toil status, toil stats before unpickling (no marker)")
