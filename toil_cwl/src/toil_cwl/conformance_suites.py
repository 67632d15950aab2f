"""Where the official CWL conformance suites come from, and how they are prepared for cwltest.

Only the official suites are used (the common-workflow-language releases, unmodified). Per version,
in order (:func:`find_suite`):

1. ``--spec VERSION=PATH``: a checkout of common-workflow-language/cwl-VERSION (or its YAML file);
2. ``$CWL_CONFORMANCE_DIR/cwl-VERSION``;
3. ``shared/conformance/cwl-VERSION`` beside this repository's checkout (the project's copies of the
   released suites: cwl-v1.2 at v1.2.1, cwl-v1.1 at v1.1.0, v1.0 from common-workflow-language);
4. for v1.2, the unmodified copy of the released v1.2.1 suite in ``tests/cwl/conformance/cwl-v1.2``
   (what CI runs; see its README);
5. a shallow ``git clone`` of https://github.com/common-workflow-language/cwl-VERSION into
   ``$XDG_CACHE_HOME/toil-cwl-conformance`` (needs network access to GitHub).

:func:`load_tests` flattens a suite (``$import`` of test indexes, paths made absolute) and
:func:`write_suite` writes such a list, optionally filtered, as a YAML cwltest can run from anywhere;
cwltest's own selection flags (``-s``/``-n``) number tests in a way its JUnit report gets wrong, so
selections are made here instead (:func:`select_tags` picks by tag).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import attrs

__all__ = ["SHARED", "VENDORED", "Suite", "find_suite", "load_tests", "requires_container", "select_tags",
           "write_suite"]

VERSIONS = ("v1.0", "v1.1", "v1.2")
YAML_NAMES = ("conformance_tests.yaml", "conformance_test_v1.0.yaml", "conformance_test_v1.1.yaml",
              "conformance_test_v1.2.yaml")
GITHUB = "https://github.com/common-workflow-language/cwl-{version}.git"
_REPO = Path(__file__).resolve().parents[3]
#: The project's copies of the released suites, beside the checkout (absent from an installed wheel).
SHARED = _REPO.parent / "shared" / "conformance"
#: The unmodified copy of the released v1.2.1 suite in this source tree (absent from an installed wheel).
VENDORED = _REPO / "tests" / "cwl" / "conformance"


@attrs.define
class Suite:
    """A conformance suite found for one CWL version."""

    version: str
    yaml: Path     #: its conformance YAML
    source: str    #: where it came from, for the report


def _yaml(path: Path) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def _yaml_in(path: Path) -> Optional[Path]:
    """The conformance YAML of a suite checkout (v1.0 keeps it in the repository's ``v1.0/``)."""
    if path.is_file():
        return path
    for folder in (path, path / "v1.0"):
        for name in YAML_NAMES:
            if (folder / name).is_file():
                return folder / name
    return None


def _clone(version: str, cache: Path) -> Optional[Path]:
    target = cache / f"cwl-{version}"
    if _yaml_in(target):
        return target
    if shutil.which("git") is None:
        return None
    cache.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", GITHUB.format(version=version), str(target)],
                       check=True, timeout=300, capture_output=True)
    except (subprocess.SubprocessError, OSError):
        shutil.rmtree(target, ignore_errors=True)
        return None
    return target


def find_suite(version: str, specs: Dict[str, str], allow_download: bool = True) -> Tuple[Optional[Suite], str]:
    """The official suite of ``version``, or None and the reason none was found."""
    if version in specs:
        found = _yaml_in(Path(specs[version]).expanduser().resolve())
        if found is None:
            return None, f"--spec {specs[version]} holds no conformance YAML"
        return Suite(version, found, f"--spec {specs[version]}"), ""
    root = os.environ.get("CWL_CONFORMANCE_DIR")
    if root:
        found = _yaml_in(Path(root).expanduser() / f"cwl-{version}")
        if found:
            return Suite(version, found, f"$CWL_CONFORMANCE_DIR/cwl-{version}"), ""
    found = _yaml_in(SHARED / f"cwl-{version}")
    if found:
        return Suite(version, found, f"{SHARED}/cwl-{version}"), ""
    found = _yaml_in(VENDORED / f"cwl-{version}")
    if found:
        return Suite(version, found, f"tests/cwl/conformance/cwl-{version} (released suite)"), ""
    if allow_download:
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "toil-cwl-conformance"
        cloned = _clone(version, cache)
        found = _yaml_in(cloned) if cloned else None
        if found:
            return Suite(version, found, f"git clone of cwl-{version}"), ""
    return None, (f"the official cwl-{version} suite was not found: give --spec {version}=PATH, set "
                  f"CWL_CONFORMANCE_DIR, or put it in {SHARED}")


