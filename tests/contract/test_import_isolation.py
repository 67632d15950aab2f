"""Issue item 1: ``--batchSystem X`` imports only X's plugin, a worker imports only its job store's
plugin, and the leader's per-job work never goes through pluggy."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from toil_core.common.config import Config
from toil_core.testing import subprocess_env
from toil_core.testing.fake_dist import FakeDistributions

MARK = '''
import os
if os.environ.get("ISO_MARKER"):
    with open(os.environ["ISO_MARKER"], "a") as _marker:
        _marker.write(__name__ + "\\n")
'''

MODULES = {
    "iso_bs_plugin.py": MARK + '''
from toil_core.plugins.specs import BatchSystemSpec
def toil_batch_systems():
    return [BatchSystemSpec(name="iso_bs", load="iso_backends:IsoBatchSystem", summary="isolation test")]
''',
    "iso_js_plugin.py": MARK + '''
from toil_core.plugins.specs import JobStoreSpec
def toil_job_stores():
    return [JobStoreSpec(name="isojs", load="iso_backends:IsoJobStore", summary="isolation test")]
''',
    "iso_url_plugin.py": MARK + '''
from toil_core.plugins.specs import URLAccessSpec
def toil_url_access():
    return [URLAccessSpec(name="isourl", load="iso_backends:Nothing", summary="isolation test")]
''',
    "iso_cross_plugin.py": MARK + '''
def toil_leader_started(config):
    pass
''',
    "iso_backends.py": MARK + '''
from toil_core.batch.single_machine import SingleMachineBatchSystem
from toil_core.jobstores.file_job_store import FileJobStore
class IsoBatchSystem(SingleMachineBatchSystem):
    pass
class IsoJobStore(FileJobStore):
    pass
''',
}


@pytest.fixture
def iso_plugins(tmp_path):
    with FakeDistributions(tmp_path / "dists") as dists:
        dists.add("toil-iso", "1.0", {
            "toil.batch_systems": {"iso_bs": "iso_bs_plugin"},
            "toil.job_stores": {"isojs": "iso_js_plugin"},
            "toil.url_access": {"isourl": "iso_url_plugin"},
            "toil.plugins": {"iso_cross": "iso_cross_plugin"},
        }, requires=["toil-core>=1.0,<2"], modules=MODULES)
        yield tmp_path


def run_python(code, marker, cwd):
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True,
                            text=True, env=subprocess_env({"ISO_MARKER": str(marker)}), timeout=120)
    imported = marker.read_text().split() if marker.exists() else []
    return result, imported


def test_batch_system_option_imports_only_that_plugin(iso_plugins):
    marker = iso_plugins / "marker"
    result, imported = run_python("""
        from toil_core.workflow.options import get_default_argument_parser
        from toil_core.plugins.registry import get_batch_system_class
        options = get_default_argument_parser().parse_args(["file:js", "--batchSystem", "iso_bs"])
        print(get_batch_system_class(options.batchSystem).__name__)
    """, marker, iso_plugins)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "IsoBatchSystem"
    assert imported == ["iso_bs_plugin", "iso_backends"]


def test_listing_plugins_imports_none(iso_plugins):
    marker = iso_plugins / "marker"
    result, imported = run_python("""
        from toil_core.plugins.registry import list_plugins
        print(sorted(i.name for i in list_plugins()))
    """, marker, iso_plugins)
    assert result.returncode == 0, result.stderr
    assert "iso_bs" in result.stdout and imported == []


def test_worker_imports_only_its_job_store_plugin(iso_plugins):
    from toil_core.jobstores.file_job_store import FileJobStore

    store = iso_plugins / "store"
    FileJobStore(str(store)).initialize(Config())
    marker = iso_plugins / "marker"
    result, imported = run_python(f"""
        import sys
        from toil_core.worker.entry import main
        sys.argv = ["_toil_worker", "job", "isojs:{store}", "no-such-job"]
        main()
    """, marker, iso_plugins)
    assert "Traceback" not in result.stderr or "no-such-job" in result.stderr
    assert imported == ["iso_js_plugin", "iso_backends"]


FANOUT = '''
from toil.common import Toil
from toil.job import Job

def leaf(job, i):
    return i

def root(job, n):
    return [job.addChildJobFn(leaf, i, cores=0.1, memory="10M", disk="1M").rv() for i in range(n)]
'''

COUNTING = '''
import json, sys
import pluggy._hooks
from toil_core.plugins import discovery, registry

counts = {"hook_calls": 0, "fan_out": 0, "resolve": 0}
_call = pluggy._hooks.HookCaller.__call__
def counting_call(self, *args, **kwargs):
    counts["hook_calls"] += 1
    return _call(self, *args, **kwargs)
pluggy._hooks.HookCaller.__call__ = counting_call
_each = registry._call_each
def counting_each(*args, **kwargs):
    counts["fan_out"] += 1
    return _each(*args, **kwargs)
registry._call_each = counting_each
_resolve = discovery.resolve
def counting_resolve(*args, **kwargs):
    counts["resolve"] += 1
    return _resolve(*args, **kwargs)
discovery.resolve = counting_resolve

from fanout_wf import root
from toil.common import Toil
from toil.job import Job

if __name__ == "__main__":
    n = int(sys.argv[1])
    options = Job.Runner.getDefaultOptions(sys.argv[2])
    options.clean = "always"
    options.logLevel = "WARNING"
    with Toil(options) as toil:
        assert toil.start(Job.wrapJobFn(root, n, cores=0.1, memory="10M", disk="1M")) == list(range(n))
    print(json.dumps(counts))
'''


def test_no_pluggy_on_the_leaders_per_job_path(tmp_path):
    (tmp_path / "fanout_wf.py").write_text(FANOUT)
    (tmp_path / "counting.py").write_text(COUNTING)
    counts = []
    for n in (2, 24):
        result = subprocess.run([sys.executable, "counting.py", str(n), f"file:{tmp_path / f'js{n}'}"],
                                cwd=tmp_path, capture_output=True, text=True, timeout=300,
                                env=subprocess_env({"PYTHONPATH": str(tmp_path) + ":" + subprocess_env()["PYTHONPATH"]}))
        assert result.returncode == 0, result.stderr
        counts.append(json.loads(result.stdout.strip().splitlines()[-1]))
    assert counts[0] == counts[1], f"plugin machinery calls grow with the number of jobs: {counts}"
    assert counts[0]["fan_out"] <= 6, counts
