"""toil-wdl: run Workflow Description Language (WDL 1.0, 1.1, draft-2) workflows on toil-core.

The ``toil-wdl-runner`` command (also ``toil wdl-runner``) is :func:`toil_wdl.main.main`.
This package imports nothing heavy at import time; miniwdl is loaded by the modules that use it.
"""
__all__ = ["__version__"]

__version__ = "1.0.0"
