"""A workflow script's first lines stay cheap to import (issue 12: no start-up regression; issue 24 goal 5).

``from toil.common import Toil`` and ``from toil.job import Job`` start every workflow script, and the
fork server imports the user's script before its first job. Neither may pull in what only a running
workflow, a ``--provisioner`` run or a ``--metrics`` run needs: the leader, the cluster scaler,
the plugin machinery (pluggy, entry point scans), the job stores and batch systems, urllib.request
and ssl. Each check runs in a fresh interpreter and reads its ``sys.modules``; nothing is timed
(``bench/run.py --cases startup`` measures the times).
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from toil_core.testing import subprocess_env

#: Modules (and their submodules) that the workflow-script imports must not load.
NOT_AT_IMPORT = (
    "toil_core.leader.leader",
    "toil_core.provisioners",
    "toil_core.plugins",
    "toil_core.batch",
    "toil_core.jobstores",
    "toil_core.worker",
    "toil_core.workflow.options",
    "toil_core.workflow.metrics",
    "toil_core.common.config",
    "pluggy",
    "stevedore",
    "importlib.metadata",
    "urllib.request",
    "http.client",
    "ssl",
)


def _loaded_after(code: str) -> List[str]:
    """Names in ``sys.modules`` of a fresh interpreter after it ran ``code``."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          env=subprocess_env())
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _unwanted(modules: List[str]) -> List[str]:
    return [m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_AT_IMPORT)]


@pytest.mark.parametrize("code", [
    "import toil.common",
    "import toil.job",
    "from toil.common import Toil\nfrom toil.job import Job",
    "from toil.common import Toil, ToilRestartException\nfrom toil.job import Job, Promise",
])
def test_workflow_script_imports_load_no_engine_machinery(code: str) -> None:
    assert _unwanted(_loaded_after(code)) == []


def test_the_check_sees_an_eager_import() -> None:
    """The probe really reports modules: naming ``Config`` or ``ToilMetrics`` loads their homes."""
    loaded = _unwanted(_loaded_after("from toil.common import Config, ToilMetrics"))
    assert "toil_core.common.config" in loaded and "urllib.request" in loaded


def test_lazy_names_are_the_real_objects() -> None:
    import toil.common
    from toil_core.common.config import Config
    from toil_core.compat_common import HOMES
    from toil_core.workflow.toil import Toil

    assert toil.common.Toil is Toil and toil.common.Config is Config
    assert set(toil.common.__all__) <= set(HOMES) | set(vars(toil.common))
    assert set(toil.common.__all__) <= set(dir(toil.common))
    with pytest.raises(AttributeError, match="no attribute 'NoSuchName'"):
        getattr(toil.common, "NoSuchName")


def test_import_toil_job_leaves_the_package_helpers_unloaded() -> None:
    """``toil.applianceSelf``, ``toil.retry`` and friends (and what they import) wait for first use."""
    loaded = _loaded_after("import toil.job")
    assert "toil_core.compat_toplevel" not in loaded and "toil_core.lib.retry" not in loaded
    assert "toil_core.compat_toplevel" in _loaded_after("from toil import applianceSelf")


def test_package_names_are_the_real_objects() -> None:
    import toil
    from toil_core import compat_toplevel
    from toil_core.compat_package import TOPLEVEL_NAMES

    assert sorted(TOPLEVEL_NAMES) == sorted(compat_toplevel.__all__)
    assert all(getattr(toil, name) is getattr(compat_toplevel, name) for name in TOPLEVEL_NAMES)
    assert set(TOPLEVEL_NAMES) <= set(dir(toil))
    with pytest.raises(AttributeError, match="module 'toil' has no attribute 'NoSuchName'"):
        getattr(toil, "NoSuchName")


#: What ``import toil.job`` leaves for first use: upstream's extras of ``toil.job`` (two dozen
#: upstream-named loggers, typing aliases) and the subprocess/shutil machinery that only GPU
#: discovery needs.
NOT_AT_IMPORT_TOIL_JOB = ("toil_core.compat_names", "subprocess", "shutil", "bz2", "lzma", "selectors")


def test_import_toil_job_leaves_the_upstream_extras_unloaded() -> None:
    loaded = _loaded_after("import toil.job")
    assert [m for m in NOT_AT_IMPORT_TOIL_JOB if m in loaded] == []
    assert "toil_core.compat_names" in _loaded_after("from toil.job import logger")


def test_lazy_job_names_are_the_real_objects() -> None:
    import toil.job
    from toil_core import compat_names
    from toil_core.compat_package import JOB_NAMES

    assert toil.job.logger is compat_names.job_logger and toil.job.logger.name == "toil.job"
    assert all(getattr(toil.job, name) is getattr(compat_names, home) for name, home in JOB_NAMES.items())
    assert set(toil.job.__all__) <= set(dir(toil.job))
    with pytest.raises(AttributeError, match="module 'toil.job' has no attribute 'NoSuchName'"):
        getattr(toil.job, "NoSuchName")


def test_the_job_stub_names_what_the_module_exports() -> None:
    """``toil/job.pyi`` (what type checkers read instead of job.py) keeps job.py's ``__all__``."""
    import toil.job

    stub = ast.parse(Path(toil.job.__file__).with_suffix(".pyi").read_text(encoding="utf-8"))
    declared = next(node.value for node in stub.body if isinstance(node, ast.Assign)
                    and any(getattr(t, "id", None) == "__all__" for t in node.targets))
    assert sorted(ast.literal_eval(declared)) == sorted(toil.job.__all__)


#: Modules a workflow's leader must not load (nor its plugin checks): the worker and the file stores
#: are the fork server's, packaging is needed only for a requirement that is not plain release
#: numbers, and ctypes.util runs ``ldconfig -p`` in a subprocess.
NOT_IN_LEADER = ("toil_core.worker", "toil_core.batch.fork_server", "packaging", "ctypes.util")

_LEADER_SCRIPT = '''
import json, sys
from toil.common import Toil
from toil.job import Job

def hello(message):
    return "hello " + message

if __name__ == "__main__":
    options = Job.Runner.getDefaultArgumentParser().parse_args()
    options.clean = "always"
    with Toil(options) as toil:
        result = toil.start(Job.wrapFn(hello, "leader"))
    print(json.dumps([result, sorted(sys.modules)]))
'''


def test_the_leader_of_a_workflow_loads_no_worker_machinery(tmp_path) -> None:
    """The hello-world leader starts the fork server but imports none of what only a job needs."""
    script = tmp_path / "leader_probe.py"
    script.write_text(_LEADER_SCRIPT)
    env = {k: v for k, v in subprocess_env().items() if k != "PYTHONPATH"}  # no test's fake plugins
    done = subprocess.run([sys.executable, str(script), f"file:{tmp_path / 'store'}", "--logLevel=WARNING"],
                          capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result, modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == "hello leader"
    assert [m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_IN_LEADER)] == []
