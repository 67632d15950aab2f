"""End-to-end tests for toil_core.realtime_logger: a worker subprocess logs to the leader over UDP."""
import logging
import os
import subprocess
import sys
import threading

import pytest

from toil_core.realtime_logger import LOGGER_NAME, RealtimeLogger

ADDRESS = "TOIL_RT_LOGGING_ADDRESS"
LEVEL = "TOIL_RT_LOGGING_LEVEL"


class Collector(logging.Handler):
    """Collect records and signal when one containing `needle` arrives."""

    def __init__(self, needle):
        super().__init__(logging.DEBUG)
        self.needle, self.records, self.found = needle, [], threading.Event()

        self.arrived = threading.Condition()

    def emit(self, record):
        with self.arrived:
            self.records.append(record)
            self.arrived.notify_all()
        if self.needle in record.getMessage():
            self.found.set()

    def wait_count(self, text, count, timeout=10):
        """Wait until ``count`` records containing ``text`` have arrived; fail after ``timeout`` s."""
        def have():
            return sum(text in r.getMessage() for r in self.records) >= count

        with self.arrived:
            assert self.arrived.wait_for(have, timeout), f"{count} x {text!r} not received: {self.records}"


@pytest.fixture
def collector():
    """Attach a collector for 'secret' messages to the leader-side 'toil-rt' logger."""
    handler = Collector("secret")
    rt_logger = logging.getLogger(LOGGER_NAME)
    rt_logger.addHandler(handler)
    yield handler
    rt_logger.removeHandler(handler)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    monkeypatch.delenv(ADDRESS, raising=False)
    monkeypatch.delenv(LEVEL, raising=False)
    yield
    RealtimeLogger.logger = None
    RealtimeLogger._configured_for = None


def run_worker(code, env=None):
    script = "from toil_core.realtime_logger import RealtimeLogger\n" + code
    return subprocess.run([sys.executable, "-c", script],
                          env=env if env is not None else dict(os.environ), capture_output=True, text=True,
                          timeout=60)


def test_server_exports_address_and_level():
    with RealtimeLogger.start_server("DEBUG"):
        host, port = os.environ[ADDRESS].rsplit(":", 1)
        assert host == "127.0.0.1" and int(port) > 0
        assert os.environ[LEVEL] == "DEBUG"


def test_environment_restored_after_server_stops():
    with RealtimeLogger.start_server("INFO"):
        pass
    assert ADDRESS not in os.environ and LEVEL not in os.environ


def test_subprocess_message_reaches_leader(collector):
    with RealtimeLogger.start_server("INFO"):
        result = run_worker("RealtimeLogger.info('the secret is %s', 42)")
        assert result.returncode == 0, result.stderr
        assert collector.found.wait(10)
    record = next(r for r in collector.records if "secret" in r.getMessage())
    assert record.getMessage() == "the secret is 42"
    assert record.levelno == logging.INFO and record.name == LOGGER_NAME


def test_messages_below_level_not_sent(collector):
    with RealtimeLogger.start_server("WARNING"):
        result = run_worker("RealtimeLogger.info('secret info')\nRealtimeLogger.error('secret error')\n"
                            "RealtimeLogger.error('last message')")
        assert result.returncode == 0, result.stderr
        collector.wait_count("last message", 1)  # sent after the others, over the same socket
    assert [r.getMessage() for r in collector.records] == ["secret error", "last message"]


def test_exception_text_is_forwarded(collector):
    with RealtimeLogger.start_server("INFO"):
        code = "try:\n    1/0\nexcept ZeroDivisionError:\n    RealtimeLogger.exception('secret oops')"
        result = run_worker(code)
        assert result.returncode == 0, result.stderr
        assert collector.found.wait(10)
    assert "ZeroDivisionError" in collector.records[0].exc_text


def test_upstream_constructor_with_batch_system(collector):
    class FakeBatchSystem:
        def __init__(self):
            self.env = {}

        def setEnv(self, name, value):
            self.env[name] = value
    batch = FakeBatchSystem()
    with RealtimeLogger(batch, level="INFO"):
        assert batch.env[ADDRESS] == os.environ[ADDRESS]
        run_worker("RealtimeLogger.warning('secret from worker')", env={**os.environ, **batch.env})
        assert collector.found.wait(10)


def test_worker_without_address_is_silent():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOIL_RT_LOGGING_")}
    code = "import logging; logging.basicConfig()\nRealtimeLogger.critical('nowhere')\nprint('ok')"
    result = run_worker(code, env)
    assert result.returncode == 0 and result.stdout.strip() == "ok" and "nowhere" not in result.stderr


def test_disabled_server_sets_no_address():
    with RealtimeLogger.start_server(None):
        assert ADDRESS not in os.environ
        RealtimeLogger.info("goes nowhere")  # must not raise


def test_in_process_logging_reaches_server(collector):
    with RealtimeLogger.start_server("INFO"):
        RealtimeLogger.info("secret in-process")
        RealtimeLogger.info("last message")
        assert collector.found.wait(10)
        collector.wait_count("last message", 2)  # the local record and the relayed copy
    # The relayed copy arrives once (no feedback loop) alongside the local one.
    assert len([r for r in collector.records if "secret" in r.getMessage()]) == 2


def test_nested_servers_share_one_socket():
    with RealtimeLogger.start_server("INFO"):
        first = os.environ[ADDRESS]
        with RealtimeLogger.start_server("INFO"):
            assert os.environ[ADDRESS] == first
        assert os.environ[ADDRESS] == first


def test_metaclass_forwards_logger_attributes():
    assert RealtimeLogger.name == LOGGER_NAME
