"""Upstream 5.10 names of engine internals that code written for upstream uses: resource pools,
the single-machine job record, message bus clients, metrics, the service manager, the provisioner
options, the wrapping-class names and the unfulfilled-promise sentinel. Each is checked against
the behaviour upstream documents for it."""
from __future__ import annotations

import argparse
import io
import pickle
import threading

import pytest


# ------------------------------------------------------------------ ResourcePool / ResourceSet
def test_resource_pool_reserves_amounts_now_or_not_at_all():
    from toil.batchSystems.abstractBatchSystem import ResourcePool

    pool = ResourcePool(10, "memory")
    assert pool.acquireNow(7)
    assert not pool.acquireNow(4)
    assert pool.value == 3 and str(pool) == "3" and repr(pool) == "ResourcePool(3)"
    pool.release(7)
    assert pool.acquireNow(10)


def test_resource_pool_acquire_times_out_with_what_was_asked_and_free():
    from toil.batchSystems.abstractBatchSystem import AcquisitionTimeoutException, ResourcePool

    pool = ResourcePool(2, "cores", timeout=0.05)
    with pytest.raises(AcquisitionTimeoutException) as caught:
        pool.acquire(3)
    assert (caught.value.resource, caught.value.requested, caught.value.available) == ("cores", 3, 2)


def test_resource_pool_acquire_waits_for_a_release():
    from toil.batchSystems.abstractBatchSystem import ResourcePool

    pool = ResourcePool(1, "disk", timeout=30)
    pool.acquire(1)
    waiter_done = threading.Event()

    def waiter():
        pool.acquire(1)
        waiter_done.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    assert not waiter_done.wait(0.05)
    pool.release(1)
    assert waiter_done.wait(30)
    thread.join()
    assert pool.value == 0


def test_resource_pool_acquisition_of_releases_after_the_block():
    from toil.batchSystems.abstractBatchSystem import ResourcePool

    pool = ResourcePool(4, "memory")
    with pool.acquisitionOf(3):
        assert pool.value == 1
    assert pool.value == 4


def test_resource_set_reserves_exact_items():
    from toil.batchSystems.abstractBatchSystem import AcquisitionTimeoutException, ResourceSet

    gpus = ResourceSet({0, 1, 2}, "accelerators", timeout=0.05)
    assert gpus.acquireNow({0, 2})
    assert gpus.get_free_snapshot() == {1}
    assert not gpus.acquireNow({1, 2})  # 2 is taken: nothing is reserved
    assert gpus.get_free_snapshot() == {1}
    with pytest.raises(AcquisitionTimeoutException) as caught:
        gpus.acquire({0})
    assert caught.value.requested == {0} and caught.value.available == {1}
    gpus.release({0, 2})
    with gpus.acquisitionOf({0, 1, 2}):
        assert gpus.get_free_snapshot() == set()
    assert gpus.get_free_snapshot() == {0, 1, 2}


def test_abstract_batch_system_module_has_upstream_resource_class():
    from toil.batchSystems.abstractBatchSystem import Resource
    from toil.resource import Resource as upstream_resource

    assert Resource is upstream_resource


def test_single_machine_info_records_a_running_job():
    from toil.batchSystems.singleMachine import Info

    info = Info(startTime=12.5, popen=None, resources=(1.0, 1024, 2048), killIntended=False)
    info.killIntended = True
    assert (info.startTime, info.popen, info.resources, info.killIntended) == (12.5, None, (1.0, 1024, 2048), True)


# ------------------------------------------------------------------ message bus clients
def test_outbox_publishes_to_its_bus_and_connection_collects():
    from toil.bus import (JobIssuedMessage, JobMissingMessage, MessageBus, MessageBusClient,
                          MessageBusConnection, MessageInbox, MessageOutbox)

    bus = MessageBus()
    connection = bus.connect([JobIssuedMessage])
    outbox = bus.outbox()
    assert isinstance(outbox, MessageOutbox) and isinstance(outbox, MessageBusClient)
    assert isinstance(connection, MessageBusConnection)
    assert isinstance(connection, MessageInbox) and isinstance(connection, MessageOutbox)
    outbox.publish(JobIssuedMessage("Job", "job-1", 1))
    connection.publish(JobMissingMessage("job-2"))  # a type the connection did not ask for
    assert connection.count(JobIssuedMessage) == 1
    assert connection.count(JobMissingMessage) == 0
    assert [m.job_id for m in connection.for_each(JobIssuedMessage)] == ["job-1"]
    assert connection.empty()


