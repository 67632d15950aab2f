"""The camelCase job store names of Toil before 5.x, as thin aliases of the snake_case API.

Each alias calls the snake_case method through ``self`` so that subclasses only override the
snake_case name. Keyword names follow the old API (``srcUrl``, ``jobStoreFileID``, ...).
"""
from __future__ import annotations

from typing import IO, Any, Callable, Optional


class CamelCaseAliases:
    """Mixin of :class:`~toil_core.jobstores.abstract.AbstractJobStore`."""

    def writeConfig(self) -> None:
        return self.write_config()  # type: ignore[attr-defined]

    def setRootJob(self, rootJobStoreID: str) -> None:
        return self.set_root_job(rootJobStoreID)  # type: ignore[attr-defined]

    def loadRootJob(self) -> Any:
        return self.load_root_job()  # type: ignore[attr-defined]

    def createRootJob(self, *args: Any, **kwargs: Any) -> Any:
        return self.create_root_job(*args, **kwargs)  # type: ignore[attr-defined]

    def getRootJobReturnValue(self) -> Any:
        return self.get_root_job_return_value()  # type: ignore[attr-defined]

    def importFile(self, srcUrl: str, sharedFileName: Optional[str] = None, hardlink: bool = False,
                   symlink: bool = False) -> Any:
        return self.import_file(srcUrl, sharedFileName, hardlink=hardlink,  # type: ignore[attr-defined]
                                symlink=symlink)

    def exportFile(self, jobStoreFileID: str, dstUrl: str) -> None:
        return self.export_file(jobStoreFileID, dstUrl)  # type: ignore[attr-defined]

    @classmethod
    def getSize(cls, url: str) -> Optional[int]:
        return cls.get_size(url)  # type: ignore[attr-defined]

    def getEnv(self) -> Any:
        return self.get_env()  # type: ignore[attr-defined]

    def assignID(self, jobDescription: Any) -> None:
        return self.assign_job_id(jobDescription)  # type: ignore[attr-defined]

    def create(self, jobDescription: Any) -> Any:
        return self.create_job(jobDescription)  # type: ignore[attr-defined]

    def exists(self, jobStoreID: str) -> bool:
        return self.job_exists(jobStoreID)  # type: ignore[attr-defined]

    def getPublicUrl(self, fileName: str) -> str:
        return self.get_public_url(fileName)  # type: ignore[attr-defined]

    def getSharedPublicUrl(self, sharedFileName: str) -> str:
        return self.get_shared_public_url(sharedFileName)  # type: ignore[attr-defined]

    def load(self, jobStoreID: str) -> Any:
        return self.load_job(jobStoreID)  # type: ignore[attr-defined]

    def update(self, jobDescription: Any) -> None:
        return self.update_job(jobDescription)  # type: ignore[attr-defined]

    def delete(self, jobStoreID: str) -> None:
        return self.delete_job(jobStoreID)  # type: ignore[attr-defined]

    def writeFile(self, localFilePath: str, jobStoreID: Optional[str] = None, cleanup: bool = False) -> str:
        return self.write_file(localFilePath, jobStoreID, cleanup)  # type: ignore[attr-defined]

    def writeFileStream(self, jobStoreID: Optional[str] = None, cleanup: bool = False,
                        basename: Optional[str] = None, encoding: Optional[str] = None,
                        errors: Optional[str] = None) -> Any:
        return self.write_file_stream(jobStoreID, cleanup, basename,  # type: ignore[attr-defined]
                                      encoding, errors)

    def getEmptyFileStoreID(self, jobStoreID: Optional[str] = None, cleanup: bool = False,
                            basename: Optional[str] = None) -> str:
        return self.get_empty_file_store_id(jobStoreID, cleanup, basename)  # type: ignore[attr-defined]

    def readFile(self, jobStoreFileID: str, localFilePath: str, symlink: bool = False) -> None:
        return self.read_file(jobStoreFileID, localFilePath, symlink)  # type: ignore[attr-defined]

    def readFileStream(self, jobStoreFileID: str, encoding: Optional[str] = None,
                       errors: Optional[str] = None) -> Any:
        return self.read_file_stream(jobStoreFileID, encoding, errors)  # type: ignore[attr-defined]

    def deleteFile(self, jobStoreFileID: str) -> None:
        return self.delete_file(jobStoreFileID)  # type: ignore[attr-defined]

    def fileExists(self, jobStoreFileID: str) -> bool:
        return self.file_exists(jobStoreFileID)  # type: ignore[attr-defined]

    def getFileSize(self, jobStoreFileID: str) -> int:
        return self.get_file_size(jobStoreFileID)  # type: ignore[attr-defined]

    def updateFile(self, jobStoreFileID: str, localFilePath: str) -> None:
        return self.update_file(jobStoreFileID, localFilePath)  # type: ignore[attr-defined]

    def updateFileStream(self, jobStoreFileID: str, encoding: Optional[str] = None,
                         errors: Optional[str] = None) -> Any:
        return self.update_file_stream(jobStoreFileID, encoding, errors)  # type: ignore[attr-defined]

    def writeSharedFileStream(self, sharedFileName: str, isProtected: Optional[bool] = None,
                              encoding: Optional[str] = None, errors: Optional[str] = None) -> Any:
        return self.write_shared_file_stream(sharedFileName, isProtected,  # type: ignore[attr-defined]
                                             encoding, errors)

    def readSharedFileStream(self, sharedFileName: str, encoding: Optional[str] = None,
                             errors: Optional[str] = None) -> Any:
        return self.read_shared_file_stream(sharedFileName, encoding, errors)  # type: ignore[attr-defined]

    def writeStatsAndLogging(self, statsAndLoggingString: Any) -> None:
        return self.write_logs(statsAndLoggingString)  # type: ignore[attr-defined]

    def readStatsAndLogging(self, callback: Callable[[IO[bytes]], Any], readAll: bool = False) -> int:
        return self.read_logs(callback, read_all=readAll)  # type: ignore[attr-defined]
