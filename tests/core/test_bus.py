"""The message bus: publish/subscribe, the output file and replaying job states from it."""
from toil_core.bus import (
    JobCompletedMessage,
    JobFailedMessage,
    JobIssuedMessage,
    MessageBus,
    bytes_to_message,
    message_to_bytes,
    replay_message_bus,
)


def test_message_round_trips_through_bytes():
    message = JobIssuedMessage("sort", "job-1", 7)
    assert bytes_to_message(message_to_bytes(message)) == message


def test_subscribers_receive_only_their_type():
    bus = MessageBus()
    seen = []
    bus.subscribe(JobFailedMessage, seen.append)
    bus.publish(JobIssuedMessage("a", "j", 1))
    bus.publish(JobFailedMessage("a", "j"))
    assert seen == [JobFailedMessage("a", "j")]


def test_inbox_counts_and_drains():
    bus = MessageBus()
    inbox = bus.connect([JobIssuedMessage])
    bus.publish(JobIssuedMessage("a", "j1", 1))
    bus.publish(JobIssuedMessage("a", "j2", 2))
    assert inbox.count(JobIssuedMessage) == 2
    assert [m.job_id for m in inbox.for_each(JobIssuedMessage)] == ["j1", "j2"]
    assert inbox.empty()


def test_output_file_replays_job_states(tmp_path):
    path = str(tmp_path / "messages.txt")
    bus = MessageBus()
    bus.connect_output_file(path)
    bus.publish(JobIssuedMessage("ok", "j1", 1))
    bus.publish(JobIssuedMessage("bad", "j2", 2))
    bus.publish(JobIssuedMessage("running", "j3", 3))
    bus.publish(JobCompletedMessage("ok", "j1", 0))
    bus.publish(JobCompletedMessage("bad", "j2", 1))
    bus.close()
    states = replay_message_bus(path)
    assert states["j1"].exit_code == 0
    assert states["j2"].exit_code == 1
    assert states["j3"].is_running()
