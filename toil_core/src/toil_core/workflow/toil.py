"""``Toil``: the context manager that runs a workflow (``toil.common.Toil``)."""
from __future__ import annotations

import contextlib
import logging
import os
import pickle
import shutil
import sys
from typing import TYPE_CHECKING, Any, Dict, Literal, Optional, Type

from toil_core.common.workdirs import get_coordination_dir, get_local_workflow_dir, get_toil_work_dir
from toil_core.lib.errors import ToilError

if TYPE_CHECKING:
    from toil_core.batch.abstract import AbstractBatchSystem
    from toil_core.common.config import Config
    from toil_core.job.description import JobDescription
    from toil_core.jobstores.abstract import AbstractJobStore

# Importing this module is cheap on purpose (``from toil.common import Toil`` is the first line of
# every workflow script, and the fork server imports that script before its first job): the
# configuration, the job store, the batch system, the plugin registry and the leader are imported
# by the methods that use them, when a workflow actually starts.

logger = logging.getLogger(__name__)



class ToilRestartException(ToilError):
    def __init__(self, message: str) -> None:
        super().__init__(message)


class ToilContextManagerException(ToilError):
    def __init__(self) -> None:
        super().__init__('This method cannot be called outside the "with Toil(...)" context manager.')


def normalize_uri(uri: str, check_existence: bool = False) -> str:
    """Plain local paths become ``file://`` URLs (relative ones resolved from the current dir)."""
    if "://" in uri or uri.startswith("file:"):
        if uri.startswith("file:") and not uri.startswith("file://"):
            uri = "file://" + os.path.abspath(uri[len("file:"):])
        return uri
    path = os.path.abspath(uri)
    if check_existence and not os.path.exists(path):
        raise FileNotFoundError(f"Could not find local file {path!r}.")
    return "file://" + path


