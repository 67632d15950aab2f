"""Debug tool for copying files contained in a toil jobStore.

``toil debug-file JOBSTORE`` (``file:`` job stores, and object stores that list their objects:
``aws:``, ``google:``) lists the files of a job store
(``--listFilesInJobStore``, also written to ``jobstore_files.txt`` in the current directory)
and copies some of them (``--fetch GLOB...``) or all of it (``--fetchEntireJobStore``) into
``--localFilePath``, as copies or, with ``--useSymlinks``, as symbolic links.
"""
from __future__ import annotations

import argparse
import fnmatch
import logging
import os
import re
import shutil
from typing import Any, Iterator, List, Optional

from toil_core.cli._common import CommandError, command, open_store
from toil_core.workflow.options import parser_with_common_options, set_logging_from_options

__all__ = ["fetchJobStoreFiles", "main", "printContentsOfJobStore", "stored_files"]

logger = logging.getLogger(__name__)

LISTING_FILE = "jobstore_files.txt"
#: Stored files are named ``<20 hex digits>-<original basename>``.
_TOKEN = re.compile(r"^[0-9a-f]{20}-")
_FALSE_WORDS = {"false", "no", "n", "0", "off", "f"}


def original_name(basename: str) -> str:
    """The name a stored file had when written (the store's random token removed)."""
    return _TOKEN.sub("", basename, count=1) or basename


def _shown_name(store: Any, stored: str, base: str) -> str:
    """The name to match and save a stored file under: the one it was written under (unsealed
    from its path in an encrypted store, else its basename less the store's token)."""
    named = getattr(store, "original_file_name", None)
    return (named(stored) if callable(named) else None) or original_name(base)


def stored_files(job_store_dir: str) -> Iterator[str]:
    """Every file in the job store directory (files being written in ``tmp/`` excluded)."""
    tmp = os.path.join(job_store_dir, "tmp")
    for directory, dirs, names in os.walk(job_store_dir):
        dirs.sort()
        if directory == tmp:
            dirs[:] = []
            continue
        for name in sorted(names):
            yield os.path.join(directory, name)


def printContentsOfJobStore(jobStorePath: str, nameOfJob: Optional[str] = None) -> List[str]:
    """Log the path of every file in the job store (only those of job ``nameOfJob`` if given)
    and write them, one per line, to ``jobstore_files.txt`` in the working directory."""
    paths = [p for p in stored_files(jobStorePath)
             if nameOfJob is None or f"{os.sep}{nameOfJob}{os.sep}" in p or p.endswith(os.sep + nameOfJob)]
    logfile = LISTING_FILE if nameOfJob is None else f"{nameOfJob}_{LISTING_FILE}"
    with open(logfile, "w") as handle:
        for path in paths:
            logger.info("%s", path)
            handle.write(path + "\n")
    logger.info("Wrote the list of %i files in %s to %s", len(paths), jobStorePath, os.path.abspath(logfile))
    return paths


def _place(src: str, dest: str, symlink: bool) -> None:
    if os.path.lexists(dest):
        os.unlink(dest)
    if symlink:
        os.symlink(os.path.realpath(src), dest)
    else:
        shutil.copy2(src, dest)


def fetchJobStoreFiles(jobStore: Any, options: Any) -> List[str]:
    """Copy (or link, with ``options.useSymlinks``) the stored files whose name matches one of
    the glob patterns ``options.fetch`` into ``options.localFilePath``. A file is matched by its
    stored basename or the name it had when written; it is saved under the latter (the stored
    name when two files have the same one). Returns the paths written."""
    root = jobStore.jobStoreDir
    destination = os.path.abspath(options.localFilePath or os.getcwd())
    os.makedirs(destination, exist_ok=True)
    written: List[str] = []
    for path in stored_files(root):
        base = os.path.basename(path)
        name = _shown_name(jobStore, path, base)
        if not any(fnmatch.fnmatchcase(base, p) or fnmatch.fnmatchcase(name, p) for p in options.fetch):
            continue
        dest = os.path.join(destination, name)
        if dest in written:
            dest = os.path.join(destination, base)
        if jobStore.encrypted:  # the plaintext, never a link to the sealed object
            jobStore.copy_stored_path(path, dest)
        else:
            _place(path, dest, options.useSymlinks)
        logger.info("Fetched %s to %s", path, dest)
        written.append(dest)
    if not written:
        logger.warning("No file in %s matches %s", root, " ".join(options.fetch))
    return written


def fetchEntireJobStore(jobStore: Any, options: Any) -> str:
    """Copy (or mirror with symbolic links) the whole job store directory into
    ``options.localFilePath``, keeping its layout. Returns the new directory."""
    root = jobStore.jobStoreDir
    target = os.path.join(os.path.abspath(options.localFilePath or os.getcwd()), os.path.basename(root))
    for path in stored_files(root):
        dest = os.path.join(target, os.path.relpath(path, root))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        _place(path, dest, options.useSymlinks)
    logger.info("Fetched the job store %s to %s", root, target)
    return target


