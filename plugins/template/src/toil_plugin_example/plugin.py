"""The plugin module named by the entry point: its settings and its registration hook.

Toil imports this module when the user names the batch system (``--batchSystem example_local``,
``toil plugins show example_local``), so it must stay light: attrs and toil_core.plugins only.
The batch system class is named by a lazy load string and imported only when a run needs it.
"""
from __future__ import annotations

from typing import List

import attrs
from toil_core.plugin_api import setting
from toil_core.plugin_api import BatchSystemSpec


@attrs.frozen
class ExampleLocalSettings:
    """Options of the example_local batch system; each becomes a flag, an environment variable
    and a line of ``--help`` / ``toil plugins show example_local``."""

    example_max_parallel: int = setting(
        4, "Most jobs to run at once; more wait in a queue.",
        env="TOIL_EXAMPLE_MAX_PARALLEL", old_flags=("--exampleParallel",), metavar="N")
    example_shell: str = setting(
        "/bin/sh", "Shell that runs each job's command.", env="TOIL_EXAMPLE_SHELL", metavar="PATH")


@attrs.frozen
class ExampleSpoolSettings:
    """Options of the example_spool batch system (a submit-and-poll backend)."""

    example_spool_dir: str = setting(
        "", "Folder the example spool keeps its jobs in (default: a new temporary folder).",
        env="TOIL_EXAMPLE_SPOOL_DIR", metavar="PATH")
    example_spool_shell: str = setting(
        "/bin/sh", "Shell that runs each job's command.", env="TOIL_EXAMPLE_SPOOL_SHELL", metavar="PATH")


def toil_batch_systems() -> List[BatchSystemSpec]:
    return [
        BatchSystemSpec(
            name="example_spool",
            load="toil_plugin_example.spool_batch_system:ExampleSpoolBatchSystem",
            settings=ExampleSpoolSettings,
            capabilities=frozenset({"walltime"}),
            summary="Submits each job to a spool of detached runners and polls it (example plugin).",
        ),
        BatchSystemSpec(
            name="example_local",
            aliases=("exampleLocal",),
            load="toil_plugin_example.batch_system:ExampleLocalBatchSystem",
            settings=ExampleLocalSettings,
            capabilities=frozenset({"walltime", "fractional_cores"}),
            summary="Runs each job as a local subprocess (example plugin).",
        )
    ]
