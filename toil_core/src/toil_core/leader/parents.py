"""Which jobs wait on a job: the leader's reverse edges, kept small.

Almost every job has exactly one predecessor, and the leader may hold this for 100,000 pending
jobs, so one parent is stored as a bare string and only several parents as a tuple (a list per
job would cost about 110 bytes more each).
"""
from __future__ import annotations

from typing import Dict, Tuple, Union


class ParentIndex:
    """job ID -> the IDs of the jobs waiting for it to finish."""

    __slots__ = ("_parents",)

    def __init__(self) -> None:
        self._parents: Dict[str, Union[str, Tuple[str, ...]]] = {}

    def add(self, job_id: str, parent_id: str) -> None:
        current = self._parents.get(job_id)
        if current is None:
            self._parents[job_id] = parent_id
        elif isinstance(current, str):
            self._parents[job_id] = (current, parent_id)
        else:
            self._parents[job_id] = current + (parent_id,)

    def get(self, job_id: str) -> Tuple[str, ...]:
        current = self._parents.get(job_id)
        if current is None:
            return ()
        return (current,) if isinstance(current, str) else current

    def pop(self, job_id: str, default: object = None) -> Tuple[str, ...]:
        current = self._parents.pop(job_id, None)
        if current is None:
            return ()
        return (current,) if isinstance(current, str) else current

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._parents

    def __len__(self) -> int:
        return len(self._parents)