def test_closed_connection_receives_nothing_more():
    from toil.bus import JobIssuedMessage, MessageBus

    bus = MessageBus()
    connection = bus.connect([JobIssuedMessage])
    connection.close()
    bus.publish(JobIssuedMessage("Job", "job-1", 1))
    assert connection.empty()


def test_unconnected_outbox_says_how_to_connect():
    from toil.bus import JobMissingMessage, MessageOutbox

    with pytest.raises(RuntimeError, match="MessageBus.outbox"):
        MessageOutbox().publish(JobMissingMessage("x"))


def test_batch_system_gets_an_outbox_from_the_bus(batch):
    from toil.bus import ExternalBatchIdMessage, MessageBus

    bus = MessageBus()
    inbox = bus.connect([ExternalBatchIdMessage])
    system = batch()
    system.set_message_bus(bus)
    system._outbox.publish(ExternalBatchIdMessage(1, "cluster-7", "single_machine"))
    assert [m.external_batch_id for m in inbox.for_each(ExternalBatchIdMessage)] == ["cluster-7"]


# ------------------------------------------------------------------ ToilMetrics
def test_toil_metrics_turns_bus_events_into_metric_lines():
    from toil.bus import (ClusterDesiredSizeMessage, ClusterSizeMessage, JobCompletedMessage,
                          JobFailedMessage, JobIssuedMessage, JobMissingMessage, MessageBus,
                          QueueSizeMessage)
    from toil.common import ToilMetrics

    bus = MessageBus()
    sink = io.StringIO()
    metrics = ToilMetrics(bus, sink=sink)
    for message in (JobIssuedMessage("align", "j1", 1), JobCompletedMessage("align", "j1", 0),
                    JobFailedMessage("sort", "j2"), JobMissingMessage("j3"), QueueSizeMessage(4),
                    ClusterSizeMessage("m5.large", 2), ClusterDesiredSizeMessage("m5.large", 5)):
        bus.publish(message)
    assert sink.getvalue().splitlines() == [
        "issued_job align", "completed_job align", "failed_job sort", "missing_job", "queue_size 4",
        "current_size 'm5.large' 2", "desired_size 'm5.large' 5",
    ]
    metrics.shutdown()
    bus.publish(QueueSizeMessage(9))
    assert "queue_size 9" not in sink.getvalue()


# ------------------------------------------------------------------ ServiceManager
def _service_graph(store, parents=None):
    """A client job with two service hosts (the second waiting for the first when ``parents``)."""
    from toil.job import JobDescription

    hosts = []
    for index in range(2):
        host = JobDescription(jobName=f"service{index}")
        store.assign_job_id(host)
        host.startJobStoreID = store.get_empty_file_store_id()
        host.terminateJobStoreID = store.get_empty_file_store_id()
        host.errorJobStoreID = store.get_empty_file_store_id()
        hosts.append(host)
    if parents:
        hosts[1].parent_service = hosts[0].jobStoreID
    client = JobDescription(jobName="client")
    store.assign_job_id(client)
    client.services = [h.jobStoreID for h in hosts]
    for description in hosts + [client]:
        store.create_job(description)
    return client, hosts


@pytest.fixture
def service_manager(store):
    from toil.leader import ServiceManager

    manager = ServiceManager(store)
    manager.start()
    yield manager
    manager.shutdown()


