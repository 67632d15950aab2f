"""Workflows with Job.Service: start/stop ordering, service trees, limits and deadlocks.

``python services.py JOBSTORE --out DIR --mode MODE [toil options]``
Services append "svc_start NAME" / "svc_stop NAME" to DIR/events.log and keep DIR/NAME.running
while running; jobs append "start NAME VALUE..." / "end NAME" and check the services they use run.
"""
import os
import time

from toil.common import Toil
from toil.job import Job


def record(out, *fields):
    with open(os.path.join(out, "events.log"), "a") as handle:
        handle.write(" ".join(str(f) for f in fields) + "\n")


def running(out, name):
    return os.path.exists(os.path.join(out, name + ".running"))


class Recorder(Job.Service):
    def __init__(self, out, name, needs=None, fail_start=False, start_delay=0.0, **requirements):
        Job.Service.__init__(self, **requirements)
        self.out = out
        self.name = name
        self.needs = needs
        self.fail_start = fail_start
        self.start_delay = start_delay

    def start(self, job):
        record(self.out, "svc_start", self.name, os.getpid())
        time.sleep(self.start_delay)
        if self.needs is not None and not running(self.out, self.needs):
            raise RuntimeError("%s started before its parent service %s" % (self.name, self.needs))
        if self.fail_start:
            raise RuntimeError("service %s cannot start" % self.name)
        open(os.path.join(self.out, self.name + ".running"), "w").close()
        return "value-of-" + self.name

    def check(self):
        return True

    def stop(self, job):
        record(self.out, "svc_stop", self.name, os.getpid())
        path = os.path.join(self.out, self.name + ".running")
        if os.path.exists(path):
            os.remove(path)


def user(job, out, name, services, values, sleep=0.2, fail=False):
    """A job using services: checks each one runs and that it got each one's start value."""
    record(out, "start", name, *values)
    for service, value in zip(services, values):
        if value != "value-of-" + service:
            raise RuntimeError("%s got %r from service %s" % (name, value, service))
        if not running(out, service):
            raise RuntimeError("%s runs while service %s is not running" % (name, service))
    time.sleep(sleep)
    if fail:
        raise RuntimeError("user job %s fails on purpose" % name)
    record(out, "end", name)
    return name


def user_with_child(job, out, name, services, values):
    value = user(job, out, name, services, values)
    job.addChildJobFn(user, out, name + "_child", services, values, 0.5, cores=0.5, memory="100M")
    return value


def join_after_failure(out):
    """C is a child of A (which fails) and of B (a client of service S): C can never run."""
    root = Job(cores=0.5, memory="100M")
    a = root.addChildJobFn(always_fails, out, cores=0.5, memory="100M")
    b = root.addChildJobFn(user, out, "b", [], [], 1.0, cores=0.5, memory="100M")
    value = b.addService(Recorder(out, "S", cores=0.1, memory="100M"))
    c = Job.wrapJobFn(user, out, "c", ["S"], [value], cores=0.5, memory="100M")
    a.addChild(c)
    b.addChild(c)
    return root


def static_basic(out):
    root = Job(cores=0.5, memory="100M")
    value = root.addService(Recorder(out, "S", cores=0.5, memory="100M"))
    root.addChildJobFn(user_with_child, out, "c1", ["S"], [value], cores=0.5, memory="100M")
    root.addChildJobFn(user, out, "c2", ["S"], [value], cores=0.5, memory="100M")
    root.addFollowOnJobFn(user, out, "f", ["S"], [value], cores=0.5, memory="100M")
    return root


def dynamic_basic(job, out):
    record(out, "start", "root")
    value = job.addService(Recorder(out, "S", cores=0.5, memory="100M"))
    job.addChildJobFn(user_with_child, out, "c1", ["S"], [value], cores=0.5, memory="100M")
    job.addFollowOnJobFn(user, out, "f", ["S"], [value], cores=0.5, memory="100M")
    record(out, "end", "root")
    return value


