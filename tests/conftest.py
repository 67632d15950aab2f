"""Shared by every test folder: ``tests/support`` (test-support modules such as podman_setup) is
importable, and the session fixtures ``moto_server`` (one moto server for every folder that asks) and
``sshd_leader`` (a real sshd on loopback standing in for a cluster leader)."""
import sys
from pathlib import Path

SUPPORT = str(Path(__file__).resolve().parent / "support")
if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)

from moto_service import moto_server  # noqa: E402,F401 - a fixture, started only when asked for
from sshd_service import sshd_leader  # noqa: E402,F401 - a real sshd on loopback, started only when asked for
