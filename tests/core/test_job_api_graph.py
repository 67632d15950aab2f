"""Building job graphs in memory: edges, services, error messages and graph checks."""
import pytest

from toil.job import (
    ConflictingPredecessorError,
    EncapsulatedJob,
    FunctionWrappingJob,
    Job,
    JobException,
    JobFunctionWrappingJob,
    JobGraphDeadlockException,
    ServiceHostJob,
)


def fn(x=None):
    return x


def job_fn(job, x=None):
    return x


class Svc(Job.Service):
    def start(self, job):
        return "started"

    def stop(self, job):
        pass


# ---------------------------------------------------------------- edges
def test_add_child_and_follow_on_return_the_added_job():
    parent, child, follow_on = Job(), Job(), Job()
    assert parent.addChild(child) is child
    assert parent.addFollowOn(follow_on) is follow_on


def test_has_child_follow_on_and_predecessor():
    parent, child, follow_on = Job(), Job(), Job()
    parent.addChild(child)
    parent.addFollowOn(follow_on)
    assert parent.hasChild(child) and not parent.hasChild(follow_on)
    assert parent.hasFollowOn(follow_on) and not parent.hasFollowOn(child)
    assert child.hasPredecessor(parent) and follow_on.hasPredecessor(parent)
    assert not parent.hasPredecessor(child)


def test_fn_helpers_create_wrapping_jobs_of_the_right_kind():
    parent = Job()
    c = parent.addChildFn(fn, 1)
    f = parent.addFollowOnFn(fn, 2)
    cj = parent.addChildJobFn(job_fn, 3)
    fj = parent.addFollowOnJobFn(job_fn, 4)
    assert type(c) is FunctionWrappingJob and type(f) is FunctionWrappingJob
    assert type(cj) is JobFunctionWrappingJob and type(fj) is JobFunctionWrappingJob
    assert parent.hasChild(c) and parent.hasChild(cj)
    assert parent.hasFollowOn(f) and parent.hasFollowOn(fj)
    assert c._args == (1,) and fj._args == (4,)


def test_adding_the_same_child_twice_is_a_conflicting_predecessor():
    parent, child = Job(), Job()
    parent.addChild(child)
    with pytest.raises(ConflictingPredecessorError) as info:
        parent.addChild(child)
    message = str(info.value)
    assert message.startswith("The given job: ")
    assert "is already a predecessor of job: " in message


def test_child_and_follow_on_of_the_same_parent_is_a_conflicting_predecessor():
    parent, other = Job(), Job()
    parent.addChild(other)
    with pytest.raises(ConflictingPredecessorError):
        parent.addFollowOn(other)


# ---------------------------------------------------------------- services
def test_add_service_returns_a_promise_and_registers_the_service():
    from toil.job import Promise

    job, service = Job(), Svc()
    promise = job.addService(service)
    assert isinstance(promise, Promise)
    assert job.hasService(service)
    assert not Job().hasService(service)


def test_adding_a_service_twice_raises():
    job, service = Job(), Svc()
    job.addService(service)
    with pytest.raises(JobException, match="Service has already been added to a job"):
        job.addService(service)


def test_adding_a_service_to_two_jobs_raises():
    service = Svc()
    Job().addService(service)
    with pytest.raises(JobException, match="Service has already been added to a job"):
        Job().addService(service)


def test_parent_service_must_belong_to_the_job():
    job, other = Job(), Job()
    parent_service = Svc()
    other.addService(parent_service)
    with pytest.raises(JobException):
        job.addService(Svc(), parentService=parent_service)


def test_parent_service_never_added_raises():
    with pytest.raises(JobException):
        Job().addService(Svc(), parentService=Svc())


def test_service_tree_members_are_services_of_the_job():
    job, parent_service, child_service = Job(), Svc(), Svc()
    job.addService(parent_service)
    job.addService(child_service, parentService=parent_service)
    assert job.hasService(parent_service) and job.hasService(child_service)


@pytest.mark.parametrize("method", ["addChild", "addFollowOn"])
def test_service_host_job_cannot_get_successors(method):
    host = ServiceHostJob(Svc())
    with pytest.raises(RuntimeError, match="Service host jobs cannot have children, follow-ons, or services"):
        getattr(host, method)(Job())


def test_service_host_job_cannot_get_services():
    host = ServiceHostJob(Svc())
    with pytest.raises(RuntimeError, match="Service host jobs cannot have children, follow-ons, or services"):
        host.addService(Svc())


# ---------------------------------------------------------------- defer outside run
def test_defer_outside_run_raises():
    with pytest.raises(RuntimeError) as info:
        Job().defer(print, "x")
    assert str(info.value) == "A deferred function may only be registered with a job while that job is running."


def test_temp_dir_outside_run_raises():
    with pytest.raises(RuntimeError):
        Job().tempDir


# ---------------------------------------------------------------- checkpoints
def test_new_checkpoint_with_a_child_is_not_a_leaf():
    checkpoint = Job(checkpoint=True)
    checkpoint.addChild(Job())
    with pytest.raises(JobGraphDeadlockException) as info:
        checkpoint.checkJobGraphForDeadlocks()
    message = str(info.value)
    assert message.startswith("New checkpoint job ")
    assert message.endswith(" is not a leaf in the job graph")


