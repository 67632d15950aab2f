"""Spec records, the kinds table and the toil-core requirement check."""
from __future__ import annotations

import attrs
import pytest

from toil_core.plugins import (
    KINDS,
    BatchSystemSpec,
    JobStoreSpec,
    PluginSpec,
    ProvisionerSpec,
    SubcommandSpec,
    URLAccessSpec,
)
from toil_core.plugins.specs import kind_info
from toil_core.plugins.versions import (
    _fallback_satisfied,
    requirement_satisfied,
    unsatisfied_core_requirement,
)


@attrs.define
class FakeSettings:
    args: str = attrs.field(default="", metadata={"help": "extra arguments"})


def test_spec_normalizes_and_freezes():
    spec = BatchSystemSpec(name="Grid-Engine", load="pkg.mod:Cls", aliases=["gridEngine"],
                           capabilities=["walltime"], settings=FakeSettings, summary="s")
    assert spec.name == "grid_engine"
    assert spec.aliases == ("gridEngine",)
    assert spec.capabilities == frozenset({"walltime"})
    assert spec.has("walltime") and not spec.has("accelerators")
    assert spec.names() == ("grid_engine", "gridengine")
    assert spec.matches("GRIDENGINE") and spec.matches("grid-engine") and not spec.matches("slurm")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        spec.name = "other"  # type: ignore[misc]
    assert hash(spec) == hash(BatchSystemSpec(name="grid_engine", load="pkg.mod:Cls", aliases=("gridEngine",),
                                              capabilities={"walltime"}, settings=FakeSettings,
                                              summary="s"))


@pytest.mark.parametrize("load", ["pkg.mod", "pkg.mod:", ":Cls", "pkg mod:Cls", "pkg.mod:Cls()", ""])
def test_bad_load_strings_are_rejected(load):
    with pytest.raises(ValueError):
        BatchSystemSpec(name="x", load=load)


def test_bad_settings_and_names_are_rejected():
    with pytest.raises(TypeError):
        BatchSystemSpec(name="x", load="a:B", settings=dict)
    with pytest.raises(ValueError):
        BatchSystemSpec(name="", load="a:B")
    with pytest.raises(ValueError):
        BatchSystemSpec(name="has space", load="a:B")


def test_load_object_imports_lazily_and_follows_dotted_attributes():
    spec = JobStoreSpec(name="x", load="collections:OrderedDict.fromkeys")
    from collections import OrderedDict

    assert spec.load_object() == OrderedDict.fromkeys
    assert (spec.module_name, spec.attribute_path) == ("collections", "OrderedDict.fromkeys")
    with pytest.raises(ImportError):
        JobStoreSpec(name="y", load="no_such_module_xyz:Thing").load_object()
    with pytest.raises(AttributeError):
        JobStoreSpec(name="z", load="collections:NoSuchThing").load_object()


def test_every_kind_has_its_spec_class_and_hook():
    expected = {
        "batch_system": (BatchSystemSpec, "toil.batch_systems", "toil_batch_systems"),
        "job_store": (JobStoreSpec, "toil.job_stores", "toil_job_stores"),
        "provisioner": (ProvisionerSpec, "toil.provisioners", "toil_provisioners"),
        "url_access": (URLAccessSpec, "toil.url_access", "toil_url_access"),
        "subcommand": (SubcommandSpec, "toil.commands", "toil_subcommands"),
    }
    for kind, (cls, group, hook) in expected.items():
        info = KINDS[kind]
        assert (info.spec_class, info.group, info.hook) == (cls, group, hook)
        assert issubclass(cls, PluginSpec) and cls.kind == kind
    assert KINDS["plugin"].group == "toil.plugins" and KINDS["plugin"].hook is None
    assert kind_info("toil.batch_systems").kind == "batch_system"
    assert kind_info("batch-systems").kind == "batch_system"
    with pytest.raises(ValueError):
        kind_info("nonsense")


def test_hookspecs_match_the_kinds_table():
    from toil_core.plugins import hookspecs

    for info in KINDS.values():
        if info.hook:
            assert callable(getattr(hookspecs, info.hook))
    for name in hookspecs.FANOUT_HOOKS:
        assert callable(getattr(hookspecs, name))


@pytest.mark.parametrize(
    "spec,version,ok",
    [
        (">=1.1,<2", "1.1.0", True),
        (">=1.1,<2", "1.9.9", True),
        (">=1.1,<2", "2.0.0", False),
        (">=1.1,<2", "1.0", False),
        ("==1.*", "1.4.2", True),
        ("==1.*", "2.0", False),
        ("!=1.2.*", "1.2.5", False),
        ("!=1.2.*", "1.3", True),
        ("~=1.4", "1.9", True),
        ("~=1.4", "2.0", False),
        ("~=1.4.2", "1.4.9", True),
        ("~=1.4.2", "1.5.0", False),
        (">1.0", "1.0.0", False),
        ("<=1.0", "1.0.0", True),
        ("===1.0", "1.0", True),
        ("", "5", True),
    ],
)
def test_specifier_check_with_and_without_packaging(spec, version, ok):
    assert _fallback_satisfied(spec, version) is ok
    assert requirement_satisfied(spec, version) is ok


def test_unsatisfied_core_requirement_reads_names_markers_and_parentheses():
    requires = [
        "attrs>=22",
        "toil_core (>=1.1, <2)",
        "Toil.Core>=99 ; extra == 'test'",
    ]
    assert unsatisfied_core_requirement(requires, "toil-core", "1.5.0") is None
    assert unsatisfied_core_requirement(requires, "toil-core", "2.0.0") == "toil_core>=1.1,<2"
    assert unsatisfied_core_requirement(["toil-core>=99"], "toil-core", "1.0.0") == "toil-core>=99"
    assert unsatisfied_core_requirement(["toil-coreish>=99"], "toil-core", "1.0.0") is None


def test_plain_release_specifiers_agree_with_packaging():
    """The start-up fast path (plain release numbers, no packaging import) gives packaging's answer."""
    from packaging.specifiers import SpecifierSet

    from toil_core.plugins.versions import _is_plain

    specs = [">=1.0,<2", ">1.0", "<1", "<=1.0.0", "==1.0", "==1", "!=1.0.0", "==1.*", "==1.0.*", "!=1.*",
             "~=1.4", "~=1.4.2", "~=2.0", ">=0.9,!=1.2.*,<3", "==01.2"]
    versions = ["0", "0.9", "1", "1.0", "1.0.0", "1.0.1", "1.2", "1.2.5", "1.4", "1.4.1", "1.4.2", "1.5",
                "1.9.9", "2", "2.0.0", "2.0.1", "3", "10.0"]
    for spec in specs:
        assert _is_plain(spec, "1.0"), spec
        for version in versions:
            expected = SpecifierSet(spec).contains(version, prereleases=True)
            assert requirement_satisfied(spec, version) is expected, (spec, version)
    assert not _is_plain(">=1.0", "1.0rc1")  # pre-releases, local versions and === go to packaging
    assert not _is_plain("<2", "1.0+local")
    assert not _is_plain("===1.0", "1.0")
    assert not _is_plain(">=1.0a1", "1.0")
