"""The CI tiers of the official CWL v1.2.1 conformance suite, run with cwltest against toil-cwl-runner.

Every ``required`` test runs without containers, and every ``docker`` test in containers (podman
with a locally built image where there is no docker daemon; nothing can be pulled here). The suite
is the unmodified release in tests/cwl/conformance/cwl-v1.2. Tests tagged ``networkaccess`` are left
out: they fetch from the internet, which this machine cannot reach. The whole suite, all versions and
both runners run with ``make conformance`` (``python -m toil_cwl.conformance``).
"""
from __future__ import annotations

import functools
import shutil
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

pytest.importorskip("cwltest", reason="cwltest is not installed (pip install 'toil-cwl[test]')")

from podman_setup import apt_install, is_root  # noqa: E402
from toil_cwl.conformance import RunSetup, container_setup, run_suite  # noqa: E402
from toil_cwl.conformance_suites import VENDORED, load_tests, requires_container, select_tags, write_suite  # noqa: E402

V12 = VENDORED / "cwl-v1.2" / "conformance_tests.yaml"
OFFLINE = ["networkaccess"]  #: needs the internet


def _ensure_node() -> None:
    """Node.js evaluates the suite's JavaScript expressions: installed here when missing."""
    if shutil.which("node") or shutil.which("nodejs"):
        return
    if not is_root() or shutil.which("apt-get") is None:
        pytest.fail("Node.js is needed for the CWL expressions: install it (apt-get install nodejs)")
    error = apt_install("nodejs")
    assert not error, f"could not install Node.js with apt-get: {error}"


def _run(ids: List[str], setup: RunSetup, tmp_path: Path) -> None:
    suite = write_suite(list(_suite()), tmp_path / "tier.yaml", select=ids)
    log = tmp_path / "cwltest.log"
    passed, failed, unsupported, bad, skipped, seconds = run_suite(
        suite, "toil-cwl-runner", jobs=2, setup=setup, timeout=600, log=log)
    print(f"{len(ids)} tests: {passed} passed, {failed} failed, {unsupported} unsupported in {seconds:.0f} s")
    assert (bad, skipped) == ([], []), log.read_text()[-8000:]
    assert passed == len(ids), log.read_text()[-8000:]


@functools.lru_cache(maxsize=None)
def _suite() -> Tuple[Dict[str, Any], ...]:
    return tuple(load_tests(V12))


@functools.lru_cache(maxsize=None)
def _tiers() -> Tuple[List[str], List[str]]:
    """(required tests runnable without containers, tests to run in containers): the ``docker``-tagged
    ones and the ``required`` ones whose tool requires Docker."""
    tests = list(_suite())
    by_id = {t["id"]: t for t in tests}
    required = select_tags(tests, ["required"], exclude=OFFLINE)
    bare = [i for i in required if not requires_container(by_id[i])]
    contained = [i for i in required if i not in bare] + select_tags(tests, ["docker"], exclude=OFFLINE)
    return bare, contained


def test_tiers_select_what_they_say() -> None:
    assert len(_suite()) == 378  # the released v1.2.1 suite, whole
    bare, contained = _tiers()
    assert len(bare) + len([i for i in contained if i in select_tags(_suite(), ["required"])]) == 83
    assert "cwloutput_nolimit" in contained and "docker_entrypoint" in contained
    assert not set(bare) & set(contained)


@pytest.mark.timeout(2400)
def test_required_tier_without_containers(tmp_path: Path) -> None:
    _ensure_node()
    _run(_tiers()[0], container_setup("no", tmp_path), tmp_path)


@pytest.mark.timeout(600)
def test_inplace_update_tests(tmp_path: Path) -> None:
    """The suite's InplaceUpdateRequirement tests (not ``required``; toil-cwl-runner supports them)."""
    _ensure_node()
    ids = select_tags(_suite(), ["inplace_update"])
    assert sorted(ids) == ["modify_directory_content", "modify_file_content"]
    _run(ids, container_setup("no", tmp_path), tmp_path)


@pytest.mark.timeout(1800)
def test_container_tier(tmp_path: Path, container_engine) -> None:
    _ensure_node()
    _run(_tiers()[1], container_setup("yes", tmp_path), tmp_path)
