"""toil-mesos passes the core's packaging contract (entry points, specs, settings, import weight,
the toil-core version range)."""
from toil_core.testing import PluginPackagingContract


class TestToilMesosPackaging(PluginPackagingContract):
    distribution = "toil-mesos"


def test_installs_without_a_compiler_on_every_supported_python() -> None:
    """pymesos needs http-parser, an sdist that fails to build on Python 3.11 and 3.12: toil-mesos
    must depend on neither (README.md, "Why no pymesos")."""
    from importlib.metadata import requires

    names = {r.split(";")[0].split("[")[0].split("<")[0].split(">")[0].split("=")[0].strip().lower()
             for r in requires("toil-mesos") or [] if "extra ==" not in r}
    assert names == {"toil-core", "attrs"}
