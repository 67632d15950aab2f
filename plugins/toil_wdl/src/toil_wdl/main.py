"""``toil-wdl-runner``: run a WDL workflow with Toil.

1. Load and type-check the document with miniwdl (``WDL.load``) and read the inputs against the
   workflow's (or lone task's) declared inputs (``WDL.values_from_json``).
2. Inside ``Toil(options)``: import the input files into the job store and start the root job
   (:mod:`toil_wdl.jobs`) — or, with ``--restart``, resume the stored run.
3. Export the output files to ``--outputDirectory`` and print the output object as JSON (also to
   ``--outputFile``).

Exit codes: 0 success, 1 failure (a one-line message; the details with ``--logDebug``), 2 usage.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, TextIO, Tuple

if TYPE_CHECKING:
    from toil_core.plugin_api import Config

logger = logging.getLogger("toil_wdl")

__all__ = ["console_main", "main"]


def _versions() -> str:
    from importlib import metadata

    parts = []
    for dist in ("toil-wdl", "toil-core", "miniwdl"):
        try:
            parts.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{dist} (not installed)")
    return ", ".join(parts)


def _read_text(uri: str) -> str:
    if "://" in uri[:16]:
        with urllib.request.urlopen(uri, timeout=300) as resp:  # noqa: S310 - the user's own URL
            return resp.read().decode("utf-8")
    with open(uri, encoding="utf-8") as f:
        return f.read()


def load_inputs(spec: Optional[str]) -> Tuple[Dict[str, Any], str]:
    """The input object and the folder its relative paths are resolved against."""
    if not spec:
        return {}, os.getcwd()
    text = spec.strip()
    if text.startswith("{"):
        return json.loads(text), os.getcwd()
    try:
        data = json.loads(_read_text(spec))
    except OSError as err:
        raise SystemExit(f"toil-wdl-runner: error: cannot read the inputs {spec}: {err.strerror or err}")
    except json.JSONDecodeError as err:
        raise SystemExit(f"toil-wdl-runner: error: the inputs {spec} are not valid JSON: {err}")
    base = os.path.dirname(os.path.abspath(spec)) if "://" not in spec[:16] else spec.rsplit("/", 1)[0]
    return data, base


def load_workflow(args: argparse.Namespace) -> Tuple[Any, Any, Any, str]:
    """``(document, target, inputs env, inputs base)``: target is the workflow or the lone task."""
    import WDL

    from toil_wdl.document import load_document

    uri = args.wdl_uri if "://" in args.wdl_uri[:16] else os.path.abspath(args.wdl_uri)
    doc = load_document(uri)
    target = doc.workflow
    if target is None:
        if len(doc.tasks) != 1:
            raise WDL.Error.InputError("the document has no workflow and not exactly one task to run")
        target = doc.tasks[0]
    data, base = load_inputs(args.inputs_uri)
    env = WDL.values_from_json(data, target.available_inputs, target.required_inputs, target.name)
    return doc, target, env, base


def import_input_files(env: Any, base: str, importer: Any, scratch: str) -> Any:
    """Every File and Directory value of the inputs imported into the job store (``toilfile:`` and
    ``toildir:`` values; a directory is imported as a tar archive of its contents, made in ``scratch``)."""
    from WDL import Env, Value

    from toil_wdl.values import WDLRunnerError, file_uri, is_stored, map_files, pack_directory

    seen: Dict[str, str] = {}

    def imp(v: Any) -> Optional[str]:
        name = v.value
        directory = isinstance(v, Value.Directory)
        if is_stored(name):
            return name
        if name not in seen:
            kind = "directory" if directory else "file"
            if "://" in name[:16]:
                if directory:
                    raise WDLRunnerError(f"Directory inputs from URLs are not supported: {name} "
                                         "(give a local folder)")
                url = name
            else:
                path = name if os.path.isabs(name) else os.path.join(base, name)
                if not os.path.exists(path) and os.path.exists(os.path.abspath(name)):
                    path = os.path.abspath(name)
                if not (os.path.isdir(path) if directory else os.path.isfile(path)):
                    raise WDLRunnerError(f"input {kind} not found: {name} (looked for {path})")
                source = pack_directory(path, scratch) if directory else path
                url = "file://" + urllib.parse.quote(os.path.abspath(source))
                name_url = "file://" + urllib.parse.quote(os.path.abspath(path).rstrip("/"))
            if "://" in name[:16]:
                name_url = url
            local = urllib.parse.unquote(urllib.parse.urlparse(name_url).path)
            seen[name] = file_uri(importer(url), local.rsplit("/", 1)[-1], origin=name_url.rsplit("/", 1)[0],
                                  directory=directory)
        return seen[name]

    return env.map(lambda b: Env.Binding(b.name, map_files(b.value, imp)))


def export_outputs(outputs: List[Tuple[str, Any]], export: Any, out_dir: str) -> Dict[str, Any]:
    """Copy the output files and directories to ``out_dir``; returns the output object as JSON values."""
    from toil_wdl.values import is_stored, map_files, parse_uri, unpack_directory

    os.makedirs(out_dir, exist_ok=True)
    done: Dict[str, str] = {}

    def exp(v: Any) -> Optional[str]:
        name = v.value
        if not is_stored(name):
            return name
        if name not in done:
            file_id, _, rel, directory = parse_uri(name)
            base = rel.rsplit("/", 1)[-1]
            target = os.path.join(out_dir, base)
            n = 1
            while os.path.exists(target):
                target = os.path.join(out_dir, str(n), base)
                n += 1
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if directory:
                archive = target + ".toil-wdl.tar"
                export(file_id, "file://" + urllib.parse.quote(archive))
                try:
                    unpack_directory(archive, target)
                finally:
                    os.unlink(archive)
            else:
                export(file_id, "file://" + urllib.parse.quote(target))
            done[name] = target
        return done[name]

    return {name: map_files(value, exp).json for name, value in outputs}


@contextlib.contextmanager
def warm_workers(document: Optional[str] = None) -> Iterator[None]:
    """Present :mod:`toil_wdl.preload` as the workflow's user module while Toil starts, so warm
    workers import miniwdl (and parse ``document``, named to them in ``$TOIL_WDL_DOCUMENT``) once
    instead of in every job."""
    import importlib

    if document:
        os.environ["TOIL_WDL_DOCUMENT"] = document
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = importlib.import_module("toil_wdl.preload")
    try:
        yield
    finally:
        if saved is not None:
            sys.modules["__main__"] = saved


def _limits(config: Config) -> Dict[str, float]:
    limits = {"cores": float(config.maxCores), "memory": float(config.maxMemory), "disk": float(config.maxDisk)}
    if str(config.batchSystem).replace("-", "_").lower() in (
            "single_machine", "singlemachine"):
        try:
            import psutil

            limits["memory"] = min(limits["memory"], float(psutil.virtual_memory().total))
        except Exception:  # noqa: BLE001 - psutil is optional here
            pass
        limits["cores"] = min(limits["cores"], float(os.cpu_count() or 1))
        try:
            limits["disk"] = min(limits["disk"], float(shutil.disk_usage(
                config.workDir or tempfile.gettempdir()).free))
        except OSError:
            pass
    return limits


def run(args: argparse.Namespace) -> Dict[str, Any]:
    """Run (or resume) the workflow; returns the output object (cromwell dialect)."""
    from toil.common import Toil
    from toil_wdl.document import DocRef
    from toil_wdl.jobs import LoneTaskJob, WorkflowJob
    from toil_wdl.values import frag

    doc = target = env = None
    base = os.getcwd()
    if not args.restart:
        doc, target, env, base = load_workflow(args)
    out_dir = os.path.abspath(args.output_directory or tempfile.mkdtemp(prefix="wdl-outputs-", dir=os.getcwd()))
    with Toil(args) as toil:
        if args.restart:
            with warm_workers(args.wdl_uri if "://" in args.wdl_uri[:16] else os.path.abspath(args.wdl_uri)):
                outputs = toil.restart()
        else:
            from WDL import Tree

            scratch = tempfile.mkdtemp(prefix="toil-wdl-import-")
            try:
                env = import_input_files(env, base, lambda url: toil.import_file(url, symlink=False), scratch)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            uri = args.wdl_uri if "://" in args.wdl_uri[:16] else os.path.abspath(args.wdl_uri)
            source_dir = os.path.dirname(uri) if "://" not in uri[:16] else os.getcwd()
            ref = DocRef(uri=uri, source_dir=source_dir, limits=_limits(toil.config),
                         container=args.container)
            if isinstance(target, Tree.Workflow):
                root = WorkflowJob(ref, (), frag(env), namespace=target.name)
            else:
                root = LoneTaskJob(ref, target.name, frag(env))
            with warm_workers(uri):
                outputs = toil.start(root)
        result = export_outputs(outputs, toil.export_file, out_dir)
    args.output_directory = out_dir
    return result


def _toil_options(args: argparse.Namespace) -> Optional[str]:
    generated = None
    if not args.jobStore:
        generated = tempfile.mkdtemp(prefix="toil-wdl-jobstore-")
        args.jobStore = "file:" + os.path.join(generated, "jobstore")
    return generated


def _failure_message(err: BaseException) -> str:
    """One line (or a few, for a task's stderr) saying what went wrong."""
    from toil_wdl.values import WDLRunnerError

    text = str(err)
    cause: Optional[BaseException] = err
    while cause is not None:
        if isinstance(cause, WDLRunnerError):
            return str(cause)
        cause = cause.__cause__ or cause.__context__
    return text or type(err).__name__


def _exit_status(message: str) -> int:
    """The exit status of a failed run: that of the first failed task command the message names (1 to
    255, as ``miniwdl run`` exits, and what the WDL specification tests' ``return_code`` checks), else 1."""
    import re

    found = re.search(r"its command exited with code (\d+)", message)
    code = int(found.group(1)) if found else 1
    return code if 0 < code < 256 else 1


def main(argv: Optional[List[str]] = None, stdout: Optional[TextIO] = None) -> int:
    """Entry point of ``toil-wdl-runner`` (and of ``toil wdl-runner``)."""
    from toil_wdl.options import parse_args

    stdout = stdout or sys.stdout
    args = parse_args(argv)
    if args.version:
        print(_versions(), file=stdout)
        return 0
    if not args.wdl_uri:
        print("toil-wdl-runner: error: a WDL document is required", file=sys.stderr)
        return 2
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="[%(asctime)s] [%(levelname).1s] [%(name)s] %(message)s")
    debug = str(getattr(args, "logLevel", "") or "").upper() == "DEBUG"
    generated = _toil_options(args)
    succeeded = False
    try:
        result = run(args)
        succeeded = True
    except SystemExit:
        raise
    except Exception as err:  # noqa: BLE001 - one clear message, the traceback with --logDebug
        import WDL

        if isinstance(err, WDL.Error.MultipleValidationErrors):
            msg = "; ".join(f"{e.pos.uri}:{e.pos.line}:{e.pos.column}: {e}" for e in err.exceptions)
        elif isinstance(err, (WDL.Error.SyntaxError, WDL.Error.ValidationError)) and getattr(err, "pos", None):
            msg = f"{err.pos.uri}:{err.pos.line}:{err.pos.column}: {err}"
        elif isinstance(err, FileNotFoundError) and getattr(err, "filename", None):
            msg = f"file not found: {err.filename}"
        elif type(err).__name__ == "FailedJobsException":
            msg = f"the workflow failed: {err}"
        else:
            msg = _failure_message(err)
        logger.error("%s%s", msg, "" if debug else " (rerun with --logDebug for details)",
                     exc_info=debug)
        return _exit_status(msg)
    finally:
        if generated is not None:
            if succeeded or not os.path.exists(os.path.join(generated, "jobstore")):
                shutil.rmtree(generated, ignore_errors=True)
            else:
                logger.error("The job store was kept for --restart: --jobStore %s", args.jobStore)
    if args.output_dialect == "miniwdl":
        document: Any = {"outputs": result, "dir": args.output_directory}
    else:
        document = result
    text = json.dumps(document, indent=4)
    if args.output_file:
        with open(args.output_file, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(text, file=stdout)
    return 0


def console_main() -> None:
    sys.exit(main())