def tree(job, out):
    parent = Recorder(out, "P", cores=0.1, memory="100M")
    child = Recorder(out, "C", needs="P", cores=0.1, memory="100M")
    grandchild = Recorder(out, "G", needs="C", cores=0.1, memory="100M")
    values = [job.addService(parent)]
    values.append(job.addService(child, parentService=parent))
    values.append(job.addService(grandchild, parentService=child))
    job.addChildJobFn(user, out, "u", ["P", "C", "G"], values, cores=0.5, memory="100M")


def deadlock(job, out):
    # The only core goes to the service; its client's child can never run.
    value = job.addService(Recorder(out, "S", cores=1, memory="100M"))
    job.addChildJobFn(user, out, "u", ["S"], [value], cores=1, memory="100M")


def two_services(job, out):
    values = [job.addService(Recorder(out, name, cores=0.1, memory="100M")) for name in ("A", "B")]
    job.addChildJobFn(user, out, "u", ["A", "B"], values, cores=0.5, memory="100M")


def sibling_clients(job, out):
    for name in ("A", "B"):
        job.addChildJobFn(client_of, out, name, cores=0.5, memory="100M")


def client_of(job, out, name):
    value = job.addService(Recorder(out, name, cores=0.1, memory="100M"))
    job.addChildJobFn(user, out, "u" + name, [name], [value], 0.5, cores=0.5, memory="100M")


def failing_start(job, out):
    value = job.addService(Recorder(out, "S", fail_start=True, cores=0.1, memory="100M"))
    job.addChildJobFn(user, out, "u", ["S"], [value], cores=0.5, memory="100M")


def failing_user(job, out):
    value = job.addService(Recorder(out, "S", cores=0.1, memory="100M"))
    job.addChildJobFn(user, out, "bad", ["S"], [value], 0.1, True, cores=0.5, memory="100M")
    job.addChildJobFn(user, out, "good", ["S"], [value], 1.0, cores=0.5, memory="100M")
    job.addFollowOnJobFn(user, out, "never", ["S"], [value], cores=0.5, memory="100M")


def always_fails(job, out):
    record(out, "start", "bad")
    time.sleep(1.0)  # fails while the other branch's service is still starting
    raise RuntimeError("bad fails on purpose")


def slow_client(job, out):
    record(out, "start", "client")
    value = job.addService(Recorder(out, "S", start_delay=2.5, cores=0.1, memory="100M"))
    job.addChildJobFn(user, out, "u", ["S"], [value], 0.5, cores=0.5, memory="100M")


def failure_elsewhere(job, out):
    job.addChildJobFn(always_fails, out, cores=0.5, memory="100M")
    job.addChildJobFn(slow_client, out, cores=0.5, memory="100M")


def sleepy_user(job, out, value):
    """Uses service S until DIR/wake exists (at most 60 s)."""
    record(out, "start", "sleepy", os.getpid(), value)
    deadline = time.time() + 60
    while time.time() < deadline and not os.path.exists(os.path.join(out, "wake")):
        time.sleep(0.05)
    if not running(out, "S"):
        raise RuntimeError("service S stopped while sleepy was using it")
    record(out, "end", "sleepy", os.getpid())
    return value


def wake_user(job, out):
    value = job.addService(Recorder(out, "S", cores=0.1, memory="100M"))
    return job.addChildJobFn(sleepy_user, out, value, cores=0.5, memory="100M").rv()


class SlowStop(Recorder):
    def stop(self, job):
        time.sleep(5)  # longer than --deadlockWait: stopping is progress, not a deadlock
        Recorder.stop(self, job)


def slow_stop(job, out):
    value = job.addService(SlowStop(out, "S", cores=0.1, memory="100M"))
    job.addChildJobFn(user, out, "u", ["S"], [value], cores=0.5, memory="100M")


