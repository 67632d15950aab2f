"""The toil-google plugin: registers the ``google`` job store (entry point group
``toil.job_stores``) and the ``gs`` URL scheme (group ``toil.url_access``).

Importing this module imports no Google library: the spec records name the classes as lazy
load strings, so ``toil plugins list`` and option parsing stay cheap.
"""
from __future__ import annotations

from typing import List

from toil_core.plugin_api import JobStoreSpec, URLAccessSpec


def toil_job_stores() -> List[JobStoreSpec]:
    return [
        JobStoreSpec(
            name="google", aliases=("gce", "gcs"),
            load="toil_google.job_store:GoogleJobStore",
            capabilities=frozenset({"import", "export", "encryption", "leader_lock"}),
            summary="Keeps the job store in a Google Cloud Storage bucket (google:[PROJECT:]NAME).",
        )
    ]


def toil_url_access() -> List[URLAccessSpec]:
    return [
        URLAccessSpec(
            name="gs", load="toil_google.url_access:GoogleURLAccess",
            capabilities=frozenset({"import", "export"}),
            summary="Imports from and exports to gs://bucket/key URLs (Google Cloud Storage).",
        )
    ]
