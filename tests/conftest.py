"""Shared by every test folder: ``tests/support`` (test-support modules such as podman_setup) is importable."""
import sys
from pathlib import Path

SUPPORT = str(Path(__file__).resolve().parent / "support")
if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)
