"""Imported by warm workers before they fork a WDL job (see :func:`toil_wdl.main.warm_workers`)."""
import WDL  # noqa: F401

import toil_wdl.jobs  # noqa: F401
