"""Transfers of the google job store: ``importFile`` / ``exportFile`` (server-side copies between
the store and ``gs://`` URLs, direct uploads of local files) and public (signed) URLs."""
from __future__ import annotations

import logging
import os
import stat
from datetime import timedelta
from typing import Any, Optional

from toil_core.plugin_api import FileID, NoSuchFileException

from toil_google.client import emulator_host, get_client
from toil_google.errors import GoogleStoreError
from toil_google.objects import ObjectIO

__all__ = ["GoogleTransfers"]

logger = logging.getLogger(__name__)

SHARED = "shared/"


class GoogleTransfers:
    """Mixed into :class:`~toil_google.job_store.GoogleJobStore` (uses its object I/O and names)."""

    #: Signed URLs from get_public_url last this long (the V2 signing limit allows a year).
    publicUrlExpiration = timedelta(days=365)
    bucket_name: str
    project: Optional[str]
    objects: Any
    client: Any

    def _public_url(self, name: str, what: str) -> str:
        if self.objects.sealer is not None:
            raise GoogleStoreError(
                f"The job store 'google:{self.locator}' is encrypted client-side (--clientSideEncryption): a "
                f"public URL would serve only ciphertext. Export the file instead.")
        if not self.objects.exists(name):
            raise NoSuchFileException(what)
        signer = _signing_credentials()
        if signer is not None:
            blob = self.client.bucket(self.bucket_name).blob(name)
            endpoint = emulator_host()
            kwargs = {"api_access_endpoint": endpoint} if endpoint else {}
            return blob.generate_signed_url(expiration=self.publicUrlExpiration, version="v2",
                                            credentials=signer, **kwargs)
        if emulator_host() is None:
            logger.warning("The Google credentials in use cannot sign URLs; the URL of %s needs "
                           "authorization to be read", what)
        return self.objects.media_url(name)

    def get_public_url(self, file_id: str) -> str:
        """A signed URL (a service account key signs it), else the object's media URL (an
        emulator, or credentials that cannot sign)."""
        return self._public_url(self._file_name(file_id), file_id)

    def get_shared_public_url(self, shared_file_name: str) -> str:
        self._check_shared_name(shared_file_name)
        return self._public_url(SHARED + shared_file_name, shared_file_name)

    def _import_file(self, handler: Any, src_uri: str, shared_file_name: Optional[str],
                     hardlink: bool, symlink: bool) -> Optional[FileID]:
        from toil_google.url_access import GoogleURLAccess, split_gs_url

        scheme = src_uri.split(":", 1)[0].lower()
        sealed = self.objects.sealer is not None  # a sealed store encrypts what it imports: no server-side copy
        if not sealed and (handler is GoogleURLAccess
                           or (isinstance(handler, type) and issubclass(handler, GoogleURLAccess))):
            bucket, key = split_gs_url(src_uri)
            if shared_file_name is not None:
                name = SHARED + shared_file_name
                file_id = None
            else:
                file_id, name = self._new_file_id(None, False, key.rsplit("/", 1)[-1], "file")
            try:
                size = self.objects.copy_from(bucket, key, name)  # server-side
            except Exception as err:
                if getattr(err, "code", None) == 404:
                    raise FileNotFoundError(f"No such object: '{src_uri}'") from err
                raise
            if file_id is None:
                return None
            executable = self.objects.stat(name)
            return FileID(file_id, size, bool(executable and executable.metadata.get("executable") == "1"))
        if scheme == "file" or "://" not in src_uri:
            local = _local_path(src_uri)
            if local is not None and os.path.isfile(local) and shared_file_name is None:
                file_id = self.write_file(local)
                st = os.stat(local)
                return FileID(file_id, st.st_size, bool(st.st_mode & stat.S_IXUSR))
        return super()._import_file(handler, src_uri, shared_file_name, hardlink, symlink)

    def _export_file(self, handler: Any, file_id: str, dst_uri: str) -> None:
        from toil_google.url_access import GoogleURLAccess, split_gs_url

        if isinstance(handler, type) and issubclass(handler, GoogleURLAccess) and self.objects.sealer is None:
            bucket, key = split_gs_url(dst_uri)
            target = ObjectIO(get_client(self.project, allow_anonymous=True), bucket, None)
            try:
                target.copy_from(self.bucket_name, self._file_name(file_id), key, source_key=self.objects.key,
                                 encrypted=False)
            except Exception as err:
                if getattr(err, "code", None) == 404 and not self.file_exists(file_id):
                    raise self._missing(file_id) from err
                raise
            return
        super()._export_file(handler, file_id, dst_uri)


def _local_path(uri: str) -> Optional[str]:
    import urllib.parse

    if "://" not in uri and not uri.lower().startswith("file:"):
        return os.path.abspath(uri)
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme.lower() != "file" or parsed.netloc not in ("", "localhost"):
        return None
    return urllib.parse.unquote(parsed.path) or None


def _signing_credentials() -> Any:
    """Credentials that can sign URLs locally (a service account key file), or None."""
    path = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if not path:
        if emulator_host() is None:
            creds = getattr(get_client(), "_credentials", None)
            if creds is not None and hasattr(creds, "sign_bytes") and hasattr(creds, "signer_email"):
                return creds
        return None
    try:
        from google.oauth2 import service_account

        return service_account.Credentials.from_service_account_file(path)
    except (OSError, ValueError, KeyError) as err:
        logger.debug("GOOGLE_APPLICATION_CREDENTIALS cannot sign URLs: %s", err)
        return None

