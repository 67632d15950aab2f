"""``demo://NAME`` is the file NAME in the directory named by $DEMO_URL_ROOT (upstream's URLAccess
interface: underscored classmethods)."""
import os
import shutil

from toil.lib.url import URLAccess


def _path(url):
    return os.path.join(os.environ["DEMO_URL_ROOT"], url.split("://", 1)[1])


class DemoURLAccess(URLAccess):
    @classmethod
    def _supports_url(cls, url, export=False):
        return url.startswith("demo://")

    @classmethod
    def _url_exists(cls, url):
        return os.path.exists(_path(url))

    @classmethod
    def _get_size(cls, url):
        return os.path.getsize(_path(url))

    @classmethod
    def _get_is_directory(cls, url):
        return os.path.isdir(_path(url))

    @classmethod
    def _list_url(cls, url):
        return sorted(os.listdir(_path(url)))

    @classmethod
    def _read_from_url(cls, url, writable):
        with open(_path(url), "rb") as handle:
            shutil.copyfileobj(handle, writable)
        return os.path.getsize(_path(url)), False

    @classmethod
    def _open_url(cls, url):
        return open(_path(url), "rb")

    @classmethod
    def _write_to_url(cls, readable, url, executable=False):
        with open(_path(url), "wb") as handle:
            shutil.copyfileobj(readable, handle)
