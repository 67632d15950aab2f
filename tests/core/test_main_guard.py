"""A workflow script without the ``__main__`` guard fails clearly instead of forking without end."""
import subprocess
import sys
import textwrap

import psutil

SCRIPT = textwrap.dedent('''
    from toil.common import Toil
    from toil.job import Job

    def f():
        return 1

    options = Job.Runner.getDefaultOptions("./js")
    options.retryCount = 0
    with Toil(options) as toil:
        print(toil.start(Job.wrapFn(f)))
''')


def test_unguarded_script_fails_with_advice_and_no_runaway_processes(tmp_path):
    (tmp_path / "noguard.py").write_text(SCRIPT)
    proc = subprocess.run([sys.executable, "noguard.py"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0
    assert 'put the code that starts the workflow under `if __name__ == "__main__":`' in proc.stderr
    leftovers = [p for p in psutil.process_iter(["cwd"]) if p.info.get("cwd") == str(tmp_path)]
    assert leftovers == []


ARGPARSE_SCRIPT = textwrap.dedent('''
    from toil.common import Toil
    from toil.job import Job

    def f():
        return 1

    parser = Job.Runner.getDefaultArgumentParser()
    options = parser.parse_args()
    with Toil(options) as toil:
        print(toil.start(Job.wrapFn(f)))
''')


def test_unguarded_script_parsing_its_arguments_gets_one_message(tmp_path):
    """Issue 14: no argparse usage from the workers, no retries, one message naming the guard."""
    (tmp_path / "noguard.py").write_text(ARGPARSE_SCRIPT)
    proc = subprocess.run([sys.executable, "noguard.py", "./js", "--retryCount", "3"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 1
    assert proc.stderr.count('put the code that starts the workflow under `if __name__ == "__main__":`') == 1, \
        proc.stderr
    assert "usage:" not in proc.stderr and "could not preload" not in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("Job failed with exit value") == 1  # not retried
    assert len(proc.stderr.splitlines()) < 25, proc.stderr
