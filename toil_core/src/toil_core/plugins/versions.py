"""Checking a plugin distribution's ``toil-core`` requirement against the running core.

A specifier made only of comparisons of plain release numbers (``>=1.0,<2``, ``==1.2.*``,
``~=1.4``) checked against a plain release (``1.3.0``) is decided by the small parser here: for
those PEP 440 gives the result of comparing the zero-padded number tuples, and importing
:mod:`packaging` (a few thousand calls compiling its regular expressions) would be most of the
cost of a workflow's plugin checks at start-up. Anything else (pre-, post- and dev-releases, local
versions, ``===``) goes to :mod:`packaging` when it is importable; without it the small parser
understands the PEP 440 comparison operators on release numbers (``==``, ``!=`` with ``.*``,
``>=``, ``<=``, ``>``, ``<``, ``~=``, ``===``) and skips requirements guarded by an ``extra`` marker.
"""
from __future__ import annotations

import re
from typing import Iterable, List, Optional, Tuple

__all__ = ["requirement_satisfied", "unsatisfied_core_requirement"]

_REQ_RE = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*"
    r"(?P<spec>\(?[^;@]*?\)?)\s*(?:;(?P<marker>.*))?$"
)
_CLAUSE_RE = re.compile(r"^(===|~=|==|!=|>=|<=|>|<)\s*([A-Za-z0-9.*+!_-]+)$")
#: A clause whose result the fallback parser gives exactly as PEP 440 does (see the docstring).
_PLAIN_CLAUSE_RE = re.compile(r"^(?:(?:==|!=)\d+(?:\.\d+)*(?:\.\*)?|(?:>=|<=|>|<)\d+(?:\.\d+)*|~=\d+(?:\.\d+)+)$")
_PLAIN_VERSION_RE = re.compile(r"^\d+(?:\.\d+)*$")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _split(requirement: str) -> Optional[Tuple[str, str, str]]:
    match = _REQ_RE.match(requirement)
    if not match:
        return None
    spec = re.sub(r"\s+", "", match.group("spec") or "").strip("()")
    return match.group("name"), spec, (match.group("marker") or "").strip()


def _release(version: str) -> Tuple[int, ...]:
    match = re.match(r"^\s*v?(?:\d+!)?(\d+(?:\.\d+)*)", version)
    return tuple(int(p) for p in match.group(1).split(".")) if match else (0,)


def _cmp(a: Tuple[int, ...], b: Tuple[int, ...]) -> int:
    width = max(len(a), len(b))
    a, b = a + (0,) * (width - len(a)), b + (0,) * (width - len(b))
    return (a > b) - (a < b)


def _clause_ok(op: str, target: str, version: str) -> bool:
    if op == "===":
        return version.strip() == target
    have = _release(version)
    if op in ("==", "!=") and target.endswith(".*"):
        prefix = _release(target[:-2])
        equal = (have + (0,) * len(prefix))[: len(prefix)] == prefix
        return equal if op == "==" else not equal
    want = _release(target)
    c = _cmp(have, want)
    if op == "~=":
        prefix = want[:-1] or want
        return c >= 0 and (have + (0,) * len(prefix))[: len(prefix)] == prefix
    return {"==": c == 0, "!=": c != 0, ">=": c >= 0, "<=": c <= 0, ">": c > 0, "<": c < 0}[op]


def _fallback_satisfied(spec: str, version: str) -> bool:
    for clause in filter(None, spec.split(",")):
        match = _CLAUSE_RE.match(clause)
        if match and not _clause_ok(match.group(1), match.group(2), version):
            return False
    return True


def _is_plain(spec: str, version: str) -> bool:
    """True if ``spec`` compares only plain release numbers and ``version`` is one."""
    return (_PLAIN_VERSION_RE.match(version) is not None
            and all(_PLAIN_CLAUSE_RE.match(clause) for clause in spec.split(",")))


def requirement_satisfied(spec: str, version: str) -> bool:
    """True if ``version`` satisfies the specifier text ``spec`` (e.g. ``">=1.1,<2"``)."""
    if not spec:
        return True
    if _is_plain(spec, version):
        return _fallback_satisfied(spec, version)
    try:
        # lazy: packaging is slow to import; only plugins that declare a requirement need it
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
    except ImportError:  # pragma: no cover - exercised by the fallback tests directly
        return _fallback_satisfied(spec, version)
    try:
        return SpecifierSet(spec).contains(version, prereleases=True)
    except (InvalidSpecifier, ValueError, TypeError):
        return _fallback_satisfied(spec, version)


def _marker_applies(marker: str) -> bool:
    if not marker:
        return True
    try:
        # lazy: packaging is slow to import; only plugins that declare a marker need it
        from packaging.markers import InvalidMarker, Marker
    except ImportError:  # pragma: no cover
        return "extra" not in marker
    try:
        return bool(Marker(marker).evaluate({"extra": ""}))
    except (InvalidMarker, ValueError, TypeError, KeyError):
        return "extra" not in marker


def unsatisfied_core_requirement(
    requires: Iterable[str], core_name: str, core_version: str
) -> Optional[str]:
    """Return the first requirement on ``core_name`` in ``requires`` (as written, without its
    marker, e.g. ``"toil-core>=1.1,<2"``) that ``core_version`` does not satisfy, or None."""
    failed: List[str] = []
    for requirement in requires:
        parts = _split(requirement)
        if parts is None or _canonical(parts[0]) != _canonical(core_name):
            continue
        name, spec, marker = parts
        if _marker_applies(marker) and not requirement_satisfied(spec, core_version):
            failed.append(f"{name}{spec}")
    return failed[0] if failed else None
