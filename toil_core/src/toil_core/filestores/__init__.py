"""File stores: the API jobs use to read and write files (``toil.fileStores``)."""
from .abstract import AbstractFileStore
from .caching import CachingFileStore
from .deferred import DeferredFunction, DeferredFunctionManager
from .errors import CacheError, CacheUnbalancedError, IllegalDeletionCacheError, InvalidSourceCacheError
from .file_id import FileID
from .noncaching import NonCachingFileStore

__all__ = [
    "AbstractFileStore", "CachingFileStore", "NonCachingFileStore", "FileID",
    "DeferredFunction", "DeferredFunctionManager", "CacheError", "CacheUnbalancedError",
    "IllegalDeletionCacheError", "InvalidSourceCacheError",
]