def getDirSizeRecursively(dirPath: str) -> int:
    """Bytes used on disk by ``dirPath`` and everything under it (each hard-linked file once)."""
    total = 0
    seen = set()
    for root, dirs, files in os.walk(dirPath):
        for name in dirs + files:
            path = os.path.join(root, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue  # vanished while walking
            key = (info.st_dev, info.st_ino)
            if key in seen:
                continue
            seen.add(key)
            total += getattr(info, "st_blocks", 0) * 512 if hasattr(info, "st_blocks") else info.st_size
    return total


def getFileSystemSize(dirPath: str) -> "tuple[int, int]":
    """``(free bytes, total bytes)`` of the file system holding ``dirPath``."""
    usage = shutil.disk_usage(dirPath)
    return usage.free, usage.total


def iC(minValue: int, maxValue: int = sys.maxsize) -> Any:
    """Upstream option check: an int in ``[minValue, maxValue)``."""
    assert isinstance(minValue, int) and isinstance(maxValue, int)
    return lambda x: minValue <= x < maxValue


def fC(minValue: float, maxValue: Optional[float] = None) -> Any:
    """Upstream option check: a float in ``[minValue, maxValue)``."""
    upper = float("inf") if maxValue is None else maxValue
    return lambda x: minValue <= x < upper


def _no_root_message(locator: str) -> str:
    return (f"The job store '{locator}' holds no root job: the workflow was stopped before it "
            f"started, so there is nothing to restart. Remove the job store with 'toil clean "
            f"{locator}' and run the workflow again without --restart.")


class Toil:
    """Set up (or resume) a workflow's job store and run its jobs.

    ``with Toil(options) as toil: result = toil.start(root_job)``; when ``options.restart`` is set,
    call ``toil.restart()`` instead.
    """

    def __init__(self, options: Any) -> None:
        # A mistake in the options or the job graph ends the script with one message, not a
        # traceback (which --logDebug brings back).
        from toil_core.lib.error_report import debug_requested, install_excepthook  # lazy: see the top

        install_excepthook(debug_requested(options))
        self.options = options
        # Both are set by __enter__ (None before, as upstream).
        self.config: Config = None  # type: ignore[assignment]
        self._jobStore: AbstractJobStore = None  # type: ignore[assignment]
        self._inContextManager = False
        self._restarted = False
        self._started = False
        #: The job store's leader lock while this context runs the workflow (None if unlockable).
        self._leader_lock: Any = None
        #: True when this context created the job store (rather than resuming one).
        self._fresh_store = False
        #: True once start() saved the root job: only then can the workflow be restarted.
        self._root_saved = False

    # ------------------------------------------------------------------ context manager
    def __enter__(self) -> "Toil":
        # lazy: the workflow's set-up; see the top of this module
        from toil_core.common.config import Config, OptionError
        from toil_core.jobstores.locator import make_job_store, normalize_locator
        from toil_core.plugins.registry import configure_plugins
        from toil_core.resource import check_not_importing
        from toil_core.workflow.options import set_logging_from_options

        check_not_importing()

        set_logging_from_options(self.options)
        config = Config()
        config.setOptions(self.options)
        if config.jobStore is None:
            raise OptionError("No job store was given: pass a job store locator, such as ./my-jobstore, "
                              "as the first argument.")
        config.jobStore = normalize_locator(config.jobStore)
        # Resolve the batch system before touching the job store, so a bad name or a missing
        # plugin fails without leaving a half-made job store behind.
        self._batch_system_class(config)
        job_store = make_job_store(config.jobStore)
        if not config.restart:
            config.workflowAttemptNumber = 0
            job_store.initialize(config)
            self._fresh_store = True
            try:
                self._leader_lock = self._lock(job_store)
            except BaseException:
                job_store.destroy()  # nothing was stored yet
                raise
        else:
            # resume() refuses a store owned by another user before unpickling anything; the
            # lock keeps off a second leader; the check finds damaged job files. All three come
            # before the first write, so a refused restart leaves the store as it was.
            job_store.provide_key(config.sseKey)
            job_store.resume()
            self._leader_lock = self._lock(job_store)
            try:
                if job_store.root_job_id() is None:
                    raise ToilRestartException(_no_root_message(config.jobStore))
                self._check_jobs_readable(job_store)
                stored = job_store.config
                config.workflowID = stored.workflowID
                config.workflowAttemptNumber = int(stored.workflowAttemptNumber or 0) + 1
                job_store._config = config if hasattr(job_store, "_config") else None
                self._set_store_config(job_store, config)
                job_store.write_config()
            except BaseException:
                self._release_lock()
                raise
        self.config = config
        self._jobStore = job_store
        self._inContextManager = True
        try:
            configure_plugins(config)
        except Exception:
            logger.debug("Plugin configuration hooks failed", exc_info=True)
        return self

    @staticmethod
    def _lock(job_store: AbstractJobStore) -> Any:
        """The job store's leader lock (None for stores that cannot lock)."""
        acquire = getattr(job_store, "acquire_leader_lock", None)
        return acquire() if acquire is not None else None

    def _release_lock(self) -> None:
        lock, self._leader_lock = self._leader_lock, None
        if lock is not None:
            lock.release()

    @staticmethod
    def _check_jobs_readable(job_store: AbstractJobStore) -> None:
        """Load every stored job description once, so a damaged one is reported (with its
        path and the fix, by the job store) before the restart changes anything."""
        for _desc in job_store.jobs():
            pass

    @staticmethod
    def _set_store_config(job_store: AbstractJobStore, config: Config) -> None:
        for attr in ("_config", "_Toil_config"):
            if hasattr(job_store, attr):
                setattr(job_store, attr, config)
        if getattr(job_store, "config", None) is not config:
            try:  # a store that keeps its config elsewhere may offer a settable ``config``
                setattr(job_store, "config", config)
            except AttributeError:
                pass

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc_val: Any, exc_tb: Any) -> Literal[False]:
        config = self.config
        try:
            clean = config.clean
            if config.restart and not self._restarted:
                clean = "never"
            failed = exc_type is not None
            if failed and self._fresh_store and not self._root_saved:
                # Failed before the root job was saved (a bad graph, argument, import, ...):
                # the store holds nothing a restart could use, so leave no half-made store.
                logger.info("Deleting the job store '%s': the workflow failed before its root job "
                            "was saved, so there is nothing to restart.", config.jobStore)
                self._jobStore.destroy()
                clean = "never"
            if clean == "always" or (clean == "onError" and failed) or (clean == "onSuccess" and not failed):
                logger.info("Attempting to delete the job store")
                self._jobStore.destroy()
                logger.info("Successfully deleted the job store: %s", config.jobStore)
            self._clean_work_dir(failed)
        except Exception:
            if exc_type is None:
                raise
            logger.exception("Error while cleaning up the workflow")
        finally:
            self._inContextManager = False
            self._release_lock()
        return False

    def _clean_work_dir(self, failed: bool) -> None:
        policy = self.config.cleanWorkDir
        if policy == "always" or (policy == "onSuccess" and not failed) or (policy == "onError" and failed):
            work = get_toil_work_dir(self.config.workDir)
            shutil.rmtree(os.path.join(work, f"toil-{self.config.workflowID}"), ignore_errors=True)

    def _assert_context(self) -> None:
        if not self._inContextManager:
            raise ToilContextManagerException()

    # ------------------------------------------------------------------ running
    def start(self, rootJob: Any) -> Any:
        """Run the workflow rooted at ``rootJob``; returns the root job's return value."""
        self._assert_context()
        if self.config.restart:
            raise ToilRestartException(
                "A Toil workflow can only be started once. Use Toil.restart() to resume it.")
        # As upstream, one ``with Toil(options)`` block may start several workflows one after the
        # other (for example after importing a file once); each start saves a new root job.
        from toil_core.job.commit import save_root_job  # lazy: see the top of this module

        self._started = True
        rootJob.checkJobGraphForDeadlocks()
        job_store = self._jobStore
        batch_system = self.createBatchSystem(self.config)
        try:
            self._prepare_leader_run(batch_system)
            self._prepare_workers(batch_system)
            root_desc = save_root_job(job_store, self.config, rootJob,
                                      check_request=batch_system.check_resource_request)
            self._root_saved = True
            self._run_leader(batch_system, root_desc)
        finally:
            batch_system.shutdown()
            self._discard_spare_files()
        return self._root_return_value()

    def restart(self) -> Any:
        """Resume the workflow in the job store; returns the root job's return value."""
        self._assert_context()
        if not self.config.restart:
            raise ToilRestartException("A Toil workflow must be initiated with Toil.start(), not restart().")
        from toil_core.leader.restart import clean_for_restart  # lazy: see the top of this module

        self._restarted = True
        job_store = self._jobStore
        root_id = job_store.root_job_id()
        if root_id is None:
            # The first leader died before it saved the root job (which is what makes a job
            # store startable): there is nothing to resume and no return value to give back.
            raise ToilRestartException(_no_root_message(str(self.config.jobStore)))
        # The batch system comes first (as upstream): one whose jobs can outlive a killed leader
        # (pods, cluster jobs) stops its predecessor's jobs while it starts, so none of them
        # changes the job store after the state to resume has been read from it.
        batch_system = self.createBatchSystem(self.config)
        try:
            preloaded: Dict[str, Any] = {}  # the repair reads every job: the leader reads none again
            root_desc = clean_for_restart(job_store, self.config, root_id, preloaded)
            if root_desc is None:
                logger.warning("Requested restart but the workflow has already been completed; "
                               "allowing exports to rerun.")
                return self._root_return_value()
            self._prepare_leader_run(batch_system)
            self._prepare_workers(batch_system)
            self._run_leader(batch_system, root_desc, preloaded)
        finally:
            batch_system.shutdown()
            self._discard_spare_files()
        return self._root_return_value()

    def _discard_spare_files(self) -> None:
        """The jobs are over: delete the files the leader and the workers left for reuse (a
        store's pool of spare inodes, see ``FileJobStore.share_deleted_files``)."""
        discard = getattr(self._jobStore, "discard_spare_files", None)
        if discard is not None:
            try:
                discard()
            except OSError:
                logger.debug("Could not delete the job store's spare files", exc_info=True)

    def _prepare_leader_run(self, batch_system: AbstractBatchSystem) -> None:
        # lazy: see the top of this module
        from toil_core.resource import ModuleDescriptor, ResourceException, save_user_module

        job_store = self._jobStore
        job_store.write_leader_pid()
        job_store.write_kill_flag(kill=False)
        # Workers started by other batch systems recreate the leader's environment from this.
        with job_store.write_shared_file_stream("environment.pickle") as stream:
            pickle.dump(dict(os.environ), stream)
        try:
            descriptor = ModuleDescriptor.forModule("__main__")
        except (ResourceException, KeyError) as error:
            logger.debug("No user module to deploy: %s", error)
            return
        deploy = not self.config.disableAutoDeployment
        if deploy and not batch_system.supportsAutoDeployment() and not batch_system.runs_workers_beside_leader():
            logger.warning("Batch system does not support auto-deployment. The user script %s will have to be "
                           "present at the same location on every worker.", descriptor)
        save_user_module(job_store, descriptor, deploy=deploy)

    def _prepare_workers(self, batch_system: AbstractBatchSystem) -> None:
        """Let the batch system get its workers ready while the leader still sets up."""
        try:
            environment = dict(self._jobStore.get_env() or {})
        except Exception:  # as the leader: a store without worker environment has none
            environment = {}
        batch_system.prepare_workers(str(self.config.jobStore), environment)

    def _run_leader(self, batch_system: AbstractBatchSystem, root_desc: JobDescription,
                    preloaded: Optional[Dict[str, JobDescription]] = None) -> None:
        # lazy: see the top of this module
        from toil_core.leader.leader import Leader
        from toil_core.plugins.registry import leader_finished, leader_started
        from toil_core.realtime_logger import RealtimeLogger

        try:
            leader_started(self.config)
        except Exception:
            logger.debug("leader_started hooks failed", exc_info=True)

        share = getattr(self._jobStore, "share_deleted_files", None)
        if share is not None:  # the workers reuse what the leader deletes (see FileJobStore)
            share()
        success = False
        realtime = (RealtimeLogger.start_server(self.config.logLevel, batch_system)
                    if self.config.realTimeLogging else contextlib.nullcontext())
        scaler = None
        if self.config.provisioner:
            # lazy: the cluster scaler (and the provisioners) only for --provisioner
            from toil_core.provisioners.scaler_setup import start_cluster_scaler

            scaler = start_cluster_scaler(self.config, batch_system)
        try:
            with realtime:
                leader = Leader(self.config, batch_system, self._jobStore, root_desc, preloaded)
                leader.scaler_feed = scaler.feed if scaler is not None else None
                leader.run()
            success = True
            logger.info("Finished toil run successfully.")
        finally:
            if scaler is not None:
                scaler.stop()
            try:
                leader_finished(self.config, success)
            except Exception:
                logger.debug("leader_finished hooks failed", exc_info=True)

    def _root_return_value(self) -> Any:
        from toil_core.job.commit import load_root_return_value  # lazy: see the top of this module

        return load_root_return_value(self._jobStore)

    # ------------------------------------------------------------------ files
    def import_file(self, src_uri: str, shared_file_name: Optional[str] = None, symlink: bool = False) -> Any:
        """Copy a file from a URL (or local path) into the job store; returns its FileID."""
        self._assert_context()
        return self._jobStore.import_file(normalize_uri(src_uri), shared_file_name=shared_file_name, symlink=symlink)

    def importFile(self, srcUrl: str, sharedFileName: Optional[str] = None, symlink: bool = False) -> Any:
        return self.import_file(srcUrl, sharedFileName, symlink)

    def export_file(self, file_id: Any, dst_uri: str) -> None:
        """Copy a file out of the job store to a URL (or local path)."""
        self._assert_context()
        self._jobStore.export_file(file_id, normalize_uri(dst_uri))

    def exportFile(self, jobStoreFileID: Any, dstUrl: str) -> None:
        self.export_file(jobStoreFileID, dstUrl)

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _batch_system_class(config: Config) -> Type[AbstractBatchSystem]:
        from toil_core.batch.registry import get_batch_system  # lazy: see the top of this module

        return get_batch_system(config.batchSystem or "single_machine")

    @staticmethod
    def createBatchSystem(config: Config) -> AbstractBatchSystem:
        cls = Toil._batch_system_class(config)
        logger.debug("Creating the %s batch system (%s.%s).", config.batchSystem,
                     cls.__module__, cls.__qualname__)
        return cls(config, config.maxCores, config.maxMemory, config.maxDisk)

    @staticmethod
    def getJobStore(locator: str) -> AbstractJobStore:
        from toil_core.jobstores.locator import make_job_store  # lazy: see the top of this module

        return make_job_store(locator)

    @staticmethod
    def parseLocator(locator: str) -> Any:
        from toil_core.jobstores.locator import parse_locator  # lazy: see the top of this module

        return parse_locator(locator)

    @staticmethod
    def buildLocator(name: str, rest: str) -> str:
        from toil_core.jobstores.locator import build_locator  # lazy: see the top of this module

        return build_locator(name, rest)

    @staticmethod
    def resumeJobStore(locator: str) -> AbstractJobStore:
        from toil_core.jobstores.locator import open_job_store  # lazy: see the top of this module

        return open_job_store(locator)

    @staticmethod
    def normalize_uri(uri: str, check_existence: bool = False) -> str:
        return normalize_uri(uri, check_existence)

    @staticmethod
    def getToilWorkDir(configWorkDir: Optional[str] = None) -> str:
        return get_toil_work_dir(configWorkDir)

    @classmethod
    def getLocalWorkflowDir(cls, workflowID: str, configWorkDir: Optional[str] = None) -> str:
        return get_local_workflow_dir(workflowID, configWorkDir)

    @staticmethod
    def get_toil_coordination_dir(config_work_dir: Optional[str] = None,
                                  config_coordination_dir: Optional[str] = None) -> str:
        """The node's directory for locks and state shared by the workflow's processes."""
        return get_coordination_dir(config_work_dir, config_coordination_dir)

    @classmethod
    def get_local_workflow_coordination_dir(cls, workflow_id: str, config_work_dir: Optional[str] = None,
                                            config_coordination_dir: Optional[str] = None) -> str:
        """This node's coordination directory for one workflow (created)."""
        path = os.path.join(cls.get_toil_coordination_dir(config_work_dir, config_coordination_dir),
                            f"toil-{workflow_id}")
        os.makedirs(path, mode=0o700, exist_ok=True)
        return path

    def writePIDFile(self) -> None:
        self._jobStore.write_leader_pid()