def test_service_manager_offers_parents_first_and_returns_the_client_once_all_run(store, service_manager):
    client, (parent, child) = _service_graph(store, parents=True)
    service_manager.put_client(client.jobStoreID)
    assert service_manager.services_are_starting(client.jobStoreID)
    assert service_manager.get_startable_service(30) == parent.jobStoreID
    assert service_manager.get_startable_service(0.2) is None  # the child waits for its parent
    store.delete_file(parent.startJobStoreID)  # what a service host does once its service is up
    assert service_manager.get_startable_service(30) == child.jobStoreID
    assert service_manager.get_ready_client(0.1) is None
    store.delete_file(child.startJobStoreID)
    assert service_manager.get_ready_client(30) == client.jobStoreID
    assert not service_manager.services_are_starting(client.jobStoreID)
    assert service_manager.is_running(parent.jobStoreID) and service_manager.is_active(child.jobStoreID)


def test_service_manager_kill_services_deletes_the_flag_files(store, service_manager):
    client, (first, second) = _service_graph(store)
    service_manager.kill_services([first.jobStoreID])
    service_manager.kill_services([second.jobStoreID], error=True)
    assert not service_manager.is_active(first.jobStoreID)
    assert store.file_exists(first.errorJobStoreID)
    assert not store.file_exists(second.terminateJobStoreID)
    assert not store.file_exists(second.errorJobStoreID)


def test_service_manager_reports_a_client_whose_service_stopped_before_starting(store, service_manager):
    client, (first, second) = _service_graph(store)
    service_manager.put_client(client.jobStoreID)
    offered = {service_manager.get_startable_service(30), service_manager.get_startable_service(30)}
    assert offered == {first.jobStoreID, second.jobStoreID}
    store.delete_file(first.terminateJobStoreID)  # the first service died before it started
    assert service_manager.get_unservable_client(30) == client.jobStoreID
    assert not store.file_exists(second.errorJobStoreID)  # its sibling was told to stop as failed
    assert service_manager.get_ready_client(0) is None
    service_manager.check()


def test_service_manager_counts_clients_and_offered_services(store, service_manager):
    client, _ = _service_graph(store)
    assert service_manager.get_job_count() == 0
    service_manager.put_client(client.jobStoreID)
    service_manager.get_startable_service(30)
    assert service_manager.get_job_count() >= 1


# ------------------------------------------------------------------ provisioner options
def test_add_provisioner_options_gives_cluster_commands_their_arguments():
    from toil.provisioners import add_provisioner_options

    parser = argparse.ArgumentParser()
    add_provisioner_options(parser)
    options = parser.parse_args(["-p", "gce", "-z", "us-west1-a", "mycluster"])
    assert (options.provisioner, options.zone, options.clusterName) == ("gce", "us-west1-a", "mycluster")
    defaults = parser.parse_args(["other"])
    assert (defaults.provisioner, defaults.zone) == ("aws", None)


# ------------------------------------------------------------------ job names
def test_function_wrapping_targets_are_the_wrapping_classes():
    from toil.job import FunctionWrappingTarget, Job, JobFunctionWrappingTarget

    def plain(x):
        return x

    def with_job(job, x):
        return x

    assert isinstance(Job.wrapFn(plain, 1), FunctionWrappingTarget)
    assert isinstance(Job.wrapJobFn(with_job, 1), JobFunctionWrappingTarget)


def test_unfulfilled_promise_sentinel_refuses_to_load_naming_the_job():
    from toil.job import UnfulfilledPromiseSentinel

    data = pickle.dumps(UnfulfilledPromiseSentinel("sortJob", "file-17", False))
    with pytest.raises(RuntimeError, match=r"promise file-17 .*The job sortJob that fulfills"):
        pickle.loads(data)


def test_upstream_support_module_paths_give_the_engine_classes():
    from toil.batchSystems.cleanup_support import BatchSystemCleanupSupport, WorkerCleanupContext
    from toil.batchSystems.local_support import BatchSystemLocalSupport
    from toil_core.batch import abstract

    assert BatchSystemCleanupSupport is abstract.BatchSystemCleanupSupport
    assert WorkerCleanupContext is abstract.WorkerCleanupContext
    assert BatchSystemLocalSupport is abstract.BatchSystemLocalSupport
    assert BatchSystemCleanupSupport.supportsWorkerCleanup()
