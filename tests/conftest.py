"""Shared by every test folder: ``tests/support`` (test-support modules such as podman_setup) is
importable, and the session's ``moto_server`` fixture (one moto server for every folder that asks)."""
import sys
from pathlib import Path

SUPPORT = str(Path(__file__).resolve().parent / "support")
if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)

from moto_service import moto_server  # noqa: E402,F401 - a fixture, started only when asked for