def _object_store(store: Any) -> bool:
    """True for a store kept as named objects (cloud stores): it lists them with
    ``list_stored_objects()`` ("/"-separated names) and copies one out with
    ``fetch_stored_object(name, local_path)`` (the plaintext, for encrypted stores)."""
    return callable(getattr(store, "list_stored_objects", None)) and callable(
        getattr(store, "fetch_stored_object", None))


def object_store_files(store: Any, options: Any, locator: str) -> bool:
    """``--listFilesInJobStore`` / ``--fetch`` / ``--fetchEntireJobStore`` on an object store
    (:func:`_object_store`). Copies only: there is nothing local to link to. Returns whether
    anything was asked for."""
    names = sorted(store.list_stored_objects())
    destination = os.path.abspath(options.localFilePath or os.getcwd())
    did = False
    if _flag(options.listFilesInJobStore):
        with open(LISTING_FILE, "w") as handle:
            for name in names:
                logger.info("%s", name)
                handle.write(name + "\n")
        logger.info("Wrote the list of %i files in %s to %s", len(names), locator, os.path.abspath(LISTING_FILE))
        did = True
    if options.fetchEntireJobStore:
        target = os.path.join(destination, re.sub(r"[^A-Za-z0-9._-]", "_", locator))
        for name in names:
            dest = os.path.join(target, *name.split("/"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            store.fetch_stored_object(name, dest)
        logger.info("Fetched the job store %s to %s", locator, target)
        did = True
    if options.fetch:
        os.makedirs(destination, exist_ok=True)
        written: List[str] = []
        for name in names:
            base = name.rsplit("/", 1)[-1]
            original = _shown_name(store, name, base)
            if not any(fnmatch.fnmatchcase(base, p) or fnmatch.fnmatchcase(original, p) for p in options.fetch):
                continue
            dest = os.path.join(destination, original)
            if dest in written:
                dest = os.path.join(destination, base)
            if dest in written:  # stores that keep the original name as the basename
                dest = os.path.join(destination, name.replace("/", "_"))
            store.fetch_stored_object(name, dest)
            logger.info("Fetched %s to %s", name, dest)
            written.append(dest)
        if not written:
            logger.warning("No file in %s matches %s", locator, " ".join(options.fetch))
        did = True
    return did


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() not in _FALSE_WORDS)


def build_parser() -> argparse.ArgumentParser:
    parser = parser_with_common_options(jobstore_option=True, prog="toil debug-file")
    parser.description = "List the files of a file: job store, or copy some of them out."
    parser.add_argument("--localFilePath", dest="localFilePath", default=None,
                        help="Directory to copy the fetched files into (default: the current directory).")
    parser.add_argument("--fetch", nargs="+", default=None, metavar="GLOB",
                        help="Copy the stored files whose name matches one of these glob patterns, "
                             "e.g. --fetch overview.txt '*.bam'.")
    parser.add_argument("--listFilesInJobStore", nargs="?", const=True, default=None, metavar="BOOL",
                        help="Log every file in the job store and write the list to "
                             f"{LISTING_FILE} in the current directory.")
    parser.add_argument("--fetchEntireJobStore", action="store_true", default=False,
                        help="Copy the whole job store directory into --localFilePath.")
    parser.add_argument("--useSymlinks", action="store_true", default=False,
                        help="Make symbolic links to the stored files instead of copies.")
    return parser


@command
def main(argv: List[str]) -> int:
    options = build_parser().parse_args(argv)
    set_logging_from_options(options)
    store = open_store(options.jobStore)
    if not hasattr(store, "jobStoreDir"):
        if not _object_store(store):
            raise CommandError(f"toil debug-file does not work with the job store '{options.jobStore}': it "
                               f"can neither list nor fetch its files.")
        if options.useSymlinks:
            logger.warning("--useSymlinks: the job store is not local, so its files are copied")
        if not object_store_files(store, options, options.jobStore):
            logger.info("Nothing to do: give --listFilesInJobStore, --fetch or --fetchEntireJobStore.")
        return 0
    did = False
    if _flag(options.listFilesInJobStore):
        printContentsOfJobStore(store.jobStoreDir)
        did = True
    if options.fetchEntireJobStore:
        fetchEntireJobStore(store, options)
        did = True
    if options.fetch:
        fetchJobStoreFiles(store, options)
        did = True
    if not did:
        logger.info("Nothing to do: give --listFilesInJobStore, --fetch or --fetchEntireJobStore.")
    return 0
