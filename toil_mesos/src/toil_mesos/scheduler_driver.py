"""A Mesos v1 HTTP scheduler driver: subscribes a framework, reads its event stream on a thread,
re-subscribes with the framework ID when the stream breaks (master failover), and sends calls.

The callbacks it makes on its scheduler follow pymesos's ``Scheduler`` interface
(``registered``, ``reregistered``, ``disconnected``, ``resourceOffers``, ``offerRescinded``,
``statusUpdate``, ``frameworkMessage``, ``slaveLost``, ``executorLost``, ``error``), so the batch
system reads like any pymesos framework; the events are passed as plain dicts.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Dict, List, Optional, Protocol
from urllib.parse import urlsplit

from toil_mesos.http_api import ApiError, EventStream, call, encode_data, open_stream, parse_endpoint

logger = logging.getLogger(__name__)

SCHEDULER_PATH = "/api/v1/scheduler"


class Scheduler(Protocol):
    def registered(self, driver: "SchedulerDriver", framework_id: str, master_info: Dict[str, Any]) -> None: ...
    def reregistered(self, driver: "SchedulerDriver", master_info: Dict[str, Any]) -> None: ...
    def disconnected(self, driver: "SchedulerDriver") -> None: ...
    def resourceOffers(self, driver: "SchedulerDriver", offers: List[Dict[str, Any]]) -> None: ...
    def offerRescinded(self, driver: "SchedulerDriver", offer_id: str) -> None: ...
    def statusUpdate(self, driver: "SchedulerDriver", status: Dict[str, Any]) -> None: ...
    def frameworkMessage(self, driver: "SchedulerDriver", executor_id: str, agent_id: str, data: str) -> None: ...
    def slaveLost(self, driver: "SchedulerDriver", agent_id: str) -> None: ...
    def executorLost(self, driver: "SchedulerDriver", executor_id: str, agent_id: str, status: int) -> None: ...
    def error(self, driver: "SchedulerDriver", message: str) -> None: ...


class SchedulerDriver:
    """Drives one framework. :meth:`start` returns at once; the scheduler learns of the
    subscription through ``registered``. Calls made while no master answers raise OSError or
    :class:`ApiError`; the caller decides what to retry."""

    #: Seconds between attempts to (re-)subscribe.
    retry_interval = 0.5

    def __init__(self, scheduler: Scheduler, framework_info: Dict[str, Any], endpoint: str,
                 call_timeout: float = 30.0) -> None:
        self.scheduler = scheduler
        self.framework_info = dict(framework_info)
        self.host, self.port = parse_endpoint(endpoint)
        self.endpoint = endpoint
        self.call_timeout = call_timeout
        self.framework_id: Optional[str] = (framework_info.get("id") or {}).get("value")
        self.stream_id: Optional[str] = None
        #: The last reason a subscription failed (for the registration error), or None.
        self.last_error: Optional[str] = None
        #: Set when the master refused the framework for good (a 4xx answer to SUBSCRIBE).
        self.fatal_error: Optional[str] = None
        self._stopped = threading.Event()
        self._stream: Optional[EventStream] = None
        self._thread: Optional[threading.Thread] = None
        self._subscriptions = 0

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mesos-scheduler-driver", daemon=True)
        self._thread.start()

    def stop(self, teardown: bool = False) -> None:
        """Stop reading events; with ``teardown`` also end the framework (the master kills its tasks)."""
        was_stopped = self._stopped.is_set()
        self._stopped.set()  # first: the stream the teardown ends is no failover
        if teardown and self.framework_id and self.stream_id and not was_stopped:
            try:
                self._call({"type": "TEARDOWN"})
            except (OSError, ApiError) as error:
                logger.warning("Could not tear down the Mesos framework %s: %s", self.framework_id, error)
        stream = self._stream
        if stream is not None:
            stream.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self._subscribe_and_read()
            except ApiError as error:
                if error.status == 307 and error.args[0]:
                    self._follow_redirect(error.args[0])
                    continue
                if error.status is not None and 400 <= error.status < 500:
                    self.fatal_error = str(error)
                    self.scheduler.error(self, str(error))
                    return
                self.last_error = str(error)
            except OSError as error:
                self.last_error = f"{type(error).__name__}: {error}"
            except Exception as error:  # a bug in a callback must not end the driver silently
                if self._stopped.is_set():
                    return  # stop() closed the stream under the reader (http.client then fails oddly)
                logger.exception("The Mesos scheduler driver hit an error")
                self.last_error = repr(error)
            if self.stream_id is not None:
                self.stream_id = None
                if not self._stopped.is_set():
                    logger.warning("Lost the Mesos master at %s (%s); re-subscribing as framework %s",
                                   self.endpoint, self.last_error, self.framework_id)
                    self.scheduler.disconnected(self)
            self._stopped.wait(self.retry_interval)

    def _follow_redirect(self, location: str) -> None:
        target = location if "://" in location else "http:" + location if location.startswith("//") \
            else "http://" + location
        parts = urlsplit(target)
        if parts.hostname:
            logger.info("Mesos master %s:%s redirects to the leading master %s", self.host, self.port, target)
            self.host, self.port = parts.hostname, parts.port or 5050

    def _subscribe_and_read(self) -> None:
        framework_info = dict(self.framework_info)
        body: Dict[str, Any] = {"type": "SUBSCRIBE", "subscribe": {"framework_info": framework_info}}
        if self.framework_id:
            framework_info["id"] = {"value": self.framework_id}
            body["framework_id"] = {"value": self.framework_id}
        stream = open_stream(self.host, self.port, SCHEDULER_PATH, body, timeout=self.call_timeout)
        self._stream = stream
        try:
            if self._stopped.is_set():
                return
            for event in stream.events():
                if self._stopped.is_set():
                    return
                kind = event.get("type")
                if kind == "SUBSCRIBED":
                    subscribed = event["subscribed"]
                    self.framework_id = subscribed["framework_id"]["value"]
                    self.stream_id = stream.stream_id
                    self.last_error = None
                    heartbeat = float(subscribed.get("heartbeat_interval_seconds") or 15)
                    stream.set_timeout(heartbeat * 3 + 1)
                    self._subscriptions += 1
                    master_info = subscribed.get("master_info") or {}
                    if self._subscriptions == 1:
                        self.scheduler.registered(self, self.framework_id, master_info)
                    else:
                        self.scheduler.reregistered(self, master_info)
                else:
                    self._dispatch(kind, event)
        finally:
            self._stream = None
            stream.close()

    def _dispatch(self, kind: Optional[str], event: Dict[str, Any]) -> None:
        if kind == "OFFERS":
            self.scheduler.resourceOffers(self, event["offers"].get("offers", []))
        elif kind == "RESCIND":
            self.scheduler.offerRescinded(self, event["rescind"]["offer_id"]["value"])
        elif kind == "UPDATE":
            self.scheduler.statusUpdate(self, event["update"]["status"])
        elif kind == "MESSAGE":
            message = event["message"]
            self.scheduler.frameworkMessage(self, message["executor_id"]["value"], message["agent_id"]["value"],
                                            message.get("data", ""))
        elif kind == "FAILURE":
            failure = event["failure"]
            agent_id = (failure.get("agent_id") or {}).get("value", "")
            if failure.get("executor_id"):
                self.scheduler.executorLost(self, failure["executor_id"]["value"], agent_id,
                                            int(failure.get("status", -1)))
            else:
                self.scheduler.slaveLost(self, agent_id)
        elif kind == "ERROR":
            self.scheduler.error(self, event["error"].get("message", ""))
        elif kind == "HEARTBEAT":
            pass
        else:
            logger.debug("Ignoring Mesos event %s", kind)

    # ------------------------------------------------------------------ calls
    def _call(self, body: Dict[str, Any]) -> None:
        if not self.framework_id or not self.stream_id:
            raise ApiError("not subscribed to a Mesos master")
        body = {"framework_id": {"value": self.framework_id}, **body}
        status, _headers, text = call(self.host, self.port, SCHEDULER_PATH, body,
                                      {"Mesos-Stream-Id": self.stream_id}, timeout=self.call_timeout)
        if status not in (200, 202):
            raise ApiError(f"{body['type']} refused by the Mesos master: HTTP {status} "
                           f"{text.decode(errors='replace').strip()}", status)

    def launch_tasks(self, offer_ids: List[str], tasks: List[Dict[str, Any]], refuse_seconds: float = 1.0) -> None:
        self._call({"type": "ACCEPT", "accept": {
            "offer_ids": [{"value": offer_id} for offer_id in offer_ids],
            "operations": [{"type": "LAUNCH", "launch": {"task_infos": tasks}}],
            "filters": {"refuse_seconds": refuse_seconds}}})

    def decline_offers(self, offer_ids: List[str], refuse_seconds: float) -> None:
        self._call({"type": "DECLINE", "decline": {"offer_ids": [{"value": o} for o in offer_ids],
                                                    "filters": {"refuse_seconds": refuse_seconds}}})

    def kill_task(self, task_id: str, agent_id: Optional[str]) -> None:
        kill: Dict[str, Any] = {"task_id": {"value": task_id}}
        if agent_id:
            kill["agent_id"] = {"value": agent_id}
        self._call({"type": "KILL", "kill": kill})

    def acknowledge(self, agent_id: str, task_id: str, uuid: str) -> None:
        self._call({"type": "ACKNOWLEDGE", "acknowledge": {
            "agent_id": {"value": agent_id}, "task_id": {"value": task_id}, "uuid": uuid}})

    def reconcile(self, tasks: List[Dict[str, str]]) -> None:
        """Ask for the latest state of these tasks (``{"task_id": ..., "agent_id": ...}``)."""
        self._call({"type": "RECONCILE", "reconcile": {"tasks": [
            {"task_id": {"value": t["task_id"]}, **({"agent_id": {"value": t["agent_id"]}} if t.get("agent_id")
                                                    else {})} for t in tasks]}})

    def revive(self) -> None:
        self._call({"type": "REVIVE"})

    def send_framework_message(self, executor_id: str, agent_id: str, data: bytes) -> None:
        self._call({"type": "MESSAGE", "message": {"agent_id": {"value": agent_id},
                                                   "executor_id": {"value": executor_id},
                                                   "data": encode_data(data)}})

    def wait(self, predicate: Any, timeout: float) -> bool:
        """Poll ``predicate`` until true, the driver stops, or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if self._stopped.is_set() or self.fatal_error or time.monotonic() > deadline:
                return bool(predicate())
            time.sleep(0.05)
        return True
