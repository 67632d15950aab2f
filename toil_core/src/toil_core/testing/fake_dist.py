"""Fake installed distributions, for testing plugin discovery without ``pip install``.

:func:`make_fake_distribution` writes a ``NAME-VERSION.dist-info`` folder (``METADATA`` and
``entry_points.txt``) plus any module files into a directory; put that directory on
``sys.path`` and :mod:`importlib.metadata` (hence Toil's plugin discovery) sees a distribution.
:class:`FakeDistributions` does the ``sys.path`` bookkeeping and cleans up after itself::

    @pytest.fixture
    def fake_dists(tmp_path):
        with FakeDistributions(tmp_path) as dists:
            yield dists

    def test_my_backend(fake_dists):
        fake_dists.add("toil-fake", "1.0", {"toil.batch_systems": {"fake": "fake_plugin"}},
                       modules={"fake_plugin.py": "def toil_batch_systems(): return []"})

This module imports neither pytest nor any plugin code.
"""
from __future__ import annotations

import importlib
import os
import re
import sys
import textwrap
from pathlib import Path
from typing import Iterable, List, Mapping, Optional, Union

__all__ = ["FakeDistributions", "make_fake_distribution"]

PathLike = Union[str, "os.PathLike[str]"]


def _safe(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name)


def make_fake_distribution(
    tmp_path: PathLike,
    name: str,
    version: str,
    entry_points: Mapping[str, Mapping[str, str]],
    requires: Iterable[str] = (),
    modules: Optional[Mapping[str, str]] = None,
    summary: str = "",
    site_dir: Optional[PathLike] = None,
) -> Path:
    """Write a fake distribution and return the directory to put on ``sys.path``.

    :param tmp_path: a scratch directory; a fresh ``site-NAME-VERSION`` folder is made in it
        unless ``site_dir`` names the folder to use (several distributions may share one).
    :param entry_points: ``{group: {entry point name: "module" or "module:attr"}}``.
    :param requires: ``Requires-Dist`` lines, e.g. ``["toil-core>=1.0,<2"]``.
    :param modules: ``{relative file name: source}``; sources are dedented. Packages are made by
        naming files such as ``"pkg/__init__.py"``.
    """
    root = Path(site_dir) if site_dir is not None else Path(tmp_path) / f"site-{_safe(name)}-{version}"
    root.mkdir(parents=True, exist_ok=True)
    info = root / f"{_safe(name)}-{version}.dist-info"
    info.mkdir(exist_ok=True)

    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if summary:
        metadata.append(f"Summary: {summary}")
    metadata.extend(f"Requires-Dist: {req}" for req in requires)
    (info / "METADATA").write_text("\n".join(metadata) + "\n", encoding="utf-8")

    lines: List[str] = []
    for group, points in entry_points.items():
        lines.append(f"[{group}]")
        lines.extend(f"{ep_name} = {value}" for ep_name, value in points.items())
        lines.append("")
    (info / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")

    written = [f"{info.name}/METADATA", f"{info.name}/entry_points.txt"]
    for filename, source in (modules or {}).items():
        path = root / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        written.append(filename)
    (info / "RECORD").write_text("".join(f"{w},,\n" for w in written + [f"{info.name}/RECORD"]),
                                 encoding="utf-8")
    return root


class FakeDistributions:
    """Adds fake distributions to ``sys.path`` and removes them (and the modules imported from
    them) on :meth:`cleanup`. Plugin discovery is reset after every change."""

    def __init__(self, tmp_path: PathLike) -> None:
        self.tmp_path = Path(tmp_path)
        self.paths: List[Path] = []

    def add(
        self,
        name: str,
        version: str,
        entry_points: Mapping[str, Mapping[str, str]],
        requires: Iterable[str] = (),
        modules: Optional[Mapping[str, str]] = None,
        summary: str = "",
    ) -> Path:
        """Create a distribution (see :func:`make_fake_distribution`) and activate it."""
        root = make_fake_distribution(self.tmp_path, name, version, entry_points, requires=requires,
                                      modules=modules, summary=summary)
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        self.paths.append(root)
        _reset_discovery()
        return root

    def cleanup(self) -> None:
        roots = [str(p) for p in self.paths]
        for root in roots:
            while root in sys.path:
                sys.path.remove(root)
        for mod_name, module in list(sys.modules.items()):
            origin = getattr(module, "__file__", None) or ""
            if any(origin.startswith(root + os.sep) for root in roots):
                del sys.modules[mod_name]
        self.paths.clear()
        _reset_discovery()

    def __enter__(self) -> "FakeDistributions":
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


def _reset_discovery() -> None:
    importlib.invalidate_caches()
    discovery = sys.modules.get("toil_core.plugins.discovery")
    if discovery is not None:
        discovery.reset()
    compat_modules = sys.modules.get("toil_core.compat_modules")
    if compat_modules is not None:
        compat_modules.reset()


