"""Auto-deployment of the workflow script (manual: "Auto-Deployment").

The script and its sibling modules (or, with ``python -m pkg.mod``, the package tree) are saved in
the job store, so workers can import them even when the original directory is gone.
"""
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

PYTHON = sys.executable


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def run(cmd, cwd: Path, env_extra=None, timeout=180) -> subprocess.CompletedProcess:
    tmp = cwd / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    for var in ("TOIL_WORKDIR", "TOIL_COORDINATION_DIR", "PYTHONPATH"):
        env.pop(var, None)
    env.update({"TMPDIR": str(tmp), "PYTHONUNBUFFERED": "1"})
    env["PATH"] = os.path.dirname(PYTHON) + os.pathsep + env.get("PATH", "")
    env.update(env_extra or {})
    proc = subprocess.Popen([str(c) for c in cmd], cwd=str(cwd), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"timed out\n{out[-3000:]}\n{err[-6000:]}")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def result_of(proc):
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-8000:]}"
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise AssertionError(f"no RESULT line\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")


def user_script_record(store: Path):
    from toil_core.jobstores.locator import open_job_store
    from toil_core.resource import read_user_module_record

    job_store = open_job_store(str(store))
    return job_store, read_user_module_record(job_store)


def deployed_names(job_store, record):
    with job_store.read_file_stream(record["zip"]) as stream:
        data = stream.read()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sorted(archive.namelist())


# ---------------------------------------------------------------- sibling modules
SIBLING_SCRIPT = """
    import json, os, sys
    from toil.common import Toil
    from toil.job import Job
    import helper

    class ScriptJob(Job):
        \"\"\"A Job subclass defined in the script itself.\"\"\"
        def __init__(self, x):
            super().__init__(memory="20M", cores=0.1, disk="1M")
            self.x = x

        def run(self, fileStore):
            return helper.triple(self.x)

    def script_fn(job, x):
        return helper.triple(x)

    def root(job):
        return {"class": job.addChild(ScriptJob(2)).rv(), "function": job.addChildJobFn(script_fn, 5).rv()}

    if __name__ == "__main__":
        options = Job.Runner.getDefaultArgumentParser().parse_args()
        options.logLevel = "WARNING"
        with Toil(options) as toil:
            print("RESULT " + json.dumps(toil.start(Job.wrapJobFn(root))))
"""


@pytest.fixture
def sibling_project(tmp_path):
    project = tmp_path / "A"
    write(project / "helper.py", "def triple(x):\n    return 3 * x\n")
    write(project / "unused_sibling.py", "NOT_IMPORTED = True\n")
    write(project / "notes.txt", "not python\n")
    write(project / "wf.py", SIBLING_SCRIPT)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    return project, elsewhere


def test_script_with_sibling_module_runs_from_another_directory(sibling_project):
    project, elsewhere = sibling_project
    result = result_of(run([PYTHON, project / "wf.py", elsewhere / "js"], cwd=elsewhere))
    assert result == {"class": 6, "function": 15}


def test_script_class_and_function_resolve_in_workers(sibling_project):
    # The class and the job function are pickled as __main__.X by the leader.
    project, elsewhere = sibling_project
    result = result_of(run([PYTHON, "wf.py", elsewhere / "js"], cwd=project))
    assert result["class"] == 6 and result["function"] == 15


def test_all_sibling_python_files_are_deployed(sibling_project):
    project, elsewhere = sibling_project
    store = elsewhere / "js"
    result_of(run([PYTHON, project / "wf.py", store, "--clean", "never"], cwd=elsewhere))
    job_store, record = user_script_record(store)
    assert record["name"] == "wf"
    assert record["dirPath"] == str(project)
    assert deployed_names(job_store, record) == ["helper.py", "unused_sibling.py", "wf.py"]


def test_disable_auto_deployment_saves_no_copy(sibling_project):
    project, elsewhere = sibling_project
    store = elsewhere / "js"
    result = result_of(run([PYTHON, project / "wf.py", store, "--clean", "never", "--disableAutoDeployment"],
                           cwd=elsewhere))
    assert result == {"class": 6, "function": 15}  # same machine: the original is still there
    _, record = user_script_record(store)
    assert record is not None and record["name"] == "wf"
    assert "zip" not in record


