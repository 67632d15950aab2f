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


def test_output_file_is_written_out_on_check(tmp_path):
    path = tmp_path / "messages.txt"
    bus = MessageBus()
    bus.connect_output_file(str(path))
    bus.publish(JobIssuedMessage("a", "j1", 1))
    assert path.read_bytes() == b""  # buffered: no system call per message
    bus.check()
    assert path.read_bytes() == message_to_bytes(JobIssuedMessage("a", "j1", 1)) + b"\n"
    bus.close()


def test_awkward_names_survive_the_file(tmp_path):
    path = str(tmp_path / "messages.txt")
    bus = MessageBus()
    bus.connect_output_file(path)
    name = 'quote " tab \t newline \n backslash \\ unicode \u00e9\u4e2d'
    bus.publish(JobIssuedMessage(name, "j\t1", 5))
    bus.close()
    with open(path, "rb") as stream:
        lines = stream.read().splitlines()
    assert len(lines) == 1
    assert bytes_to_message(lines[0]) == JobIssuedMessage(name, "j\t1", 5)
    assert replay_message_bus(path)["j\t1"].name == name


def test_unsubscribed_handler_gets_nothing_more():
    bus = MessageBus()
    seen = []
    unsubscribe = bus.subscribe(JobIssuedMessage, seen.append)
    bus.publish(JobIssuedMessage("a", "j1", 1))
    unsubscribe()
    bus.publish(JobIssuedMessage("a", "j2", 2))
    assert [m.job_id for m in seen] == ["j1"]


def test_a_partly_written_last_line_is_ignored(tmp_path):
    path = tmp_path / "messages.txt"
    complete = message_to_bytes(JobIssuedMessage("a", "j1", 1)) + b"\n"
    partial = message_to_bytes(JobCompletedMessage("a", "j1", 0))[:-3]
    path.write_bytes(complete + partial)
    states = replay_message_bus(str(path))
    assert states["j1"].is_running()
