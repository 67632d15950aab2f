"""The built-in ``file:`` job store and the ``file``, ``http`` and ``https`` URL handlers,
registered through the ``toil.job_stores`` and ``toil.url_access`` entry point groups like any
other plugin. Importing this module imports no job store code."""
from __future__ import annotations

from typing import List

from toil_core.plugins.specs import JobStoreSpec, URLAccessSpec

_FILE_URLS = "toil_core.jobstores.url_access:FileURLAccess"
_HTTP_URLS = "toil_core.jobstores.http_access:HTTPURLAccess"


def toil_job_stores() -> List[JobStoreSpec]:
    return [
        JobStoreSpec(
            name="file",
            load="toil_core.jobstores.file_job_store:FileJobStore",
            capabilities=frozenset({"import", "export", "encryption", "leader_lock"}),
            summary="Keeps the job store in a directory on a (possibly shared) file system.",
        )
    ]


def toil_url_access() -> List[URLAccessSpec]:
    return [
        URLAccessSpec(
            name="file",
            load=_FILE_URLS,
            capabilities=frozenset({"import", "export"}),
            summary="Imports from and exports to file:// URLs and local paths.",
        ),
        URLAccessSpec(
            name="http",
            load=_HTTP_URLS,
            capabilities=frozenset({"import"}),
            summary="Imports files from http:// URLs.",
        ),
        URLAccessSpec(
            name="https",
            load=_HTTP_URLS,
            capabilities=frozenset({"import"}),
            summary="Imports files from https:// URLs.",
        ),
    ]