def requires_container(test: Dict[str, Any]) -> bool:
    """Whether the test's tool lists DockerRequirement under ``requirements`` (not just hints):
    without containers a runner must report it unsupported."""
    tool = str(test.get("tool", "")).split("#")[0]
    try:
        text = Path(tool).read_text(encoding="utf-8")
    except OSError:
        return False
    document = _yaml_text(text)
    return "DockerRequirement" in _requirement_classes(document)


def _yaml_text(text: str) -> Any:
    from ruamel.yaml import YAML

    try:
        return YAML(typ="safe", pure=True).load(text)
    except Exception:  # noqa: BLE001 - a tool the YAML loader cannot read simply has no known requirements
        return None


def _requirement_classes(document: Any) -> List[str]:
    """Classes of every ``requirements`` entry in a CWL document (packed graphs included)."""
    found: List[str] = []
    if isinstance(document, dict):
        for entry in document.get("requirements") or []:
            if isinstance(entry, dict) and "class" in entry:
                found.append(str(entry["class"]))
        if isinstance(document.get("requirements"), dict):
            found.extend(str(k) for k in document["requirements"])
        for value in document.values():
            if isinstance(value, (dict, list)):
                found.extend(_requirement_classes(value))
    elif isinstance(document, list):
        for item in document:
            found.extend(_requirement_classes(item))
    return found


def select_tags(tests: Iterable[Dict[str, Any]], include: Iterable[str],
                exclude: Iterable[str] = ()) -> List[str]:
    """IDs of the tests carrying any tag of ``include`` and none of ``exclude``."""
    wanted, unwanted = set(include), set(exclude)
    return [t["id"] for t in tests
            if wanted & set(t.get("tags") or ()) and not unwanted & set(t.get("tags") or ())]

def _absolute(test: Dict[str, Any], base: Path) -> Dict[str, Any]:
    test = dict(test)
    for key in ("tool", "job"):
        value = test.get(key)
        if isinstance(value, str) and "://" not in value:
            path, _, fragment = value.partition("#")
            test[key] = str((base / path).resolve()) + (f"#{fragment}" if fragment else "")
    output = test.get("output")
    if isinstance(output, dict) and set(output) == {"$import"}:  # expected output kept in a file beside the list
        test["output"] = _yaml(base / str(output["$import"]))
    if "label" in test:  # older lists: a numeric id plus a label, which became the id on release
        test["id"] = test.pop("label")
    return test


def load_tests(yaml: Path) -> List[Dict[str, Any]]:
    """The tests of a conformance YAML in order, ``$import``-ed indexes inlined, paths absolute."""
    tests: List[Dict[str, Any]] = []
    for entry in _yaml(yaml) or []:
        if isinstance(entry, dict) and "$import" in entry:
            tests += load_tests((yaml.parent / entry["$import"]).resolve())
        elif isinstance(entry, dict):
            tests.append(_absolute(entry, yaml.parent))
    return tests


def write_suite(tests: Iterable[Dict[str, Any]], target: Path, select: Optional[Iterable[str]] = None) -> Path:
    """Write ``tests`` (only those whose id is in ``select``, if given) to ``target`` (a YAML file)."""
    from ruamel.yaml import YAML

    chosen = list(tests)
    if select is not None:
        wanted = list(select)
        known = {str(t.get("id")) for t in chosen}
        missing = [name for name in wanted if name not in known]
        if missing:
            raise ValueError(f"no such conformance test: {', '.join(missing)}")
        chosen = [t for t in chosen if str(t.get("id")) in set(wanted)]
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8") as handle:
        YAML(typ="safe", pure=True).dump(chosen, handle)
    return target
