"""Run several of the manual's tutorial scripts one after the other in this one process.

``python run_tutorials.py SCRIPT... -- [TOIL OPTIONS]``

Each script runs as its own ``__main__`` (``runpy``), with ``sys.argv`` = the script and the Toil
options (plus ``file:<cwd>/jobstore-<name>`` for a script that reads its job store from the command
line), so each is still a separate workflow with its own job store, exactly as a user would run
it, but the leader's start-up (the interpreter, the engine's and the client's imports) is paid
once. Around each run it writes ``### BEGIN NAME`` and ``### END NAME exit=N`` to stderr, where the
leader logs, so a test can cut the output per tutorial. Exits 1 if any tutorial failed.
"""
import os
import runpy
import sys
import traceback

#: Tutorials whose job store is the first argument (the others make a temporary one).
TAKES_JOBSTORE = {"tutorial_multiplejobs.py"}


def run_one(script, options):
    name = os.path.basename(script)
    argv = [script]
    if name in TAKES_JOBSTORE:
        argv.append("file:" + os.path.join(os.getcwd(), "jobstore-" + name[:-3]))
    sys.argv = argv + list(options)
    status = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported, and the next tutorial still runs
        traceback.print_exc()
        status = 1
    return status


def main():
    args = sys.argv[1:]
    split = args.index("--") if "--" in args else len(args)
    scripts, options = args[:split], args[split + 1:]
    failed = 0
    for script in scripts:
        name = os.path.basename(script)
        sys.stderr.write("### BEGIN %s\n" % name)
        sys.stderr.flush()
        status = run_one(os.path.abspath(script), options)
        sys.stdout.flush()
        sys.stderr.write("### END %s exit=%s\n" % (name, status))
        sys.stderr.flush()
        failed += status != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
