"""A workflow on the real Slurm of the HPC tests with an ``aws:`` job store: the workers share
nothing with the leader but S3 (the moto server on loopback) and the key file's path.

Slurm is started by toil_hpc/scripts/slurm_up.sh (as in tests/hpc); its jobs run the Toil worker,
which opens the job store from the locator and the environment the leader passes on
(``AWS_ENDPOINT_URL``, the credentials, ``TOIL_SSE_KEY``). The workflow is the encryption suite's
marker workflow with ``--clientSideEncryption``, so the workers must also unseal what the leader
sealed and seal what they write.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from test_aws_workflows import REPO, describe, run

sys.path.insert(0, str(REPO / "tests" / "hpc"))

MARKER = "SLURM-MARKER-5e0b"


@pytest.fixture(scope="module")
def slurm() -> None:
    from hpc_support import _impossible, _set_up

    reason = _impossible(apt_for="slurmctld")
    if reason:
        pytest.skip(f"real Slurm not available: {reason}")
    _set_up("slurm_up.sh", timeout=600)


@pytest.mark.timeout(1200)
def test_a_workflow_on_slurm_with_an_aws_job_store(slurm: None, tmp_path: Path, aws_locator: str,
                                                   store_name: str, s3: Any) -> None:
    pytest.importorskip("cryptography", reason="toil-core[encryption] is a test dependency; install it")
    key = tmp_path / "key"
    key.write_text(os.urandom(16).hex() + "\n")
    logs = tmp_path / "batchlogs"
    # (a copy under another name: on a Slurm node the stdlib's 'secrets' module would shadow it)
    script = tmp_path / "marker_workflow.py"
    shutil.copy(REPO / "tests" / "core" / "workflows" / "secrets.py", script)
    proc = run([sys.executable, script, aws_locator,
                "--marker", MARKER, "--batchSystem", "slurm", "--batchLogsDir", logs, "--sseKey", key,
                "--clientSideEncryption", "--disableCaching"], tmp_path, timeout=600)
    assert proc.returncode == 0, describe(proc)
    assert f"RESULT:{3 * (50 + 5000 + 1)}" in proc.stdout, describe(proc)
    ran = list(logs.glob("toil_job_*_std_output.log"))
    assert len(ran) >= 4, f"the jobs did not run through Slurm: {sorted(p.name for p in logs.iterdir())}"
    assert not any(b["Name"] == f"{store_name}--toil" for b in s3.list_buckets().get("Buckets", [])), \
        "the job store is deleted when the workflow succeeds"
