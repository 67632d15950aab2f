"""toil-cwl: run Common Workflow Language (v1.0, v1.1, v1.2) tools and workflows on toil-core.

The ``toil-cwl-runner`` command (also ``toil cwl-runner``) is :func:`toil_cwl.main.main`.
This package imports nothing heavy at import time; cwltool is loaded by the modules that use it.
"""
__all__ = ["__version__"]

__version__ = "1.0.0"
