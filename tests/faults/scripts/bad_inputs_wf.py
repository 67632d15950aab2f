"""One small workflow, broken on purpose in the way ``--case`` names (issue 5, bad inputs).

``python bad_inputs_wf.py JOBSTORE --case NAME [--url URL] [--dest URL] [toil options]``

Every case builds its job graph (or does its imports/exports) inside ``with Toil(...)``, i.e.
after the job store was created, so a test can check that no half-made job store is left
behind. ``--case ok`` is the working workflow; it prints ``RESULT: <value>``. ``import`` imports
``--url`` before starting; ``export`` runs the workflow and then exports a file to ``--dest``.
"""
import os
import threading

from toil.common import Toil
from toil.job import Job


class Sleepy(Job.Service):
    """A service that does nothing (only ever added wrongly here)."""

    def start(self, job):
        return "up"

    def stop(self, job):
        pass


class Holder(Job):
    """Returns ``self.value`` (set after construction)."""

    value = None

    def run(self, fileStore):
        return self.value


def hello(job, *args):
    return "hi"


def returns_lock(job):
    return threading.Lock()


def adds_unpicklable_child(job):
    job.addChildJobFn(hello, threading.Lock())
    return "parent"


def reads_missing_file(job):
    job.fileStore.readGlobalFile("ab/0123456789abcdef0123-nosuch.txt")
    return "unreachable"


def consume(job, value):
    return value


def exits_3(job):
    """Ends the way a command-line tool would, with its own exit status."""
    import sys
    sys.exit(3)


def crashes(job):
    """Dies of a segmentation fault (sent to itself), as a broken C extension would."""
    import signal
    os.kill(os.getpid(), signal.SIGSEGV)


def grows_a_finished_job(job, finished):
    """Adds a child to ``finished`` (a copy of a job that has already run): refused."""
    finished.addChildJobFn(hello)
    return "grown"


def graph(case):
    """The root job of ``case`` (may raise while building it, as the bad call does)."""
    if case in ("ok", "import", "import_bad_shared_name", "export", "export_missing_id",
                "start_twice", "restart_not_restarting", "outside_context"):
        return Job.wrapJobFn(hello)
    if case == "unpicklable_arg":
        return Job.wrapJobFn(hello, threading.Lock())
    if case == "unpicklable_child_arg":
        return Job.wrapJobFn(adds_unpicklable_child)
    if case == "unpicklable_rv":
        root = Job.wrapJobFn(hello)
        bad = root.addChildJobFn(returns_lock)
        root.addFollowOnJobFn(consume, bad.rv())
        return root
    if case == "unpicklable_root_rv":
        return Job.wrapJobFn(returns_lock)
    if case == "promise_non_successor":
        root = Job.wrapJobFn(hello)
        first = root.addChildJobFn(hello)
        root.addChildJobFn(consume, first.rv())
        return root
    if case == "promise_to_parent":
        root = Holder()
        root.value = root.addChildJobFn(hello).rv()
        return root
    if case == "cycle":
        root = Job.wrapJobFn(hello)
        a = root.addChildJobFn(hello)
        b = a.addChildJobFn(hello)
        b.addChild(a)
        return root
    if case == "follow_on_cycle":
        root = Job.wrapJobFn(hello)
        child = root.addChildJobFn(hello)
        after = root.addFollowOnJobFn(hello)
        after.addChild(child)
        return root
    if case == "cycle_through_root":
        root = Job.wrapJobFn(hello)
        a = root.addChildJobFn(hello)
        a.addChild(root)
        return root
    if case == "add_child_function":
        root = Job.wrapJobFn(hello)
        root.addChild(hello)
        return root
    if case == "add_follow_on_function":
        root = Job.wrapJobFn(hello)
        root.addFollowOn(hello)
        return root
    if case == "add_service_function":
        root = Job.wrapJobFn(hello)
        root.addService(hello)
        return root
    if case == "job_exits_3":
        return Job.wrapJobFn(exits_3)
    if case == "segfault":
        return Job.wrapJobFn(crashes)
    if case == "grow_finished_job":
        root = Job.wrapJobFn(hello)
        root.addFollowOnJobFn(grows_a_finished_job, root)
        return root
    if case == "two_roots":
        root = Job.wrapJobFn(hello)
        other = Job.wrapJobFn(hello)
        shared = root.addChildJobFn(hello)
        other.addChild(shared)
        return root
    if case == "checkpoint_not_leaf":
        root = Job.wrapJobFn(hello, checkpoint=True)
        root.addChildJobFn(hello)
        return root
    if case == "same_child_twice":
        root = Job.wrapJobFn(hello)
        child = Job.wrapJobFn(hello)
        root.addChild(child)
        root.addChild(child)
        return root
    if case == "service_twice":
        root = Job.wrapJobFn(hello)
        service = Sleepy()
        root.addService(service)
        root.addService(service)
        return root
    if case == "service_bad_parent":
        root = Job.wrapJobFn(hello)
        root.addService(Sleepy(), parentService=Sleepy())
        return root
    if case == "missing_file_id":
        return Job.wrapJobFn(reads_missing_file)
    if case == "negative_cores":
        return Job.wrapJobFn(hello, cores=-1)
    if case == "zero_cores":
        return Job.wrapJobFn(hello, cores=0)
    if case == "nan_cores":
        return Job.wrapJobFn(hello, cores=float("nan"))
    if case == "bad_memory":
        return Job.wrapJobFn(hello, memory="2X")
    if case == "negative_disk":
        return Job.wrapJobFn(hello, disk="-1G")
    if case == "float_memory":
        return Job.wrapJobFn(hello, memory=1.5)
    if case == "bad_preemptible":
        return Job.wrapJobFn(hello, preemptible="sometimes")
    if case == "bad_accelerators":
        return Job.wrapJobFn(hello, accelerators="gpu:many")
    if case == "accelerator_typo":
        return Job.wrapJobFn(hello, accelerators=["gpuu"])
    if case == "too_many_gpus":
        return Job.wrapJobFn(hello, accelerators=["cuda:1000"])
    if case == "too_many_cores":
        return Job.wrapJobFn(hello, cores=10 ** 6)
    if case == "too_much_memory":
        return Job.wrapJobFn(hello, memory="1E")
    if case == "not_callable":
        return Job.wrapJobFn("hello")
    raise SystemExit("unknown --case %r" % case)


def main():
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--case", default="ok")
    parser.add_argument("--url", help="what the import case imports")
    parser.add_argument("--dest", help="where the export case exports to")
    options = parser.parse_args()
    case = options.case
    if case == "outside_context":
        toil = Toil(options)
        toil.import_file("file://" + os.path.abspath(__file__))
        return
    with Toil(options) as toil:
        if options.restart:
            result = toil.restart()
            if case == "export":
                toil.export_file(toil.import_file("file://" + os.path.abspath(__file__)), options.dest)
            print("RESULT: %s" % (result,))
            return
        if case == "restart_not_restarting":
            toil.restart()
        if case == "import":
            toil.import_file(options.url)
        if case == "import_bad_shared_name":
            toil.import_file("file://" + os.path.abspath(__file__), shared_file_name="bad name!")
        result = toil.start(graph(case))
        if case == "start_twice":
            toil.start(Job.wrapJobFn(hello))
        if case == "export":
            toil.export_file(toil.import_file("file://" + os.path.abspath(__file__)), options.dest)
        if case == "export_missing_id":
            toil.export_file("ab/0123456789abcdef0123-nosuch.txt", options.dest)
        print("RESULT: %s" % (result,))


if __name__ == "__main__":
    main()
