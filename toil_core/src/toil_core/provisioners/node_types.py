"""``--nodeTypes`` specs (upstream ``toil.provisioners.parse_node_types`` / ``check_valid_node_types``).

A spec is a comma-separated list of node types; each is one instance type, or several that count
as the same shape joined by ``/``, optionally with ``:BID`` (a spot price, making the nodes
preemptible): ``c5.4xlarge/c5a.4xlarge:0.42,t2.large``.
"""
from __future__ import annotations

from typing import Any, List, Optional, Set, Tuple

__all__ = ["check_valid_node_types", "parse_node_types"]


def parse_node_types(node_type_specs: Optional[str]) -> List[Tuple[Set[str], Optional[float]]]:
    """``"c5.4xlarge/c5a.4xlarge:0.42,t2.large"`` -> ``[({"c5.4xlarge", "c5a.4xlarge"}, 0.42),
    ({"t2.large"}, None)]``; an empty or None spec gives ``[]``."""
    parsed: List[Tuple[Set[str], Optional[float]]] = []
    for spec in (node_type_specs or "").split(","):
        spec = spec.strip()
        if not spec:
            continue
        types, _, bid_text = spec.partition(":")
        names = {name.strip() for name in types.split("/")}
        if "" in names:
            raise ValueError(f"Node type spec {spec!r} has an empty instance type; write it like "
                             f"'c5.4xlarge' or 'c5.4xlarge/c5a.4xlarge:0.42'.")
        bid: Optional[float] = None
        if bid_text:
            try:
                bid = float(bid_text)
            except ValueError:
                raise ValueError(f"The spot bid {bid_text!r} in node type spec {spec!r} is not a number.") from None
            if bid <= 0:
                raise ValueError(f"The spot bid in node type spec {spec!r} must be more than 0.")
        parsed.append((names, bid))
    return parsed


def check_valid_node_types(provisioner: Any, node_types: List[Tuple[Set[str], Optional[float]]]) -> None:
    """Raise unless ``provisioner`` knows every instance type of ``node_types`` and the types joined
    in one spec have the same shape (cores, memory, disk)."""
    for names, _bid in node_types:
        shapes = {name: provisioner.getNodeShape(name) for name in sorted(names)}
        keys = {(shape.cores, shape.memory, shape.disk) for shape in shapes.values()}
        if len(keys) > 1:
            raise ValueError(f"Node types {', '.join(sorted(names))} are joined with '/' but differ in "
                             f"cores, memory or disk; give them as separate node types.")
