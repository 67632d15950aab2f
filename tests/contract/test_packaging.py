"""Issue item 5: extras map onto the first-party distributions of the monorepo, every plugin
distribution asks for a bounded toil-core range, and the dev venv is consistent (pip check)."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from toil_core.plugins.errors import PROVIDED_BY, PluginNotInstalledError, declared_extras, install_hint
from toil_core.testing import PluginPackagingContract, core_requirement_problem

ROOT = Path(__file__).resolve().parents[2]

#: toil-core extra -> the first-party distribution providing it.
FIRST_PARTY = {
    "aws": "toil-aws", "google": "toil-google", "kubernetes": "toil-k8s", "mesos": "toil-mesos",
    "hpc": "toil-hpc", "cwl": "toil-cwl", "wdl": "toil-wdl",
}
OTHER_EXTRAS = {"encryption", "all", "test"}


def load_dev():
    spec = importlib.util.spec_from_file_location("toil_repo_dev_packaging", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DEV = load_dev()


def project(folder: Path) -> dict:
    return DEV._load_toml(folder / "pyproject.toml")["project"]


def monorepo_distributions() -> dict:
    """distribution name -> folder, for every folder dev.py installs, plus the plugin template."""
    folders = DEV.discover_distributions(ROOT) + [ROOT / "plugins" / "template"]
    return {project(f)["name"]: f for f in folders if (f / "pyproject.toml").is_file()}


def requirement_name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;(]", requirement.strip(), 1)[0].lower().replace("_", "-")


CORE = project(ROOT / "toil_core")
DISTS = monorepo_distributions()


@pytest.mark.parametrize("name", sorted(n for n in DISTS if n != "toil-core"))
def test_plugin_distributions_require_a_bounded_core_range(name):
    requirements = project(DISTS[name]).get("dependencies", [])
    assert core_requirement_problem(requirements) is None, core_requirement_problem(requirements)


@pytest.mark.parametrize("name", sorted(DISTS))
def test_no_exact_pin_on_a_first_party_distribution(name):
    proj = project(DISTS[name])
    requirements = list(proj.get("dependencies", []))
    for extra in (proj.get("optional-dependencies") or {}).values():
        requirements += extra
    for requirement in requirements:
        if requirement_name(requirement).startswith("toil-"):
            assert "==" not in requirement, f"{name}: {requirement} is an exact pin"


def test_core_extras_name_first_party_distributions_of_the_monorepo():
    extras = CORE.get("optional-dependencies") or {}
    assert set(extras) <= set(FIRST_PARTY) | OTHER_EXTRAS, f"unknown extras: {set(extras) - set(FIRST_PARTY) - OTHER_EXTRAS}"
    for extra, distribution in FIRST_PARTY.items():
        if extra not in extras:
            assert distribution not in DISTS, f"{distribution} is in the monorepo but has no [{extra}] extra"
            continue
        assert distribution in DISTS, f"extra [{extra}] names {distribution}, which is not in the monorepo"
        assert [requirement_name(r) for r in extras[extra]] == [distribution]
        assert core_requirement_problem(extras[extra], core=distribution) is None, extras[extra]


def test_all_extra_pulls_every_backend_extra():
    extras = CORE["optional-dependencies"]
    (all_requirement,) = extras["all"]
    wanted = set(re.search(r"\[(.*)\]", all_requirement).group(1).split(","))
    assert wanted == (set(extras) & set(FIRST_PARTY)) | {"encryption"}


def _extras_table() -> dict:
    """distribution -> extra, as toil_core/pyproject.toml declares it (single-distribution extras)."""
    table = {}
    for extra, requirements in (CORE.get("optional-dependencies") or {}).items():
        names = [requirement_name(r) for r in requirements]
        if len(names) == 1 and names[0].startswith("toil-") and names[0] != "toil-core":
            table[names[0]] = extra
    return table


def test_installed_metadata_declares_the_extras_of_the_pyproject():
    """The hints read the installed metadata; it must be the pyproject's table (rerun
    `python3 dev.py setup` after changing the extras)."""
    assert {d: e for d, e in declared_extras().items() if d.startswith("toil-")} == _extras_table()


@pytest.mark.parametrize("kind,name", sorted(PROVIDED_BY), ids=[f"{k}-{n}" for k, n in sorted(PROVIDED_BY)])
def test_install_hint_names_only_a_declared_extra(kind, name):
    distribution = PROVIDED_BY[(kind, name)]
    extra = _extras_table().get(distribution)
    assert install_hint(kind, name) == ((extra, distribution) if extra else None)
    message = str(PluginNotInstalledError(kind, name, []))
    if extra:
        assert f"pip install 'toil-core[{extra}]' (provides {distribution})" in message
    else:
        assert "pip install" not in message
        assert f"is not available: it comes with {distribution}" in message


def test_the_template_is_not_installed_by_dev_py():
    assert ROOT / "plugins" / "template" not in DEV.discover_distributions(ROOT)
    # top-level distributions, and the first-party plugins of plugins/ (plugins/toil_*)
    assert all(f.parent == ROOT or (f.parent == ROOT / "plugins" and f.name.startswith("toil_"))
               for f in DEV.discover_distributions(ROOT))


def test_pip_check_passes_on_the_dev_venv():
    result = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


class TestToilCorePackaging(PluginPackagingContract):
    """toil-core registers its built-ins like any plugin, so it keeps the packaging contract."""

    distribution = "toil-core"


def _installed(name: str) -> bool:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        distribution(name)
    except PackageNotFoundError:
        return False
    return True


# Every first-party plugin of the monorepo that dev.py installed keeps the packaging contract too
# (the template is checked by tests/contract/test_plugin_kit.py, which installs a copy).
for _name in sorted(n for n in DISTS if n not in ("toil-core", "toil-plugin-example") and _installed(n)):
    _class = f"TestPackaging_{_name.replace('-', '_')}"
    globals()[_class] = type(_class, (PluginPackagingContract,), {"distribution": _name, "__module__": __name__})
