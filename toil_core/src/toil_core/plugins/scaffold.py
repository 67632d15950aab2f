"""``toil plugins new batch_system NAME``: write a working, installable batch-system plugin.

The package written here is complete: ``pip install ./toil-plugin-NAME`` makes
``--batchSystem NAME`` work, ``toil plugins list`` shows it, and its own tests (the contract suites
of :mod:`toil_core.testing`) pass out of the box. Its batch system runs jobs as local subprocesses
through :class:`~toil_core.batch.local_subprocess.LocalSubprocessBatchSystem`; replace
``job_argv`` (or the whole class) with your backend.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

from toil_core import __version__ as core_version
from toil_core.lib.errors import ToilError

from .reserved import reserved_owner

__all__ = ["KINDS_SUPPORTED", "ScaffoldError", "new_plugin", "plugin_files"]

#: Kinds ``toil plugins new`` can write.
KINDS_SUPPORTED = ("batch_system",)


class ScaffoldError(ToilError, ValueError):
    """A name or destination ``toil plugins new`` cannot use (the message says why)."""


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _flag(name: str) -> str:
    parts = name.split("_")
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


def plugin_files(name: str) -> Dict[str, str]:
    """Relative path -> contents of the batch-system plugin package for ``name``."""
    major = int(core_version.split(".")[0] or 1)
    package = f"toil_plugin_{name}"
    dist = f"toil-plugin-{name.replace('_', '-')}"
    cls = f"{_camel(name)}BatchSystem"
    settings = f"{_camel(name)}Settings"
    env = f"TOIL_{name.upper()}_SHELL"
    flag = f"--{_flag(name)}Shell"
    return {
        "pyproject.toml": f'''[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "The {name} batch system for Toil"
requires-python = ">=3.9"
dependencies = ["toil-core>={major}.0,<{major + 1}"]

[project.optional-dependencies]
test = ["pytest>=7"]

[project.entry-points."toil.batch_systems"]
{name} = "{package}.plugin"

[tool.setuptools.packages.find]
where = ["src"]

[tool.setuptools.package-data]
{package} = ["py.typed"]
''',
        "README.md": f'''# {dist}

The `{name}` batch system for [Toil](https://toil.readthedocs.io/) workflows, written with
`toil plugins new batch_system {name}`.

    pip install .
    python my_workflow.py file:jobstore --batchSystem {name}
    toil plugins show {name}

As written, every job is a local subprocess run by `{flag}` (default `/bin/sh`), at most
`--maxCores` cores at once. Make it yours in `src/{package}/batch_system.py`: override `job_argv`
to start jobs differently (a container, a sandbox), or replace the class with your own
`BatchSystemSupport` subclass. Options live in `src/{package}/plugin.py`.

Test it with `pip install -e '.[test]' && pytest tests`: the contract suites every Toil batch
system passes (running jobs, exit codes and signals, kill, environment, `--maxCores`, a real
workflow run without the venv on PATH, packaging).
''',
        f"src/{package}/__init__.py": f'"""The {name} batch system for Toil."""\n',
        f"src/{package}/py.typed": "",
        f"src/{package}/plugin.py": f'''"""What Toil reads when `--batchSystem {name}` is asked for: the spec and the settings.

Keep this module light: it is imported during discovery (and for `--help`).
"""
import attrs

from toil_core.plugin_api import BatchSystemSpec, setting


@attrs.frozen
class {settings}:
    """Options of the {name} batch system ({flag}, ${env})."""

    {name}_shell: str = setting("/bin/sh", "The shell that runs each job's command.", flag="{flag}",
                                env="{env}")


def toil_batch_systems():
    return [BatchSystemSpec(name="{name}", load="{package}.batch_system:{cls}", settings={settings},
                            capabilities={{"walltime", "fractional_cores"}},
                            summary="Runs each job as a local subprocess (a scaffold to make your own).")]
''',
        f"src/{package}/batch_system.py": f'''"""The {name} batch system: jobs are local subprocesses (see LocalSubprocessBatchSystem for the
duties it already does: --maxCores, the worker on PATH, signal deaths, kill, shutdown)."""
from typing import Any, Sequence

from toil_core.plugin_api import LocalSubprocessBatchSystem, settings_from

from {package}.plugin import {settings}


class {cls}(LocalSubprocessBatchSystem):
    def __init__(self, config: Any, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        super().__init__(config, maxCores, maxMemory, maxDisk)
        self.settings = settings_from(config, {settings})

    def job_argv(self, command: str, job_desc: Any) -> Sequence[str]:
        return [self.settings.{name}_shell, "-c", command]
''',
        f"tests/test_{name}.py": f'''"""The contract suites of toil_core.testing, run against the {name} plugin."""
from toil_core.testing import BatchSystemContract, PluginPackagingContract


class Test{_camel(name)}Contract(BatchSystemContract):
    batch_system_name = "{name}"


class Test{_camel(name)}Packaging(PluginPackagingContract):
    distribution = "{dist}"
''',
    }


def new_plugin(kind: str, name: str, directory: Path) -> List[Path]:
    """Write the plugin package for ``name`` into ``directory/toil-plugin-NAME`` and return the
    files written. Refuses names that are not identifiers, built-in names and existing folders."""
    if kind not in KINDS_SUPPORTED:
        raise ScaffoldError(f"`toil plugins new` writes {', '.join(KINDS_SUPPORTED)} plugins, not {kind!r}.")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name or ""):
        raise ScaffoldError(f"Plugin name {name!r} must be lowercase letters, digits and underscores, "
                            "starting with a letter (it becomes --batchSystem NAME and a Python package).")

    owner = reserved_owner("batch_system", name)
    if owner:
        raise ScaffoldError(f"{name!r} is the name of a built-in batch system ({owner}); choose another name.")
    target = Path(directory) / f"toil-plugin-{name.replace('_', '-')}"
    if target.exists():
        raise ScaffoldError(f"{target} already exists; remove it or choose another --directory.")
    written = []
    for relative, text in plugin_files(name).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
