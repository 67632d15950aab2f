"""toil-wdl as a plugin: the packaging contract, the `toil wdl-runner` subcommand's registration."""
from __future__ import annotations

from toil_core.testing import PluginPackagingContract


class TestToilWDLPackaging(PluginPackagingContract):
    distribution = "toil-wdl"


def test_subcommand_is_registered():
    from toil_wdl.plugin import toil_subcommands

    (spec,) = toil_subcommands()
    assert spec.name.replace("_", "-") == "wdl-runner" and spec.load == "toil_wdl.main:main"
