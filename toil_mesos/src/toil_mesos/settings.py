"""Settings of the ``mesos`` batch system (flags and environment as upstream Toil names them).

Imported whenever the ``mesos`` batch system is named; imports only attrs and the core's
settings helper.
"""
from __future__ import annotations

import socket
from typing import Optional

import attrs
from toil_core.plugin_api import setting


def default_endpoint() -> str:
    """``<this host's IP>:5050``, upstream's default master address."""
    try:
        address = socket.gethostbyname(socket.gethostname())
    except OSError:
        address = "127.0.0.1"
    return f"{address}:5050"


@attrs.frozen
class MesosSettings:
    """Options of the ``mesos`` batch system."""

    mesos_endpoint: str = setting(
        None, "The host and port of the Mesos master, as HOST:PORT (or http://HOST:PORT); default: "
        "<this host's IP>:5050.", flag="--mesosEndpoint", old_flags=("--mesosMaster",),
        metavar="HOST:PORT", dest="mesos_endpoint")
    mesos_framework_id: Optional[str] = setting(
        None, "Register as this Mesos framework ID (for example to take over the framework of a "
        "previous leader); default: a new ID given by the master.", flag="--mesosFrameworkId",
        metavar="ID", dest="mesos_framework_id")
    mesos_role: Optional[str] = setting(
        None, "The Mesos role to take resources from (the framework then asks for the MULTI_ROLE "
        "capability); default: the default role '*'.", flag="--mesosRole", metavar="ROLE",
        dest="mesos_role")
    mesos_name: str = setting(
        "toil", "The framework name shown by the Mesos master.", flag="--mesosName", metavar="NAME",
        dest="mesos_name")

    def endpoint(self) -> str:
        return self.mesos_endpoint or default_endpoint()
