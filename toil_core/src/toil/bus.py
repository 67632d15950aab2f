"""Compatibility module: upstream name ``toil.bus``; everything lives in toil_core."""
from toil_core.bus import *  # noqa: F401,F403
from toil_core.compat_names import MessageType  # noqa: F401
from toil_core.compat_names import bus_logger as logger  # noqa: F401

__all__ = [
    "ClusterDesiredSizeMessage", "ClusterSizeMessage", "ExternalBatchIdMessage", "JobAnnotationMessage",
    "JobCompletedMessage", "JobFailedMessage", "JobIssuedMessage", "JobMissingMessage", "JobStatus",
    "JobUpdatedMessage", "MessageBus", "MessageBusClient", "MessageBusConnection", "MessageInbox",
    "MessageOutbox", "MessageType", "QueueSizeMessage",
    "bytes_to_message", "gen_message_bus_path", "logger", "message_to_bytes", "replay_message_bus",
]
