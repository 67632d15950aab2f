"""toil-google: Google Cloud Storage for toil-core.

* the ``google:`` job store (:class:`toil_google.job_store.GoogleJobStore`), one bucket
  ``<name>--toil`` per workflow, locators ``google:<project>:<name>`` or ``google:<name>``;
* ``gs://bucket/key`` URLs for ``importFile`` / ``exportFile``
  (:class:`toil_google.url_access.GoogleURLAccess`).

Registered through entry points (:mod:`toil_google.plugin`); importing this package imports
nothing from Google's libraries.
"""