def test_new_checkpoint_with_a_follow_on_is_not_a_leaf():
    root = Job()
    checkpoint = root.addChildJobFn(job_fn, checkpoint=True)
    checkpoint.addFollowOn(Job())
    with pytest.raises(JobGraphDeadlockException, match="is not a leaf in the job graph"):
        root.checkNewCheckpointsAreLeafVertices()


def test_leaf_checkpoint_passes_the_checks():
    root = Job()
    root.addChild(Job(checkpoint=True))
    root.checkJobGraphForDeadlocks()


# ---------------------------------------------------------------- connectivity and cycles
def test_two_roots_is_not_connected():
    a, b, shared = Job(), Job(), Job()
    a.addChild(shared)
    b.addChild(shared)
    with pytest.raises(JobGraphDeadlockException, match="Graph does not contain exactly one root job"):
        shared.checkJobGraphConnected()


def test_get_root_jobs():
    a, b, shared = Job(), Job(), Job()
    a.addChild(shared)
    b.addChild(shared)
    assert shared.getRootJobs() == {a, b}
    single = Job()
    single.addChild(Job())
    assert single.getRootJobs() == {single}


def test_cycle_without_root_is_detected():
    a, b = Job(), Job()
    a.addChild(b)
    b.addChild(a)
    with pytest.raises(JobGraphDeadlockException, match="Graph contains no root jobs due to cycles"):
        a.checkJobGraphAcyclic()


def test_cycle_below_the_root_is_detected():
    root, b, c = Job(), Job(), Job()
    root.addChild(b)
    b.addChild(c)
    c.addChild(b)
    with pytest.raises(JobGraphDeadlockException, match="A cycle of job dependencies has been detected"):
        root.checkJobGraphAcyclic()


def test_misspelled_acylic_alias_also_checks():
    root, b, c = Job(), Job(), Job()
    root.addChild(b)
    b.addFollowOn(c)
    c.addChild(b)
    with pytest.raises(JobGraphDeadlockException, match="A cycle of job dependencies has been detected"):
        root.checkJobGraphAcylic()


def test_follow_on_leading_back_into_the_child_subtree_is_a_cycle():
    # The follow-on waits for the whole child subtree, so making a grandchild wait for the
    # follow-on is a deadlock even though the plain edges have no cycle.
    root, child, grandchild, follow_on = Job(), Job(), Job(), Job()
    root.addChild(child)
    child.addChild(grandchild)
    root.addFollowOn(follow_on)
    follow_on.addChild(grandchild)
    with pytest.raises(JobGraphDeadlockException, match="A cycle of job dependencies has been detected"):
        root.checkJobGraphAcyclic()


def test_follow_on_as_parent_of_a_direct_child_is_a_cycle():
    root, child, follow_on = Job(), Job(), Job()
    root.addChild(child)
    root.addFollowOn(follow_on)
    follow_on.addChild(child)
    with pytest.raises(JobGraphDeadlockException, match="A cycle of job dependencies has been detected"):
        root.checkJobGraphForDeadlocks()


def test_diamond_is_acyclic():
    root, left, right, join = Job(), Job(), Job(), Job()
    root.addChild(left)
    root.addChild(right)
    left.addFollowOn(join)
    right.addChild(join)
    root.checkJobGraphForDeadlocks()


def test_topological_ordering_puts_predecessors_first():
    root, left, right, join = Job(), Job(), Job(), Job()
    root.addChild(left)
    root.addChild(right)
    left.addFollowOn(join)
    right.addChild(join)
    order = join.getTopologicalOrderingOfJobs()
    assert len(order) == 4 and set(map(id, order)) == {id(root), id(left), id(right), id(join)}
    position = {id(job): index for index, job in enumerate(order)}
    assert position[id(root)] == 0
    assert position[id(join)] > position[id(left)]
    assert position[id(join)] > position[id(right)]


def test_topological_ordering_ignores_services():
    root = Job()
    root.addService(Svc())
    root.addChild(Job())
    assert len(root.getTopologicalOrderingOfJobs()) == 2


# ---------------------------------------------------------------- encapsulation (structure)
def test_encapsulate_takes_over_predecessors_and_forwards_rv():
    parent = Job()
    inner = parent.addChild(Job())
    encapsulated = inner.encapsulate()
    assert isinstance(encapsulated, EncapsulatedJob)
    assert parent.hasChild(encapsulated) and not parent.hasChild(inner)
    assert encapsulated.hasPredecessor(parent)
    assert encapsulated.hasChild(inner)
    assert encapsulated.rv().job is inner


def test_successors_of_an_encapsulated_job_wait_for_the_wrapped_subgraph():
    inner = Job()
    encapsulated = inner.encapsulate(name="wrapped")
    after = Job()
    encapsulated.addChild(after)
    # the new job hangs below the internal follow-on, not below the wrapped job
    assert not inner.hasChild(after)
    assert encapsulated.encapsulatedFollowOn.hasChild(after)
    assert encapsulated.hasFollowOn(encapsulated.encapsulatedFollowOn)
    assert encapsulated.unitName == "wrapped"


def test_encapsulated_job_has_the_wrapped_requirements():
    inner = Job(memory="10M", cores=3, disk=77)
    encapsulated = inner.encapsulate()
    assert (encapsulated.memory, encapsulated.cores, encapsulated.disk) == (10 * 1000**2, 3, 77)
