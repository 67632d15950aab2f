"""Run a workflow script under cProfile in this process (the leader): profile_leader.py OUT SCRIPT ARGS...

``python -m cProfile script.py`` does not work for Toil scripts: the script's functions then live in a
namespace that is not ``sys.modules["__main__"]``, so jobs cannot be pickled.  runpy.run_path with
run_name="__main__" installs the script as ``__main__`` while it runs, as a plain ``python script.py``.
"""
import cProfile
import os
import runpy
import sys
import time

if __name__ == "__main__":
    output, script = sys.argv[1], os.path.abspath(sys.argv[2])
    sys.argv = sys.argv[2:]
    sys.path[0] = os.path.dirname(script)
    # TOIL_PROFILE_CLOCK=cpu: CPU time, which a busy machine does not inflate (bench --profile-cpu).
    profiler = cProfile.Profile(time.process_time) if os.environ.get("TOIL_PROFILE_CLOCK") == "cpu" \
        else cProfile.Profile()
    try:
        profiler.runcall(runpy.run_path, script, run_name="__main__")
    finally:
        profiler.dump_stats(output)