class Crashing(Recorder):
    """check() raises a while after start: the service died under its users."""

    def start(self, job):
        self.started = time.time()
        return Recorder.start(self, job)

    def check(self):
        if time.time() - self.started > 1.0:
            raise RuntimeError("service %s crashed" % self.name)
        return True


def check_raises(job, out):
    value = job.addService(Crashing(out, "S", cores=0.1, memory="100M"))
    job.addChildJobFn(nap, out, "u", 3.0, value, cores=0.5, memory="100M")
    job.addFollowOnJobFn(nap, out, "never", 0, value, cores=0.5, memory="100M")


def nap(job, out, name, seconds, value):
    record(out, "start", name, value)
    time.sleep(seconds)
    record(out, "end", name)
    return value


def checkpointed_client(job, out):
    """A checkpoint with a service; its user fails (every try) during the checkpoint's first run."""
    record(out, "start", "cp")
    value = job.addService(Recorder(out, "S", cores=0.1, memory="100M"))
    return job.addChildJobFn(first_run_fails, out, value, cores=0.5, memory="100M").rv()


def first_run_fails(job, out, value):
    with open(os.path.join(out, "events.log")) as handle:
        runs = sum(1 for line in handle if line.split()[:2] == ["start", "cp"])
    user(job, out, "user", ["S"], [value], 0.1, fail=runs < 2)
    return value


def checkpointed_crashing_client(job, out):
    """A checkpoint whose service crashes during the checkpoint's first run."""
    record(out, "start", "cp")
    with open(os.path.join(out, "events.log")) as handle:
        runs = sum(1 for line in handle if line.split()[:2] == ["start", "cp"])
    service_class = Crashing if runs < 2 else Recorder
    value = job.addService(service_class(out, "S", cores=0.1, memory="100M"))
    return job.addChildJobFn(nap, out, "user", 3.0, value, cores=0.5, memory="100M").rv()


def checkpoint_crashing_service(job, out):
    return job.addChildJobFn(checkpointed_crashing_client, out, checkpoint=True, cores=0.5, memory="100M").rv()


def checkpoint_service(job, out):
    return job.addChildJobFn(checkpointed_client, out, checkpoint=True, cores=0.5, memory="100M").rv()


def fixable_user(job, out, value):
    """A user of S that fails until DIR/fixed exists."""
    user(job, out, "fixable", ["S"], [value], 0.1, fail=not os.path.exists(os.path.join(out, "fixed")))
    return value


def restartable_client(job, out):
    value = job.addService(Recorder(out, "S", cores=0.1, memory="100M"))
    job.addChildJobFn(fixable_user, out, value, cores=0.5, memory="100M")
    job.addChildJobFn(user, out, "steady", ["S"], [value], 0.5, cores=0.5, memory="100M")
    return job.addFollowOnJobFn(user, out, "after", ["S"], [value], 0.1, cores=0.5, memory="100M").rv()


MODES = {
    "restartable_client": restartable_client,
    "check_raises": check_raises,
    "checkpoint_service": checkpoint_service,
    "checkpoint_crashing_service": checkpoint_crashing_service,
    "wake_user": wake_user,
    "slow_stop": slow_stop,
    "failure_elsewhere": failure_elsewhere,
    "dynamic_basic": dynamic_basic,
    "tree": tree,
    "deadlock": deadlock,
    "two_services": two_services,
    "sibling_clients": sibling_clients,
    "failing_start": failing_start,
    "failing_user": failing_user,
}

if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--mode", required=True)
    options = parser.parse_args()
    out = os.path.abspath(options.out)
    if options.mode == "static_basic":
        root = static_basic(out)
    elif options.mode == "join_after_failure":
        root = join_after_failure(out)
    else:
        root = Job.wrapJobFn(MODES[options.mode], out, cores=1 if options.mode == "deadlock" else 0.5,
                             memory="100M")
    with Toil(options) as toil:
        if toil.options.restart:
            result = toil.restart()
        else:
            result = toil.start(root)
    print("RESULT: %s" % (result,))
