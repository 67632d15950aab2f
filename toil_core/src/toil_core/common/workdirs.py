"""Where a workflow keeps its files on each node (work dir, per-workflow dir, coordination dir)."""
from __future__ import annotations

import os
import tempfile
from typing import Optional


def get_toil_work_dir(config_work_dir: Optional[str] = None) -> str:
    """TOIL_WORKDIR_OVERRIDE, else --workDir, else TOIL_WORKDIR, else the system temp dir."""
    work_dir = (
        os.environ.get("TOIL_WORKDIR_OVERRIDE")
        or config_work_dir
        or os.environ.get("TOIL_WORKDIR")
        or tempfile.gettempdir()
    )
    if not os.path.exists(work_dir):
        if config_work_dir and work_dir == config_work_dir:
            raise RuntimeError(f"The path provided to --workDir ({work_dir}) does not exist.")
        os.makedirs(work_dir, exist_ok=True)
    return work_dir


def get_local_workflow_dir(workflow_id: str, config_work_dir: Optional[str] = None) -> str:
    """This node's directory for one workflow: ``<workDir>/toil-<workflowID>`` (created)."""
    path = os.path.join(get_toil_work_dir(config_work_dir), f"toil-{workflow_id}")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def get_coordination_dir(config_work_dir: Optional[str] = None, config_coordination_dir: Optional[str] = None) -> str:
    """Directory for locks and state shared by the workflow's processes on this node."""
    chosen = (
        os.environ.get("TOIL_COORDINATION_DIR_OVERRIDE")
        or config_coordination_dir
        or os.environ.get("TOIL_COORDINATION_DIR")
    )
    if chosen:
        os.makedirs(chosen, exist_ok=True)
        return chosen
    return get_toil_work_dir(config_work_dir)
