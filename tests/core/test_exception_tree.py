"""One exception tree: every exception the project defines descends from one root, keeps its upstream
builtin bases, and the drawing in ``toil_core.exceptions``'s docstring matches the classes."""
import builtins
import importlib
import inspect
import pkgutil
import re
import subprocess

import pytest

import toil_core
import toil_core.exceptions
from toil_core.lib.errors import ToilBaseException, ToilError

TREE_LINE = re.compile(r"^(?P<indent>[ │├└─]*)(?P<name>[A-Z][A-Za-z]+)(?: \(also (?P<also>[A-Za-z, ]+)\))?")


def drawn_tree():
    """{name: (parent name or None, [also-bases])} read from the docstring's drawing."""
    doc = toil_core.exceptions.__doc__
    block = doc.split("::", 1)[1].strip("\n").split("\n\n", 1)[0]
    tree, stack = {}, []
    for raw in block.splitlines():
        line = raw[4:]  # the literal block's indentation
        match = TREE_LINE.match(line)
        assert match, f"cannot read drawing line {raw!r}"
        depth = len(match.group("indent")) // 4
        name = match.group("name")
        assert name not in tree, f"{name} drawn twice"
        del stack[depth:]
        tree[name] = (stack[-1] if stack else None,
                      [b.strip() for b in (match.group("also") or "").split(",") if b.strip()])
        stack.append(name)
    return tree


def defined_exceptions(package):
    """Every exception class defined in the modules of ``package``."""
    found = {}
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if info.name.endswith(".__main__"):
            continue  # running it is what importing it does
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == info.name:
                found.setdefault(obj.__name__, obj)
    found.setdefault(ToilBaseException.__name__, ToilBaseException)
    return found


@pytest.fixture(scope="module")
def core_exceptions():
    return defined_exceptions(toil_core)


def test_every_core_exception_is_drawn_and_every_drawn_one_exists(core_exceptions):
    assert set(drawn_tree()) == set(core_exceptions)


def test_the_drawing_has_one_root_and_it_is_the_code_root():
    roots = [name for name, (parent, _) in drawn_tree().items() if parent is None]
    assert roots == ["ToilBaseException"]


def test_every_drawn_edge_is_the_first_base_of_the_class(core_exceptions):
    for name, (parent, _) in drawn_tree().items():
        if parent is not None:
            assert core_exceptions[name].__bases__[0] is core_exceptions[parent], name


def test_the_also_bases_are_the_other_bases_of_the_class(core_exceptions):
    for name, (parent, also) in drawn_tree().items():
        if parent is None:
            continue
        others = [base.__name__ for base in core_exceptions[name].__bases__[1:]]
        if name == "ToilError":
            assert others == ["Exception"]  # the root of ordinary errors is an Exception by definition
            continue
        assert others == also, name


def test_every_core_exception_descends_from_the_root(core_exceptions):
    for cls in core_exceptions.values():
        assert issubclass(cls, ToilBaseException), cls


@pytest.mark.parametrize("name, builtin", [
    ("JobPromiseConstraintError", RuntimeError), ("OptionError", ValueError), ("OptionError", RuntimeError),
    ("JobStoreFullError", OSError), ("PluginError", RuntimeError), ("KilledWorkflowException", SystemExit),
])
def test_upstream_bases_users_catch_are_kept(core_exceptions, name, builtin):
    assert issubclass(core_exceptions[name], builtin)


def test_ordinary_errors_are_exceptions_and_the_kill_is_not(core_exceptions):
    assert issubclass(core_exceptions["FailedJobsException"], ToilError)
    assert issubclass(core_exceptions["FailedJobsException"], Exception)
    assert not issubclass(core_exceptions["KilledWorkflowException"], Exception)


def test_drawn_builtin_bases_are_real_builtins():
    for name, (_, also) in drawn_tree().items():
        for base in also:
            assert hasattr(builtins, base) or base == "CalledProcessError", (name, base)


@pytest.mark.parametrize("package", ["toil_hpc", "toil_cwl", "toil_aws", "toil_mesos", "toil_google"])
def test_backend_exceptions_descend_from_toil_error(package):
    module = importlib.import_module(package)
    for name, cls in defined_exceptions(module).items():
        if cls is ToilBaseException:
            continue
        assert issubclass(cls, ToilError), f"{package}: {name}"


def test_toil_error_reaches_backends_through_the_plugin_api():
    from toil_core.plugin_api import ToilError as exported

    assert exported is ToilError


def test_a_caught_failure_of_a_command_is_a_toil_error():
    """A real raise site: a container command that fails raises a ContainerError, which is both a
    CalledProcessError (what callers caught before) and a ToilError."""
    from toil_core.lib.container_cli import ContainerError

    error = ContainerError("c1", 1, ["false"], "busybox", stderr=b"boom")
    assert isinstance(error, subprocess.CalledProcessError) and isinstance(error, ToilError)
