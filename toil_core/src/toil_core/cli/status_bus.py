"""What ``toil status --printStatus`` says about jobs from the leader's message bus.

The leader publishes a message when it issues a job to the batch system and when the batch system
reports the job ended (see :mod:`toil_core.leader.messages`); replaying them gives each job's last
known state, which the job store alone can't tell (a job that is issued looks like one waiting).
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from toil_core.bus import JobStatus

__all__ = ["job_state", "print_bus_states"]


def job_state(job: Any, states: Dict[str, JobStatus], leader_running: bool) -> str:
    """A few words on a stored job that has not run yet (``job.body_id`` set)."""
    if job.remainingTryCount <= 0:
        return "failed"
    state = states.get(job.jobStoreID)
    if state is not None and state.is_running():
        if leader_running:
            return f"issued to the batch system (batch system ID {state.toil_batch_id})"
        return f"was issued (batch system ID {state.toil_batch_id}) when the leader stopped"
    return "not issued yet" if leader_running else "not run"


def print_bus_states(where: Optional[str], states: Dict[str, JobStatus], leader_running: bool) -> None:
    """Print where the messages are, the jobs issued and not seen to end (with their batch system
    IDs) and the jobs whose last attempt failed."""
    if where is None:
        print("No leader messages are kept for this workflow (its leader runs on another machine, or "
              "the workflow ran with an older version).")
        return
    print(f"Message bus path: {where}")
    issued = sorted((s for s in states.values() if s.is_running()), key=lambda s: s.toil_batch_id)
    failed = sorted((s for s in states.values() if s.exit_code > 0), key=lambda s: s.toil_batch_id)
    if leader_running:
        print(f"Jobs issued to the batch system and not finished yet: {len(issued)}")
    else:
        print(f"Jobs issued to the batch system when the leader stopped: {len(issued)}")
    for state in issued:
        external = f" ({state.batch_system} ID {state.external_batch_id})" if state.external_batch_id else ""
        print(f"    {state.name} {state.job_store_id}: batch system ID {state.toil_batch_id}{external}")
    if failed:
        print(f"Jobs whose last attempt failed: {len(failed)}")
        for state in failed:
            print(f"    {state.name} {state.job_store_id}: batch system ID {state.toil_batch_id}, "
                  f"exit code {state.exit_code}")
