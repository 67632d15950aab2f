"""How a plugin distribution must be packaged, as a pytest suite to subclass.

::

    from toil_core.testing import PluginPackagingContract

    class TestPackaging(PluginPackagingContract):
        distribution = "toil-plugin-example"

Checks, from the installed distribution's metadata and a fresh interpreter: every entry point
in a ``toil.*`` group loads and yields a spec of its own name; each spec's ``load`` string
imports an object of the right kind; every setting has a help text and a default and no flag
clashes with a core option; importing the plugin modules pulls in no heavy dependency (see
:data:`~toil_core.testing.HEAVY_MODULES`, extend :attr:`heavy_modules`) and not the backend
itself; the requirement on toil-core is a bounded range (``toil-core>=1.0,<2``).
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any, List, Sequence, Tuple

import attrs
import pytest

from toil_core.common.options_groups import option_table
from toil_core.plugins import discovery
from toil_core.plugins.metadata import CORE_DISTRIBUTION, dist_key
from toil_core.plugins.registry import load_plugin_object
from toil_core.plugins.settings import describe_settings, setting_infos

from ._support import HEAVY_MODULES, SubclassesAreTests, core_requirement_problem, subprocess_env

__all__ = ["PluginPackagingContract"]

_BASES = {
    "batch_system": "toil_core.batch.abstract:AbstractBatchSystem",
    "job_store": "toil_core.jobstores.abstract:AbstractJobStore",
    "provisioner": "toil_core.provisioners.abstract:AbstractProvisioner",
}


class PluginPackagingContract(SubclassesAreTests):
    """Entry points, specs, load strings, settings, import weight and version range."""

    __test__ = False

    #: The distribution name (as in its pyproject.toml ``[project] name``).
    distribution: str = ""
    #: Top-level modules (or dotted prefixes) the plugin modules must not import.
    heavy_modules: Sequence[str] = HEAVY_MODULES

    # ------------------------------------------------------------------ fixtures
    @pytest.fixture
    def records(self) -> List[Any]:
        if not self.distribution:
            pytest.fail("Set distribution to the plugin's distribution name.")
        discovery.reset()
        found = [r for r in discovery.entry_points() if dist_key(r.distribution) == dist_key(self.distribution)]
        if not found:
            pytest.fail(f"{self.distribution} is not installed or declares no entry point in a toil.* group.")
        return found

    @pytest.fixture
    def specs(self, records: List[Any]) -> List[Tuple[Any, Any]]:
        """``(record, spec)`` for every entry point that registers a backend."""
        return [(r, discovery.resolve(r.kind, r.name).spec) for r in records if r.kind != "plugin"]

    # ------------------------------------------------------------------ tests
    def test_each_entry_point_yields_a_spec_of_its_own_name(self, records: List[Any]) -> None:
        for record in records:
            if record.kind == "plugin":
                discovery.load_cross_cutting_plugins()
                assert discovery.failure_of(record) is None, str(discovery.failure_of(record))
                continue
            resolved = discovery.resolve(record.kind, record.name)
            assert resolved.spec.matches(record.name), f"{record.raw_name} yields {resolved.spec.name}"
            assert dist_key(resolved.record.distribution) == dist_key(self.distribution)

    def test_load_strings_name_objects_of_the_right_kind(self, specs: List[Tuple[Any, Any]]) -> None:
        for record, spec in specs:
            obj = load_plugin_object(record.kind, record.name)
            base = _BASES.get(record.kind)
            if base is not None:
                module, _, name = base.partition(":")
                expected = getattr(__import__(module, fromlist=[name]), name)
                assert isinstance(obj, type) and issubclass(obj, expected), f"{spec.load} is not a {name}"
            elif record.kind == "url_access":
                assert all(hasattr(obj, m) for m in ("supports_url", "read_from_url", "get_size")), spec.load
            else:
                assert callable(obj), f"{spec.load} is not callable"

    def test_specs_have_a_summary(self, specs: List[Tuple[Any, Any]]) -> None:
        for _record, spec in specs:
            assert spec.summary.strip(), f"{spec.kind} {spec.name!r} has no summary"

    def test_settings_have_help_and_defaults(self, specs: List[Tuple[Any, Any]]) -> None:
        for _record, spec in specs:
            if spec.settings is None:
                continue
            for field in attrs.fields(spec.settings):
                assert field.default is not attrs.NOTHING, f"{spec.settings.__name__}.{field.name} has no default"
            for row in describe_settings(spec.settings):
                assert row.help.strip(), f"{spec.settings.__name__}.{row.name} has no help (use setting())"

    def test_setting_flags_do_not_clash_with_core_options(self, specs: List[Tuple[Any, Any]]) -> None:
        core = {flag: opt for opt in option_table() for flag in opt.flags}
        for _record, spec in specs:
            for info in setting_infos(spec.settings):
                for flag in info.flags:
                    opt = core.get(flag)
                    if opt is None:
                        continue
                    # An upstream backend flag the core keeps too is fine if it fills the same value.
                    assert opt.backend and opt.kwargs.get("dest") == info.dest, \
                        f"{spec.name}: {flag} is a core option"

    def test_importing_the_plugin_modules_is_light(self, records: List[Any],
                                                   specs: List[Tuple[Any, Any]]) -> None:
        modules = sorted({r.value.partition(":")[0].strip() for r in records})
        backends = sorted({s.module_name for _r, s in specs} - set(modules))
        code = textwrap.dedent(f"""
            import importlib, json, sys
            for name in {modules!r}:
                importlib.import_module(name)
            print(json.dumps(sorted(sys.modules)))
        """)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=subprocess_env(), timeout=120)
        assert out.returncode == 0, out.stderr
        loaded = json.loads(out.stdout.strip().splitlines()[-1])
        heavy = [m for m in loaded if any(m == h or m.startswith(h + ".") for h in self.heavy_modules)]
        assert not heavy, f"importing {modules} imports heavy modules: {heavy}"
        eager = [m for m in backends if m in loaded]
        assert not eager, f"importing {modules} imports the backend modules {eager}; keep load strings lazy"

    def test_toil_core_requirement_is_a_bounded_range(self, records: List[Any]) -> None:
        if dist_key(self.distribution) == dist_key(CORE_DISTRIBUTION):
            pytest.skip("toil-core itself")
        problem = core_requirement_problem(records[0].requires())
        assert problem is None, f"{self.distribution}: {problem}"
