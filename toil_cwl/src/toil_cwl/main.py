"""``toil-cwl-runner``: run a CWL tool or workflow with Toil.

1. Load and validate the document with cwltool (``fetch_document``, ``resolve_and_validate_document``,
   ``make_tool``) and the input object (``load_job_order``, ``init_job_order``); initialize it as
   cwltool does at the top level (defaults, secondaryFiles discovery, directory listings).
2. Inside ``Toil(options)``: import the input files and the files named in the documents into the
   job store, store the loaded processes once (:mod:`toil_cwl.context`), and start the root job
   (:mod:`toil_cwl.jobs`) — or, with ``--restart``, resume the stored run.
3. Export the output files to ``--outdir`` and print the output object as JSON on stdout.

Exit codes follow cwltool: 0 success, 1 failure, 33 unsupported requirement.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shlex
import shutil
import sys
import tempfile
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, MutableMapping, Optional, TextIO, Tuple

if TYPE_CHECKING:
    from toil_core.plugin_api import Config

logger = logging.getLogger("toil_cwl")

__all__ = ["UNSUPPORTED_REQUIREMENT_EXIT_CODE", "main"]

UNSUPPORTED_REQUIREMENT_EXIT_CODE = 33

#: Requirements (and cwltool extensions) this runner cannot honour.
UNSUPPORTED = {
    "http://commonwl.org/cwltool#Loop": "the cwltool:Loop extension is not supported",
    "http://commonwl.org/cwltool#ProcessGenerator": "cwltool:ProcessGenerator is not supported",
}


def _versions() -> str:
    from importlib import metadata

    parts = []
    for dist in ("toil-cwl", "toil-core", "cwltool"):
        try:
            parts.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{dist} (not installed)")
    return ", ".join(parts)


def _configure_logging(args: argparse.Namespace) -> None:
    cwl_logger = logging.getLogger("cwltool")
    if args.debug:
        cwl_logger.setLevel(logging.DEBUG)
    elif args.quiet:
        cwl_logger.setLevel(logging.WARNING)
        logging.getLogger("salad").setLevel(logging.WARNING)
        if args.logLevel is None or str(args.logLevel).upper() == "INFO":
            args.logLevel = "WARNING"


def _check_supported(process: Any) -> None:
    """Refuse, before anything runs, what a job would only find out on a worker: requirements this
    runner cannot honour."""
    from cwltool.errors import UnsupportedRequirement

    from toil_cwl.staging import walk_processes

    for proc in walk_processes(process):
        if type(proc).__name__ == "ProcessGenerator":
            raise UnsupportedRequirement("cwltool:ProcessGenerator is not supported")
        for entry in list(getattr(proc, "requirements", [])):
            reason = UNSUPPORTED.get(entry.get("class"))
            if reason:
                raise UnsupportedRequirement(f"{entry.get('class')}: {reason}")


def _check_container(process: Any, use_container: bool) -> None:
    """With ``--no-container``, refuse tools that require a container. Checked after the input
    object is validated, as cwltool does: invalid inputs are a failure (exit 1), whatever the tool
    needs to run (the conformance test ``filesarray_secondaryfiles2`` expects exactly that)."""
    from cwltool.errors import UnsupportedRequirement

    from toil_cwl.staging import walk_processes

    if use_container:
        return
    for proc in walk_processes(process):
        for entry in list(getattr(proc, "requirements", [])):
            if entry.get("class") == "DockerRequirement" and type(proc).__name__ == "CommandLineTool":
                raise UnsupportedRequirement(
                    f"--no-container, but the tool {proc.tool.get('id', '')} has DockerRequirement under "
                    "'requirements' (run without --no-container, or with --podman/--singularity)")


def load_process(args: argparse.Namespace) -> Tuple[Any, Any, str, Any]:
    """Load the document and the input object; returns ``(tool, job_order, basedir, loading)``."""
    from cwltool.context import RuntimeContext
    from cwltool.load_tool import fetch_document, make_tool, resolve_and_validate_document, resolve_tool_uri
    from cwltool.main import load_job_order, setup_loadingContext
    from cwltool.resolver import tool_resolver

    runtime = RuntimeContext(vars(args))
    loading = setup_loadingContext(None, runtime, args)
    loading.resolver = tool_resolver
    uri, tool_file_uri = resolve_tool_uri(args.workflow, resolver=loading.resolver,
                                          fetcher_constructor=loading.fetcher_constructor)
    job_order, input_basedir, job_loader = load_job_order(args, sys.stdin, loading.fetcher_constructor,
                                                          loading.overrides_list, tool_file_uri)
    if args.overrides:
        from cwltool.load_tool import load_overrides
        from schema_salad.ref_resolver import file_uri

        overrides = file_uri(os.path.abspath(args.overrides))
        loading.overrides_list.extend(load_overrides(overrides, tool_file_uri))
    from toil_cwl.schema_cache import load_cached_schemas, save_schemas

    load_cached_schemas()
    loading, workflowobj, uri = fetch_document(uri, loading)
    loading, uri = resolve_and_validate_document(loading, workflowobj, uri)
    tool = make_tool(uri, loading)
    save_schemas()
    return tool, (job_order, job_loader), input_basedir, loading


def initialize_inputs(args: argparse.Namespace, tool: Any, job: Tuple[Any, Any], input_basedir: str,
                      scratch: str, stdout: TextIO) -> Dict[str, Any]:
    """cwltool's top-level treatment of the input object: command-line inputs, defaults,
    validation, secondaryFiles discovery and directory listings."""
    from cwltool.context import RuntimeContext
    from cwltool.main import init_job_order
    from cwltool.secrets import SecretStore
    from cwltool.stdfsaccess import StdFsAccess

    job_order, job_loader = job
    runtime = RuntimeContext(vars(args))
    runtime.basedir = input_basedir
    runtime.make_fs_access = StdFsAccess
    runtime.toplevel = True
    runtime.secret_store = SecretStore()
    runtime.outdir = os.path.join(scratch, "out")
    runtime.tmpdir = os.path.join(scratch, "tmp")
    runtime.stagedir = os.path.join(scratch, "stage")
    for path in (runtime.outdir, runtime.tmpdir, runtime.stagedir):
        os.makedirs(path, exist_ok=True)
    initialized = init_job_order(job_order, args, tool, job_loader, stdout, make_fs_access=StdFsAccess,
                                 input_basedir=input_basedir, secret_store=runtime.secret_store,
                                 runtime_context=runtime)
    # Plain containers before cwltool deep-copies the object: copying ruamel's commented ones
    # copies their comment and line attributes too, seconds for an array of 1000 strings.
    initialized = plain(initialized)
    _apply_input_requirements(tool, initialized)
    job_order = dict(tool._init_job(initialized, runtime).job)
    # Listings of local directories are loaded again, per the requirements of each process, inside
    # the jobs; loading them here too would list subdirectories a shallow listing must not.
    from cwltool.utils import adjustDirObjs, trim_listing

    adjustDirObjs(job_order, trim_listing)
    # Plain containers (again: defaults filled in from the document are ruamel's): cwltool
    # deep-copies every tool's input object, scatter elements included.
    return plain(job_order)


def plain(value: Any) -> Any:
    """``value`` with every mapping and sequence (ruamel's commented ones included) made a plain
    ``dict`` or ``list``."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _apply_input_requirements(tool: Any, job_order: MutableMapping[str, Any]) -> None:
    """``cwl:requirements`` in the input object (CWL v1.1+) add to the top-level process's."""
    from cwltool.errors import WorkflowException
    from cwltool.process import ORIGINAL_CWLVERSION

    key = "https://w3id.org/cwl/cwl#requirements"
    extra = job_order.pop(key, None)
    if extra is None:
        defaults = tool.metadata.get("cwl:defaults")
        extra = defaults.get(key) if isinstance(defaults, dict) else None
    if extra is None:
        return
    if tool.metadata.get(ORIGINAL_CWLVERSION) == "v1.0":
        raise WorkflowException("`cwl:requirements` in the input object is not part of CWL v1.0; use "
                                "`cwltool:overrides` instead, or set the cwlVersion to v1.1")
    tool.requirements.extend(extra)


def restart_command(args: argparse.Namespace) -> str:
    """The exact command line that resumes this run from its job store."""
    words = ["toil-cwl-runner", "--restart", "--jobStore", str(args.jobStore)]
    words += [w for w in [args.workflow, *(args.job_order or [])] if w]
    return shlex.join(words)


def _toil_options(args: argparse.Namespace) -> Optional[str]:
    """Complete the Toil options; returns the directory of a generated job store, if any."""
    generated = None
    if not args.jobStore:
        generated = tempfile.mkdtemp(prefix="toil-cwl-jobstore-")
        args.jobStore = "file:" + os.path.join(generated, "jobstore")
        logger.debug("No --jobStore given: using the temporary job store %s", args.jobStore)
    # Chaining would run a step inside its predecessor's resource allocation, which does not
    # fit CWL's per-step resource requirements.
    args.disableChaining = True
    return generated


@contextlib.contextmanager
def warm_workers() -> Iterator[None]:
    """Present :mod:`toil_cwl.preload` as the workflow's user module while Toil starts.

    Toil records the ``__main__`` module of the leader and its warm worker processes import it
    before forking jobs. toil-cwl-runner's ``__main__`` is a console script workers cannot import,
    so without this every CWL job would pay for importing cwltool itself.
    """
    import importlib

    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = importlib.import_module("toil_cwl.preload")
    try:
        yield
    finally:
        if saved is not None:
            sys.modules["__main__"] = saved


def _limits(config: Config) -> Dict[str, Any]:
    """The largest job the batch system will accept (to clamp CWL resource requests)."""
    limits = {"cores": float(config.maxCores), "memory": int(config.maxMemory), "disk": int(config.maxDisk)}
    if str(config.batchSystem).replace("-", "_").lower() in (
            "single_machine", "singlemachine"):
        try:
            import psutil

            limits["memory"] = min(limits["memory"], int(psutil.virtual_memory().total))
        except Exception:  # noqa: BLE001 - psutil is optional here
            pass
        limits["cores"] = min(limits["cores"], float(os.cpu_count() or 1))
        try:
            work = config.workDir or tempfile.gettempdir()
            limits["disk"] = min(limits["disk"], shutil.disk_usage(work).free)
        except OSError:
            pass
    return limits


def run_workflow(args: argparse.Namespace, stdout: TextIO) -> int:
    """Load, run and export; returns the exit code."""
    from cwltool.errors import UnsupportedRequirement, WorkflowException
    from schema_salad.exceptions import ValidationException

    scratch = tempfile.mkdtemp(prefix="toil-cwl-")
    try:
        tool = job_order = None
        input_basedir = ""
        if not args.restart:
            try:
                tool, job, input_basedir, _ = load_process(args)
                _check_supported(tool)
            except UnsupportedRequirement as err:
                logger.error("Workflow or tool uses unsupported feature:\n%s", err)
                return UNSUPPORTED_REQUIREMENT_EXIT_CODE
            except (ValidationException, WorkflowException) as err:
                logger.error("Tool definition failed validation:\n%s", err)
                return 1
            if args.validate and not args.job_order:
                print(f"{args.workflow} is valid CWL.", file=stdout)
                return 0
            try:
                job_order = initialize_inputs(args, tool, job, input_basedir, scratch, stdout)
                _check_container(tool, getattr(args, "use_container", True))
            except UnsupportedRequirement as err:
                logger.error("Workflow or tool uses unsupported feature:\n%s", err)
                return UNSUPPORTED_REQUIREMENT_EXIT_CODE
            except (ValidationException, WorkflowException) as err:
                logger.error("Input object failed validation:\n%s", err)
                return 1
            if args.validate:
                print(f"{args.workflow} is valid CWL.", file=stdout)
                return 0
        generated = _toil_options(args)
        succeeded = False
        try:
            output = _run_toil(args, tool, job_order, input_basedir)
            succeeded = True
        finally:
            if generated is not None:
                if succeeded or not os.path.exists(os.path.join(generated, "jobstore")):
                    shutil.rmtree(generated, ignore_errors=True)
                else:
                    logger.error("The temporary job store %s was kept. Fix the problem, then resume the "
                                 "workflow with:\n  %s\nor remove the job store with: toil clean %s",
                                 args.jobStore, restart_command(args), args.jobStore)
                    args.kept_store_hint_given = True
        json.dump(output, stdout, indent=4, ensure_ascii=False, default=str)
        stdout.write("\n")
        stdout.flush()
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run_toil(args: argparse.Namespace, tool: Any, job_order: Any, input_basedir: str) -> Any:
    """Run (or resume) the workflow in Toil; returns the exported output object."""
    from toil.common import Toil
    from toil_cwl.context import WorkflowContext, write_context
    from toil_cwl.jobs import root_job
    from toil_cwl.options import runtime_settings
    from toil_cwl.inplace import updates_in_place
    from toil_cwl.staging import Importer, export_outputs, import_inputs, import_process_defaults, walk_processes

    with Toil(args) as toil:
        inplace = True  # unknown on a restart: checksums are then computed afresh
        if args.restart:
            with warm_workers():
                output = toil.restart()
        else:
            link = bool(toil.config.linkImports)
            inplace = any(updates_in_place(proc) for proc in walk_processes(tool))
            importer = Importer(lambda url: toil.import_file(url, symlink=link and url.startswith("file:")),
                                nonce=inplace)
            import_process_defaults(tool, importer)
            import_inputs(job_order, importer)
            settings = runtime_settings(args, input_basedir)
            settings["inplace_update"] = inplace
            settings["limits"] = _limits(toil.config)
            context = WorkflowContext(tool, settings)
            ref = write_context(context, lambda url: toil.import_file(url))
            with warm_workers():
                output = toil.start(root_job(context, ref, job_order))
        # Inside the context: the job store still exists (it is removed on leaving, per --clean).
        return export_outputs(output, toil.export_file, args.outdir, args.compute_checksum,
                              dest_url=args.destBucket, keep_checksums=not inplace)


def main(argv: Optional[List[str]] = None, stdout: Optional[TextIO] = None) -> int:
    """Entry point of ``toil-cwl-runner`` (and of ``toil cwl-runner``)."""
    from toil_cwl.options import parse_args

    stdout = stdout or sys.stdout
    args = parse_args(argv)
    if args.version:
        print(_versions(), file=stdout)
        return 0
    if not args.workflow:
        print("toil-cwl-runner: error: a CWL document is required", file=sys.stderr)
        return 1
    if args.provenance:
        print("toil-cwl-runner: error: --provenance is not supported", file=sys.stderr)
        return 1
    if args.bypass_file_store:
        print("toil-cwl-runner: error: --bypass-file-store is not supported: intermediate files always "
              "go through the job store", file=sys.stderr)
        return UNSUPPORTED_REQUIREMENT_EXIT_CODE
    _configure_logging(args)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="[%(asctime)s] [%(levelname).1s] [%(name)s] %(message)s")
    try:
        return run_workflow(args, stdout)
    except Exception as err:  # noqa: BLE001 - report any failure the way cwltool does
        from cwltool.errors import UnsupportedRequirement

        if isinstance(err, UnsupportedRequirement):
            logger.error("Workflow or tool uses unsupported feature:\n%s", err)
            return UNSUPPORTED_REQUIREMENT_EXIT_CODE
        failed = getattr(err, "failed_jobs", None)
        if failed is not None and not args.debug:
            # The failed jobs' logs (with cwltool's own messages) were printed as they failed.
            names = ", ".join(str(job) for job in failed)
            cure = ("" if getattr(args, "kept_store_hint_given", False) else
                    f" Fix the problem, then resume the workflow with: {restart_command(args)}")
            logger.error("Workflow failed: %d job%s failed: %s.%s", len(failed), "" if len(failed) == 1 else "s",
                         names, cure)
            return 1
        logger.error("Workflow failed: %s", err, exc_info=args.debug)
        return 1


def console_main() -> None:
    sys.exit(main())