# ---------------------------------------------------------------- original directory disappears
MOVING_SCRIPT = """
    import json, os, shutil, sys
    from toil.common import Toil
    from toil.job import Job
    import helper

    class ScriptJob(Job):
        def __init__(self, x):
            super().__init__(memory="20M", cores=0.1, disk="1M")
            self.x = x

        def run(self, fileStore):
            return helper.triple(self.x)

    def late_importer(job, x):
        import late  # a sibling nobody imported before the directory moved
        return {"value": late.scale(helper.triple(x)), "late_dir": os.path.dirname(os.path.abspath(late.__file__))}

    def mover(job, src, dst):
        # Runs first; after this the script's directory is gone.
        shutil.move(src, dst)
        return {"late": job.addChildJobFn(late_importer, 2).rv(), "class": job.addChild(ScriptJob(4)).rv()}

    if __name__ == "__main__":
        options = Job.Runner.getDefaultArgumentParser().parse_args()
        options.logLevel = "WARNING"
        here = os.path.dirname(os.path.abspath(__file__))
        with Toil(options) as toil:
            print("RESULT " + json.dumps(toil.start(Job.wrapJobFn(mover, here, here + "_moved"))))
"""


def test_workers_use_the_deployed_copy_when_the_script_directory_is_gone(tmp_path):
    project = tmp_path / "A"
    write(project / "helper.py", "def triple(x):\n    return 3 * x\n")
    write(project / "late.py", "def scale(x):\n    return 10 * x\n")
    write(project / "wf.py", MOVING_SCRIPT)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = result_of(run([PYTHON, project / "wf.py", elsewhere / "js"], cwd=elsewhere))
    assert not project.exists() and (tmp_path / "A_moved").exists()
    assert result["late"]["value"] == 60
    assert result["class"] == 12
    late_dir = result["late"]["late_dir"]
    assert not late_dir.startswith(str(project)) and not late_dir.startswith(str(tmp_path / "A_moved"))


def test_workers_use_the_deployed_copy_when_the_script_changed(tmp_path):
    project = tmp_path / "A"
    write(project / "helper.py", "def triple(x):\n    return 3 * x\n")
    write(project / "late.py", "def scale(x):\n    return 10 * x\n")
    script = MOVING_SCRIPT.replace("shutil.move(src, dst)", (
        "open(os.path.join(src, 'wf.py'), 'a').write('\\nBROKEN = 1/0\\n')\n"
        "        open(os.path.join(src, 'late.py'), 'w').write('def scale(x):\\n    return -1\\n')"))
    write(project / "wf.py", script)
    result = result_of(run([PYTHON, project / "wf.py", tmp_path / "js"], cwd=tmp_path))
    assert result["late"]["value"] == 60  # the saved late.py, not the edited one


# ---------------------------------------------------------------- package hierarchy with python -m
PACKAGE_MAIN = """
    import json, os, sys
    from toil.common import Toil
    from toil.job import Job
    from workflow.util.quick import double

    def work(job, x):
        from workflow.util import lazy  # imported only inside the worker
        return {"value": lazy.plus_one(double(x)), "module": __name__,
                "lazy_file": os.path.abspath(lazy.__file__)}

    def root(job):
        return job.addChildJobFn(work, 20).rv()

    if __name__ == "__main__":
        options = Job.Runner.getDefaultArgumentParser().parse_args()
        options.logLevel = "WARNING"
        with Toil(options) as toil:
            print("RESULT " + json.dumps(toil.start(Job.wrapJobFn(root))))
"""


@pytest.fixture
def package_project(tmp_path):
    root = tmp_path / "my_project"
    write(root / "workflow" / "__init__.py", "")
    write(root / "workflow" / "main.py", PACKAGE_MAIN)
    write(root / "workflow" / "util" / "__init__.py", "")
    write(root / "workflow" / "util" / "quick.py", "def double(x):\n    return 2 * x\n")
    write(root / "workflow" / "util" / "lazy.py", "def plus_one(x):\n    return x + 1\n")
    write(root / "top_level_sibling.py", "X = 1\n")
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    return root, elsewhere


def test_package_run_with_python_m_from_another_directory(package_project):
    root, elsewhere = package_project
    result = result_of(run([PYTHON, "-m", "workflow.main", elsewhere / "js"], cwd=elsewhere,
                           env_extra={"PYTHONPATH": str(root)}))
    assert result["value"] == 41
    assert result["module"] == "workflow.main"


