"""Run a subprocess as if some distributions were not installed: their entry points disappear.

The "not installed" errors name what to install; with every first-party backend installed in the
development environment, the tests hide one with :func:`env_without` (a ``sitecustomize`` that filters
:func:`importlib.metadata.distributions`, which entry-point discovery reads).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Iterable

SITECUSTOMIZE = """\
import importlib.metadata as _md
import re as _re

_HIDDEN = {hidden!r}
_all = _md.distributions


def _canonical(name):
    return _re.sub(r"[-_.]+", "-", name or "").lower()


def distributions(**kwargs):
    return (d for d in _all(**kwargs) if _canonical(d.metadata["Name"]) not in _HIDDEN)


_md.distributions = distributions
"""


def env_without(base: Dict[str, str], folder: Path, distributions: Iterable[str]) -> Dict[str, str]:
    """``base`` plus a ``PYTHONPATH`` entry whose ``sitecustomize`` hides ``distributions``."""
    folder.mkdir(parents=True, exist_ok=True)
    hidden = sorted({d.replace("_", "-").lower() for d in distributions})
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE.format(hidden=hidden))
    env = dict(base)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(folder), base.get("PYTHONPATH", "")) if p)
    return env
