"""Where the CWL conformance suites come from, and how they are prepared for cwltest.

Per version, in order (:func:`find_suite`):

1. ``--spec VERSION=PATH``: a checkout of common-workflow-language/cwl-VERSION (or its YAML file);
2. ``$CWL_CONFORMANCE_DIR/cwl-VERSION``;
3. a shallow ``git clone`` of https://github.com/common-workflow-language/cwl-VERSION into
   ``$XDG_CACHE_HOME/toil-cwl-conformance`` (needs network access to GitHub);
4. the part of the v1.2 suite bundled in ``tests/cwl/conformance/v1.2`` (see its README); for v1.0
   and v1.1 a suite derived from it (:func:`derive_suite`).

:func:`load_tests` flattens a suite (``$import`` of test indexes, paths made absolute) and
:func:`write_suite` writes such a list, optionally filtered, as a YAML cwltest can run from anywhere;
cwltest's own selection flags (``-s``/``-n``) number tests in a way its JUnit report gets wrong, so
selections are made here instead.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import attrs

__all__ = ["BUNDLED", "Suite", "derive_suite", "find_suite", "load_tests", "write_suite"]

VERSIONS = ("v1.0", "v1.1", "v1.2")
YAML_NAMES = ("conformance_tests.yaml", "conformance_test_v1.0.yaml", "conformance_test_v1.1.yaml",
              "conformance_test_v1.2.yaml")
GITHUB = "https://github.com/common-workflow-language/cwl-{version}.git"
#: tests/cwl/conformance of this source tree (absent from an installed wheel)
BUNDLED = Path(__file__).resolve().parents[3] / "tests" / "cwl" / "conformance"
_VERSION_LINE = re.compile(r"""(["']?cwlVersion["']?\s*:\s*["']?)v1\.2\b""")


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
    if path.is_file():
        return path
    for name in YAML_NAMES:
        if (path / name).is_file():
            return path / name
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
    """The suite of ``version``, or None and the reason none was found."""
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
    if allow_download:
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "toil-cwl-conformance"
        cloned = _clone(version, cache)
        found = _yaml_in(cloned) if cloned else None
        if found:
            return Suite(version, found, f"git clone of cwl-{version}"), ""
    bundled = _yaml_in(BUNDLED / version)
    if bundled:
        return Suite(version, bundled, "bundled part of the v1.2 suite"), ""
    derived = derive_suite(version)
    if derived:
        return Suite(version, derived, f"official {version} test list on the bundled files (derived)"), ""
    return None, "not available (no checkout, no network access to GitHub, nothing bundled)"


def derive_suite(version: str, target: Optional[Path] = None) -> Optional[Path]:
    """A ``version`` suite from the official test list cwltool ships (``cwltool/schemas/VERSION``) and
    the bundled v1.2 test files, with their cwlVersion set to ``version`` and the files of
    ``tests/cwl/conformance/VERSION/tests`` (upstream's copies for that version, where they differ)
    laid over them; keeps the tests whose tool and job files exist. Returns its YAML, or None."""
    import cwltool
    from ruamel.yaml import YAML

    official = _yaml_in(Path(cwltool.__file__).parent / "schemas" / version)
    source = BUNDLED / "v1.2" / "tests"
    if official is None or not source.is_dir():
        return None
    tests = _yaml(official) or []
    target = target or Path(tempfile.mkdtemp(prefix=f"toil-cwl-conformance-{version}-"))
    files = target / ("v1.0" if version == "v1.0" else "tests")
    shutil.copytree(source, files, dirs_exist_ok=True, ignore=shutil.ignore_patterns("conditionals"))
    for path in list(files.rglob("*.cwl")) + list(files.rglob("*.yml")) + list(files.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        path.write_text(_VERSION_LINE.sub(lambda m: m.group(1) + version, text), encoding="utf-8")
    overlay = BUNDLED / version / "tests"
    if overlay.is_dir():
        shutil.copytree(overlay, files, dirs_exist_ok=True)
    kept = []
    for test in tests:
        if not isinstance(test, dict) or "tool" not in test:
            continue
        needed = [test["tool"].split("#")[0]] + ([test["job"]] if test.get("job") else [])
        if all((target / name).is_file() for name in needed):
            if "label" in test:
                test["id"] = test.pop("label")
            kept.append(test)
    if not kept:
        return None
    out = target / "conformance_tests.yaml"
    with open(out, "w", encoding="utf-8") as handle:
        YAML(typ="safe", pure=True).dump(kept, handle)
    return out


def _absolute(test: Dict[str, Any], base: Path) -> Dict[str, Any]:
    test = dict(test)
    for key in ("tool", "job"):
        value = test.get(key)
        if isinstance(value, str) and "://" not in value:
            path, _, fragment = value.partition("#")
            test[key] = str((base / path).resolve()) + (f"#{fragment}" if fragment else "")
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