def test_package_tree_is_deployed(package_project):
    root, elsewhere = package_project
    store = elsewhere / "js"
    result_of(run([PYTHON, "-m", "workflow.main", store, "--clean", "never"], cwd=elsewhere,
                  env_extra={"PYTHONPATH": str(root)}))
    job_store, record = user_script_record(store)
    assert record["name"] == "workflow.main"
    assert record["dirPath"] == str(root)
    assert deployed_names(job_store, record) == [
        "workflow/__init__.py", "workflow/main.py", "workflow/util/__init__.py",
        "workflow/util/lazy.py", "workflow/util/quick.py",
    ]


PACKAGE_MOVER = PACKAGE_MAIN.replace(
    "    def root(job):\n        return job.addChildJobFn(work, 20).rv()",
    "    def root(job, src):\n"
    "        import shutil\n"
    "        shutil.move(src, src + '_moved')\n"
    "        return job.addChildJobFn(work, 20).rv()",
).replace("Job.wrapJobFn(root)", "Job.wrapJobFn(root, os.environ['PYTHONPATH'])")


def test_package_deployed_copy_used_when_the_root_is_gone(tmp_path):
    root = tmp_path / "my_project"
    write(root / "workflow" / "__init__.py", "")
    write(root / "workflow" / "main.py", PACKAGE_MOVER)
    write(root / "workflow" / "util" / "__init__.py", "")
    write(root / "workflow" / "util" / "quick.py", "def double(x):\n    return 2 * x\n")
    write(root / "workflow" / "util" / "lazy.py", "def plus_one(x):\n    return x + 1\n")
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    result = result_of(run([PYTHON, "-m", "workflow.main", elsewhere / "js"], cwd=elsewhere,
                           env_extra={"PYTHONPATH": str(root)}))
    assert not root.exists()
    assert result["value"] == 41
    assert not result["lazy_file"].startswith(str(tmp_path / "my_project"))


# ---------------------------------------------------------------- the __main__ guard
GUARDLESS_SCRIPT = """
    import json, sys
    from toil.common import Toil
    from toil.job import Job

    def fn(job):
        return 1

    options = Job.Runner.getDefaultArgumentParser().parse_args(ARGS)
    options.logLevel = "WARNING"
    with Toil(options) as toil:
        toil.start(Job.wrapJobFn(fn))
"""


def test_script_without_main_guard_fails_instead_of_recursing(tmp_path):
    args = [str(tmp_path / "js"), "--retryCount", "0"]
    script = write(tmp_path / "noguard.py", GUARDLESS_SCRIPT.replace("ARGS", repr(args)))
    proc = run([PYTHON, script], cwd=tmp_path, timeout=120)
    assert proc.returncode != 0
    assert 'if __name__ == "__main__":' in proc.stderr


def test_script_without_main_guard_parsing_sys_argv_fails_cleanly(tmp_path):
    # In a worker the script's own parse_args() sees the worker's argv and exits.
    script = write(tmp_path / "noguard.py", GUARDLESS_SCRIPT.replace("ARGS", ""))
    proc = run([PYTHON, script, tmp_path / "js", "--retryCount", "0"], cwd=tmp_path, timeout=120)
    assert proc.returncode != 0
    assert "failed jobs" in proc.stderr


# ---------------------------------------------------------------- script names workers cannot import
NAME_SCRIPT = """
    import json, sys
    from toil.common import Toil
    from toil.job import Job

    def fn(job):
        return 1

    if __name__ == "__main__":
        options = Job.Runner.getDefaultArgumentParser().parse_args()
        options.logLevel = "WARNING"
        with Toil(options) as toil:
            print("RESULT " + json.dumps(toil.start(Job.wrapJobFn(fn))))
"""


@pytest.mark.parametrize("file_name", ["my.workflow.py", "workflow"])
def test_unimportable_script_name_fails_before_running_jobs(tmp_path, file_name):
    script = write(tmp_path / file_name, NAME_SCRIPT)
    proc = run([PYTHON, script, tmp_path / "js"], cwd=tmp_path)
    assert proc.returncode != 0
    assert "must end in .py and have no other '.' in its name" in proc.stderr
    assert "Log from job" not in proc.stderr  # refused at start, no job ran


def test_job_from_an_imported_module_works_with_any_script_name(tmp_path):
    write(tmp_path / "lib_jobs.py", "def fn(job):\n    return 'from lib'\n")
    script = write(tmp_path / "my.workflow.py", NAME_SCRIPT.replace(
        "Job.wrapJobFn(fn)", "Job.wrapJobFn(__import__('lib_jobs').fn)"))
    assert result_of(run([PYTHON, script, tmp_path / "js"], cwd=tmp_path)) == "from lib"
