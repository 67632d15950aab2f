"""The descriptions of new successors a worker's commit records in its job's description.

A worker that ran a job records, in the one update of that job's description that makes its new
successors reachable, the stored descriptions of the successors in phases of two or more jobs
(:attr:`~toil_core.job.description.JobDescription.created`; why they are current when the leader
reads them is said at :func:`toil_core.job.commit.created_successors`). The leader then reads
one file where it would read one per new job.

A fan-out's new jobs are nearly all alike, so they are recorded per phase as one block: the
fields every new job of the phase shares once (``common``), and, in the order of the phase, one
row per job with only the fields that differ (``keys``; the job's ID is not among them: it is
the phase's entry at the same position). A row is ``None`` for a successor the commit did not
create. Compared with one full description per job this makes the job's stored description, and
what the leader holds while it parses it, several times smaller (a million-job fan-out's root
is parsed once, whole). Blocks are told apart from the older form (a list of full descriptions)
by their ``phase`` key; both are read.
"""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from toil_core.job.description import JobDescription

__all__ = ["encode_created", "expand_created"]

#: Fields ``to_dict`` leaves out when they have their default: put back so every row has them all.
_OPTIONAL_DEFAULTS: Tuple[Tuple[str, Any], ...] = (("raw_command", None), ("fresh", False), ("created", []))
_PHASES = ("children", "followOns")


def _stored_form(desc: JobDescription) -> Dict[str, Any]:
    data = desc.to_dict()
    data["inline_body"] = None  # only the worker needs the body; the leader drops it anyway
    for name, default in _OPTIONAL_DEFAULTS:
        data.setdefault(name, default)
    return data


def encode_created(desc: JobDescription, made: Dict[Optional[str], JobDescription]) -> List[Dict[str, Any]]:
    """The blocks recording the successors of ``desc`` that are in ``made`` (job ID -> new
    description), for each of its phases of two or more jobs."""
    blocks: List[Dict[str, Any]] = []
    for phase_name in _PHASES:
        phase: Sequence[str] = getattr(desc, phase_name)
        if len(phase) < 2:
            continue
        forms: List[Optional[Dict[str, Any]]] = []
        for job_id in phase:
            new = made.get(job_id)
            forms.append(_stored_form(new) if new is not None else None)
        present = [form for form in forms if form is not None]
        if not present:
            continue
        first = present[0]
        common = {key: value for key, value in first.items()
                  if key != "jobStoreID" and all(form.get(key) == value for form in present)}
        keys = sorted({key for form in present for key in form} - set(common) - {"jobStoreID"})
        rows = [None if form is None else [form.get(key) for key in keys] for form in forms]
        blocks.append({"phase": phase_name, "common": common, "keys": keys, "rows": rows})
    return blocks


def expand_created(desc: JobDescription) -> Iterator[JobDescription]:
    """The descriptions ``desc.created`` records (either form). List values of the shared fields
    are copied for each job, so no two descriptions share a list."""
    for block in desc.created:
        if "phase" not in block:  # the older form: one full stored description
            yield JobDescription.from_dict(dict(block))
            continue
        common: Dict[str, Any] = block["common"]
        keys: List[str] = block["keys"]
        copied = [key for key, value in common.items() if type(value) is list]
        phase = getattr(desc, block["phase"])
        for job_id, row in zip(phase, block["rows"]):
            if row is None:
                continue
            data = dict(common)
            for key in copied:
                data[key] = list(common[key])
            data.update(zip(keys, row))
            data["jobStoreID"] = job_id
            yield JobDescription.from_dict(data)
