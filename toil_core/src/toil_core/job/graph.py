"""Checks and orderings over the in-memory job graph (before it is saved)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Iterable, List, Set

from toil_core.job.errors import JobGraphDeadlockException

if TYPE_CHECKING:  # pragma: no cover
    from toil_core.job.job import Job


_CYCLE_FIX = ("Remove a child or follow-on link so that no job waits for itself (a follow-on also "
              "waits for everything under its parent's children).")


def successors(job: "Job") -> List["Job"]:
    return list(job._children) + list(job._followOns)


def reachable(start: "Job", include_services: bool = False) -> List["Job"]:
    """Every job reachable from ``start`` through successor (and optionally service) edges."""
    seen: Dict[int, "Job"] = {id(start): start}
    order = [start]
    stack = [start]
    while stack:
        job = stack.pop()
        nexts: Iterable["Job"] = successors(job)
        if include_services:
            nexts = [*nexts, *job._all_service_hosts()]
        for nxt in nexts:
            if id(nxt) not in seen:
                seen[id(nxt)] = nxt
                order.append(nxt)
                stack.append(nxt)
    return order


def root_jobs(start: "Job") -> Set["Job"]:
    """Jobs of the connected graph around ``start`` that have no predecessors."""
    seen: Dict[int, "Job"] = {}
    stack = [start]
    while stack:
        job = stack.pop()
        if id(job) in seen:
            continue
        seen[id(job)] = job
        stack.extend(successors(job))
        stack.extend(job._directPredecessors)
    return {job for job in seen.values() if not job._directPredecessors}


def find_cycle(start: "Job") -> List["Job"]:
    """A cycle of successor edges reachable from ``start`` (first job repeated at the end), or []."""
    on_path: Dict[int, int] = {}
    done: Set[int] = set()
    path: List["Job"] = []
    stack = [(start, iter(successors(start)))]
    on_path[id(start)] = 0
    path.append(start)
    while stack:
        node, nexts = stack[-1]
        for child in nexts:
            if id(child) in on_path:
                return path[on_path[id(child)]:] + [child]
            if id(child) not in done:
                on_path[id(child)] = len(path)
                path.append(child)
                stack.append((child, iter(successors(child))))
                break
        else:
            stack.pop()
            path.pop()
            del on_path[id(node)]
            done.add(id(node))
    return []


def _no_root_error(start: "Job") -> JobGraphDeadlockException:
    cycle = find_cycle(start)
    if not cycle:  # every job has a predecessor, so some cycle leads into the graph from outside
        for job in reachable(start):
            cycle = next((c for c in (find_cycle(p) for p in job._directPredecessors) if c), [])
            if cycle:
                break
    names = " -> ".join(str(job) for job in cycle) if cycle else str(start)
    return JobGraphDeadlockException(
        f"Graph contains no root jobs due to cycles. A cycle of job dependencies has been "
        f"detected: {names}. It passes through the first job "
        f"of the workflow, so no job can start. " + _CYCLE_FIX)


def check_connected(start: "Job") -> None:
    roots = root_jobs(start)
    if not roots:
        raise _no_root_error(start)
    if len(roots) != 1:
        raise JobGraphDeadlockException(
            f"Graph does not contain exactly one root job: {roots}. Connect every job to the job "
            "passed to start() through children or follow-ons.")


def _children_subtree(job: "Job") -> Set[int]:
    found: Set[int] = set()
    stack = list(job._children)
    while stack:
        node = stack.pop()
        if id(node) in found:
            continue
        found.add(id(node))
        stack.extend(successors(node))
    return found


def check_acyclic(start: "Job") -> None:
    """Raise if the graph, with follow-ons depending on their parent's whole child subtree, has a cycle."""
    roots = root_jobs(start)
    if not roots:
        raise _no_root_error(start)
    WHITE, GREY, BLACK = 0, 1, 2
    colour: Dict[int, int] = {}
    for root in roots:
        stack = [(root, iter(successors(root)))]
        colour[id(root)] = GREY
        path = [root]
        while stack:
            node, children = stack[-1]
            advanced = False
            for child in children:
                state = colour.get(id(child), WHITE)
                if state == GREY:
                    cycle = path[path.index(child):] + [child] if child in path else [child]
                    raise JobGraphDeadlockException(
                        f"A cycle of job dependencies has been detected '{cycle}'. " + _CYCLE_FIX
                    )
                if state == WHITE:
                    colour[id(child)] = GREY
                    stack.append((child, iter(successors(child))))
                    path.append(child)
                    advanced = True
                    break
            if not advanced:
                colour[id(node)] = BLACK
                stack.pop()
                path.pop()
    # Follow-ons run after their parent's child subtree: none of them may lead back into it.
    for job in reachable(next(iter(roots))):
        if not job._followOns or not job._children:
            continue
        subtree = _children_subtree(job)
        for follow_on in job._followOns:
            for node in reachable(follow_on):
                if id(node) in subtree:
                    raise JobGraphDeadlockException(
                        f"A cycle of job dependencies has been detected '{[job, follow_on, node]}'. "
                        + _CYCLE_FIX
                    )


def check_new_checkpoints_are_leaves(start: "Job") -> None:
    for job in reachable(start):
        if job.checkpoint and not job._saved and (job._children or job._followOns or job._services):
            raise JobGraphDeadlockException(
                f"New checkpoint job {job} is not a leaf in the job graph"
            )


def check_for_deadlocks(start: "Job") -> None:
    check_connected(start)
    check_acyclic(start)
    check_new_checkpoints_are_leaves(start)


def topological_order(start: "Job") -> List["Job"]:
    """Jobs in an order where every job comes after all its predecessors (services ignored)."""
    nodes = reachable(next(iter(root_jobs(start))) if root_jobs(start) else start)
    indegree: Dict[int, int] = {id(n): 0 for n in nodes}
    for node in nodes:
        for nxt in successors(node):
            indegree[id(nxt)] += 1
    ready = [n for n in nodes if indegree[id(n)] == 0]
    order: List["Job"] = []
    while ready:
        node = ready.pop()
        order.append(node)
        for nxt in successors(node):
            indegree[id(nxt)] -= 1
            if indegree[id(nxt)] == 0:
                ready.append(nxt)
    return order
