"""Imported by warm workers before they fork a WDL job (see :func:`toil_wdl.main.warm_workers`).

Besides importing miniwdl, it parses and type-checks the run's document (``$TOIL_WDL_DOCUMENT``,
set by the runner) once, so that every job forked from the warm worker finds it parsed instead of
parsing it again (the parse is most of a small task job's cost)."""
import os

import WDL  # noqa: F401

import toil_wdl.jobs  # noqa: F401
from toil_wdl.document import load_document

DOCUMENT_ENV = "TOIL_WDL_DOCUMENT"

if os.environ.get(DOCUMENT_ENV):
    try:
        load_document(os.environ[DOCUMENT_ENV])
    except Exception:  # noqa: BLE001 - the job parses it again and reports the error properly
        pass
