"""The upstream auto-deployment API: ModuleDescriptor and Resource (``toil.resource``), in-process."""
import os
import sys

import pytest

from toil.resource import (
    DirectoryResource,
    FileResource,
    ModuleDescriptor,
    Resource,
    ResourceException,
    VirtualEnvResource,
)




@pytest.fixture
def clean_resource_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith(Resource.resourceEnvNamePrefix):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    yield
    Resource.cleanSystem()


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "sub" / "__init__.py").write_text("")
    (root / "pkg" / "sub" / "mod.py").write_text("VALUE = 'pkg'\n")
    (root / "script.py").write_text("VALUE = 'script'\n")
    (root / "sibling.py").write_text("")
    return root


# ---------------------------------------------------------------- ModuleDescriptor
def test_for_module_of_a_plain_module(project, monkeypatch):
    monkeypatch.syspath_prepend(str(project))
    import script  # noqa: F401

    try:
        descriptor = ModuleDescriptor.forModule("script")
        assert descriptor == ModuleDescriptor(str(project), "script", False)
    finally:
        sys.modules.pop("script", None)


def test_for_module_of_a_package_module_finds_the_root(project, monkeypatch):
    monkeypatch.syspath_prepend(str(project))
    import pkg.sub.mod  # noqa: F401

    try:
        descriptor = ModuleDescriptor.forModule("pkg.sub.mod")
        assert descriptor.dirPath == str(project)
        assert descriptor.name == "pkg.sub.mod"
    finally:
        for name in ("pkg.sub.mod", "pkg.sub", "pkg"):
            sys.modules.pop(name, None)


def test_for_module_of_main_rejects_dotted_script_names(tmp_path, monkeypatch):
    import types

    fake = types.ModuleType("__main__")
    fake.__file__ = str(tmp_path / "my.workflow.py")
    fake.__spec__ = None
    monkeypatch.setitem(sys.modules, "__main__", fake)
    with pytest.raises(ResourceException):
        ModuleDescriptor.forModule("__main__")


def test_for_module_of_main_uses_the_file_name(tmp_path, monkeypatch):
    import types

    fake = types.ModuleType("__main__")
    fake.__file__ = str(tmp_path / "workflow.py")
    fake.__spec__ = None
    monkeypatch.setitem(sys.modules, "__main__", fake)
    assert ModuleDescriptor.forModule("__main__") == ModuleDescriptor(str(tmp_path), "workflow", False)


def test_toil_modules_belong_to_toil():
    assert ModuleDescriptor("/x", "toil.job").belongsToToil()
    assert ModuleDescriptor("/x", "toil_core.job").belongsToToil()
    assert not ModuleDescriptor("/x", "workflow.main").belongsToToil()


def test_command_round_trip():
    descriptor = ModuleDescriptor("/some/dir", "pkg.mod", False)
    command = descriptor.toCommand()
    assert command[0] == "--ModuleDescriptor"
    assert ModuleDescriptor.fromCommand(command[1:]) == descriptor


def test_load_imports_from_dir_path(project):
    try:
        module = ModuleDescriptor(str(project), "script").load()
        assert module.VALUE == "script"
    finally:
        sys.modules.pop("script", None)
        if str(project) in sys.path:
            sys.path.remove(str(project))


def test_localize_without_registered_resource_is_identity(project, clean_resource_env):
    descriptor = ModuleDescriptor(str(project), "script")
    assert descriptor.localize() is descriptor
    assert descriptor.globalize() == descriptor


# ---------------------------------------------------------------- Resource
def test_script_saved_as_file_resource(project, job_store, clean_resource_env):
    resource = ModuleDescriptor(str(project), "script").saveAsResourceTo(job_store)
    assert isinstance(resource, FileResource)
    assert resource.name == "script.py"
    assert len(resource.pathHash) == 32 and len(resource.contentHash) == 32
    Resource.prepareSystem()
    resource.download()
    with open(resource.localPath) as handle:
        assert handle.read() == "VALUE = 'script'\n"


def test_package_saved_as_directory_resource(project, job_store, clean_resource_env):
    resource = ModuleDescriptor(str(project), "pkg.sub.mod").saveAsResourceTo(job_store)
    assert isinstance(resource, DirectoryResource)
    assert resource.name == "pkg"
    Resource.prepareSystem()
    resource.download()
    assert sorted(os.listdir(resource.localPath)) == ["__init__.py", "sub"]


def test_register_and_lookup(project, job_store, clean_resource_env):
    resource = FileResource.create(job_store, str(project / "script.py"))
    assert Resource.lookup(str(project / "script.py")) is None
    resource.register()
    assert os.environ[Resource.resourceEnvNamePrefix + resource.pathHash]
    found = Resource.lookup(str(project / "script.py"))
    assert found == resource and type(found) is FileResource


def test_pickle_round_trip_keeps_the_class(project, job_store):
    resource = DirectoryResource.create(job_store, str(project / "pkg"))
    again = Resource.unpickle(resource.pickle())
    assert again == resource and type(again) is DirectoryResource


def test_localize_with_registered_resource_points_at_the_download(project, job_store, clean_resource_env):
    descriptor = ModuleDescriptor(str(project), "pkg.sub.mod")
    resource = descriptor.saveAsResourceTo(job_store)
    resource.register()
    Resource.prepareSystem()
    resource.download()
    local = descriptor.localize()
    assert local.name == "pkg.sub.mod"
    assert os.path.exists(os.path.join(local.dirPath, "pkg", "sub", "mod.py"))


def test_download_calls_back(project, job_store, clean_resource_env):
    resource = FileResource.create(job_store, str(project / "script.py"))
    Resource.prepareSystem()
    seen = []
    resource.download(callback=seen.append)
    assert seen == [resource]


def test_local_paths_need_prepare_system(project, job_store, clean_resource_env):
    resource = FileResource.create(job_store, str(project / "script.py"))
    with pytest.raises(ResourceException):
        resource.localDirPath


def test_clean_system_removes_downloads(project, job_store, clean_resource_env):
    resource = FileResource.create(job_store, str(project / "script.py"))
    Resource.prepareSystem()
    resource.download()
    root = os.environ[Resource.rootDirPathEnvName]
    Resource.cleanSystem()
    assert not os.path.exists(root)
    assert Resource.rootDirPathEnvName not in os.environ


def test_virtualenv_resource_keeps_only_python_files(tmp_path, job_store, clean_resource_env):
    site = tmp_path / "site-packages"
    (site / "lib").mkdir(parents=True)
    (site / "lib" / "__init__.py").write_text("")
    (site / "lib" / "native.so").write_bytes(b"\0ELF")
    resource = VirtualEnvResource.create(job_store, str(site))
    Resource.prepareSystem()
    resource.download()
    assert os.listdir(os.path.join(resource.localPath, "lib")) == ["__init__.py"]
