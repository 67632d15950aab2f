"""Running one WDL task inside a Toil job.

1. Input files (``toilfile:`` values, URLs, local paths) are copied into the task's folder.
2. The task's declarations, command and runtime section are evaluated with miniwdl.
3. The command runs with bash in ``<task dir>/work`` — inside a container when the task names a
   ``docker``/``container`` image and a container engine (podman or docker) has it; otherwise directly
   on the host (with a warning naming the image). Its standard output and error go to
   ``stdout.txt``/``stderr.txt`` beside ``work``.
4. The outputs are evaluated (``stdout()``, ``stderr()``, ``glob()``, relative paths in ``work``) and
   their files written to the job store.
"""
from __future__ import annotations

import copy
import logging
import os
import shutil
import subprocess
from typing import Any, Dict, List, Optional, Tuple

from WDL import Env, Tree, Type, Value
from WDL._util import strip_leading_whitespace

from toil_wdl.document import parse_disks, parse_size, referenced_names
from toil_wdl.values import (
    DIR_SCHEME,
    Frag,
    ToilStdLib,
    WDLRunnerError,
    detach,
    download_url,
    file_uri,
    is_stored,
    is_url,
    map_files,
    output_stdlib,
    pack_directory,
    parse_uri,
    read_directory,
)

logger = logging.getLogger(__name__)

__all__ = ["TaskFailed", "eval_declarations", "eval_runtime", "run_task", "task_resources"]

#: Default resources of a task that names none (upstream Toil's defaults for WDL tasks).
DEFAULT_CORES = 1
DEFAULT_MEMORY = 2 * 1024 ** 3
DEFAULT_DISK = 2 * 1024 ** 3


class TaskFailed(WDLRunnerError):
    """A task's command failed (its standard error's tail is in the message)."""


def _ordered(decls: List[Tree.Decl]) -> List[Tree.Decl]:
    """Declarations in an order in which each one's references come first."""
    names = {d.name for d in decls}
    done: set = set()
    out: List[Tree.Decl] = []
    pending = list(decls)
    while pending:
        progress = False
        for decl in list(pending):
            refs = {n.split(".")[0] for n in referenced_names(decl.expr)} & names
            if refs - {decl.name} <= done:
                out.append(decl)
                done.add(decl.name)
                pending.remove(decl)
                progress = True
        if not progress:
            out.extend(pending)
            break
    return out


def null_overrides_default(decl: Tree.Decl, version: Optional[str]) -> bool:
    """Whether an explicit null given for ``decl`` (which has a default) is the value, not "use the default".

    WDL 1.1 lets a caller set an input declared optional *with* a default to None (``salutation = None``);
    in draft-2 and 1.0, and for an input whose type is not optional, a null means the default."""
    return decl.type.optional and version not in (None, "draft-2", "1.0")


def eval_declarations(decls: List[Tree.Decl], given: Env.Bindings[Value.Base], stdlib: Any,
                      env: Optional[Env.Bindings[Value.Base]] = None,
                      overridable: Optional[set] = None,
                      version: Optional[str] = None) -> Env.Bindings[Value.Base]:
    """Bind each declaration: its value in ``given`` (when it may be overridden) or its expression.
    ``version`` is the document's WDL version (it decides what a null given for a default means)."""
    env = env if env is not None else Env.Bindings()
    for decl in _ordered(decls):
        supplied = (overridable is None or decl.name in overridable) and given.has_binding(decl.name)
        if supplied and isinstance(given[decl.name], Value.Null) and decl.expr is not None \
                and not null_overrides_default(decl, version):
            supplied = False  # a null for an input with a default means the default
        if supplied:
            value = given[decl.name]
        elif decl.expr is not None:
            value = decl.expr.eval(env, stdlib=stdlib)
        else:
            value = Value.Null()
        try:
            value = value.coerce(decl.type)
        except Exception as err:  # noqa: BLE001 - say which declaration
            raise WDLRunnerError(f"{decl.name}: {err}") from err
        if isinstance(value, Value.Null) and not decl.type.optional:
            raise WDLRunnerError(f"missing required input {decl.name} ({decl.type})")
        env = env.bind(decl.name, value)
    return env


def task_env(task: Tree.Task, inputs: Env.Bindings[Value.Base], stdlib: Any) -> Env.Bindings[Value.Base]:
    """The task's inputs and private declarations."""
    if task.inputs is None:  # draft-2: any declaration may be given
        return eval_declarations(list(task.postinputs), inputs, stdlib)
    env = eval_declarations(list(task.inputs), inputs, stdlib, version=task.effective_wdl_version)
    return eval_declarations(list(task.postinputs), Env.Bindings(), stdlib, env=env, overridable=set())


def eval_runtime(task: Tree.Task, env: Env.Bindings[Value.Base], stdlib: Any) -> Dict[str, Any]:
    """The runtime section as plain Python values."""
    out: Dict[str, Any] = {}
    for key, expr in task.runtime.items():
        value = expr.eval(env, stdlib=stdlib)
        out[key] = value.json if not isinstance(value, Value.Null) else None
    return out


def task_resources(runtime: Dict[str, Any], limits: Dict[str, float]) -> Dict[str, Any]:
    """Toil job resources of a task, clamped to what the batch system offers."""
    cores = runtime.get("cpu")
    try:
        cores = float(cores) if cores is not None else DEFAULT_CORES
    except (TypeError, ValueError):
        cores = DEFAULT_CORES
    memory = parse_size(runtime["memory"]) if runtime.get("memory") is not None else None
    disk = parse_disks(runtime["disks"]) if runtime.get("disks") is not None else None
    if runtime.get("disk") is not None:
        disk = parse_size(runtime["disk"], "GiB") if isinstance(runtime["disk"], (int, float)) \
            else parse_size(runtime["disk"])
    res: Dict[str, Any] = {"cores": cores, "memory": memory or DEFAULT_MEMORY, "disk": disk or DEFAULT_DISK}
    for key in ("cores", "memory", "disk"):
        if key in limits:
            res[key] = min(res[key], limits[key])
    res["memory"], res["disk"] = int(res["memory"]), int(res["disk"])
    return res


def _stored_values(value: Value.Base) -> List[Value.Base]:
    """The File and Directory values inside ``value``."""
    found: List[Value.Base] = []

    def collect(v: Value.Base) -> str:
        found.append(v)
        return v.value

    Value.rewrite_paths(value, collect)
    return found


def _localize(inputs: Env.Bindings[Value.Base], file_store: Any, inputs_dir: str,
              source_dir: str) -> Env.Bindings[Value.Base]:
    """Copy every input file and directory into ``inputs_dir``; their values become local paths.

    A stored value goes to ``inputs_dir/<origin key>/<relative path>``: values that were side by
    side where they came from are side by side here, and a file (or folder) inside a directory
    that is also an input is the one inside that directory. Directories are placed first, so that
    files inside them are not fetched a second time."""
    seen: Dict[str, str] = {}
    owner: Dict[str, str] = {}  # local path -> the stored value placed there

    def place(name: str, directory: bool) -> str:
        file_id, key, rel, _ = parse_uri(name)
        target = os.path.join(inputs_dir, key, rel)
        n = 0
        while target in owner and owner[target] != name and not (directory and owner[target].startswith(DIR_SCHEME)):
            n += 1  # another file with the same name from the same place: keep both
            target = os.path.join(inputs_dir, f"{key}-{n}", rel)
        if target in owner:
            return target
        owner[target] = name
        if _inside_directory(target, owner, key) and os.path.lexists(target):
            return target  # already there, inside a directory placed from the same origin
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if directory:
            return read_directory(file_store, name, target)
        return file_store.readGlobalFile(file_id, userPath=target)

    def localize(v: Value.Base) -> Optional[str]:
        name = v.value
        if name in seen:
            return seen[name]
        directory = isinstance(v, Value.Directory)
        if is_stored(name):
            path = place(name, directory)
        elif is_url(name):
            if directory:
                raise WDLRunnerError(f"Directory inputs from URLs are not supported: {name}")
            folder = os.path.join(inputs_dir, f"u{len(seen)}")
            os.makedirs(folder, exist_ok=True)
            path = download_url(name, folder)
        else:
            path = name if os.path.isabs(name) else os.path.join(source_dir, name)
            if not os.path.exists(path):
                raise WDLRunnerError(f"input {'directory' if directory else 'file'} not found: {name}")
        seen[name] = path
        return path

    values = [v for b in inputs for v in _stored_values(b.value)]
    for v in sorted((v for v in values if isinstance(v, Value.Directory)), key=lambda v: v.value.count("/")):
        localize(v)  # outer directories first
    return inputs.map(lambda b: Env.Binding(b.name, map_files(b.value, localize)))


def _slashed(env: Env.Bindings[Value.Base]) -> Env.Bindings[Value.Base]:
    """``env`` with every Directory path ending in ``/``, as the command sees directories (the
    conformance suite expects ``find ~{dir}`` to print ``dir/`` first, as other runners do)."""

    def slash(v: Value.Base) -> Value.Base:
        v = copy.copy(v)
        if isinstance(v, Value.Directory):
            v.value = v.value.rstrip("/") + "/"
        elif isinstance(v.value, list):
            v.value = [tuple(slash(x) for x in e) if isinstance(e, tuple) else slash(e) for e in v.value]
        elif isinstance(v.value, tuple):
            v.value = tuple(slash(x) for x in v.value)
        elif isinstance(v.value, dict):
            v.value = {k: slash(x) for k, x in v.value.items()}
        return v

    return env.map(lambda b: Env.Binding(b.name, slash(b.value)))


def _inside_directory(target: str, owner: Dict[str, str], key: str) -> bool:
    """Whether ``target`` lies inside a directory placed from the origin ``key``."""
    parent = os.path.dirname(target)
    while parent and parent != os.path.dirname(parent):
        placed = owner.get(parent)
        if placed is not None and placed.startswith(DIR_SCHEME) and parse_uri(placed)[1] == key:
            return True
        parent = os.path.dirname(parent)
    return False


#: (preference, image) -> the engine command found for it (per worker process).
_ENGINES: Dict[Tuple[str, str], List[str]] = {}


def _has_image(exe: str, image: str) -> bool:
    name = os.path.basename(exe)
    probe = [exe, "image", "exists", image] if name == "podman" else [exe, "image", "inspect", image]
    try:
        return subprocess.run(probe, capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _engine(preference: str, image: Optional[str], call_name: str = "") -> Optional[List[str]]:
    """The container engine command to run ``image`` with, or None to run on the host.

    ``auto``: podman or docker when one has the image, else the host (with a warning: machines
    without a registry cannot pull). ``podman``/``docker``: that engine (the other one when it is
    missing) must have the image or pull it; otherwise the task fails saying so."""
    if not image or preference == "none":
        return None
    if (preference, image) in _ENGINES:
        return _ENGINES[(preference, image)]
    candidates = ["podman", "docker"] if preference in ("auto", "podman") else ["docker", "podman"]
    exes = [exe for exe in (shutil.which(name) for name in candidates) if exe]
    for exe in exes:
        if _has_image(exe, image):
            _ENGINES[(preference, image)] = [exe]
            return [exe]
    if preference == "auto":
        logger.warning("No container engine here has the image %s (it cannot be pulled either): running the "
                       "task's command directly on the host", image)
        return None
    errors = []
    for exe in exes:
        try:
            pulled = subprocess.run([exe, "pull", image], capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.SubprocessError) as err:
            errors.append(f"{os.path.basename(exe)}: {err}")
            continue
        if pulled.returncode == 0:
            _ENGINES[(preference, image)] = [exe]
            return [exe]
        errors.append(f"{os.path.basename(exe)}: {(pulled.stderr.strip().splitlines() or ['pull failed'])[-1]}")
    raise WDLRunnerError(
        f"task {call_name}: the container image {image} is not available"
        + (f" and could not be pulled ({'; '.join(errors)})" if errors else f" (no {preference} installed)")
        + "; load or build it locally, or run with --container auto (the host when no engine has it) "
          "or --container none")


def _image(runtime: Dict[str, Any]) -> Optional[str]:
    image = runtime.get("container") or runtime.get("docker")
    if isinstance(image, list):
        image = image[0] if image else None
    return str(image) if image else None


def _ok_codes(runtime: Dict[str, Any]) -> Any:
    codes = runtime.get("returnCodes", runtime.get("continueOnReturnCode"))
    if codes is None or codes is False:
        return [0]
    if codes is True or codes == "*":
        return "*"
    return codes if isinstance(codes, list) else [codes]


def run_command(command: str, task_dir: str, work_dir: str, engine: Optional[List[str]],
                image: Optional[str]) -> int:
    """Run ``command`` with bash (sh in images without bash); returns the exit code."""
    script = os.path.join(task_dir, "command")
    with open(script, "w", encoding="utf-8") as f:
        f.write(command)
    env = dict(os.environ, TMPDIR=os.path.join(task_dir, "tmp"), HOME=work_dir)
    os.makedirs(env["TMPDIR"], exist_ok=True)
    if engine:
        argv = engine + ["run", "--rm", "--network=none", "-v", f"{task_dir}:{task_dir}", "-w", work_dir,
                         "-e", f"TMPDIR={env['TMPDIR']}", "-e", f"HOME={work_dir}", "--entrypoint", "sh",
                         str(image), "-c",
                         'if command -v bash >/dev/null 2>&1; then exec bash "$0"; else exec sh "$0"; fi',
                         script]
    else:
        argv = ["bash", script]
    with open(os.path.join(task_dir, "stdout.txt"), "wb") as out, \
            open(os.path.join(task_dir, "stderr.txt"), "wb") as err:
        return subprocess.run(argv, cwd=work_dir, stdout=out, stderr=err, env=env, check=False).returncode


def _tail(path: str, limit: int = 2000) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - limit))
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def run_task(task: Tree.Task, call_name: str, inputs: Env.Bindings[Value.Base], file_store: Any,
             source_dir: str, container: str) -> Frag:
    """Run ``task`` on ``inputs`` in this job; returns its outputs named ``call_name.output``."""
    task_dir = file_store.getLocalTempDir()
    work_dir = os.path.join(task_dir, "work")
    os.makedirs(work_dir, exist_ok=True)
    version = task.effective_wdl_version
    inputs = _localize(inputs, file_store, os.path.join(task_dir, "inputs"), source_dir)
    stdlib = ToilStdLib(version, file_store, os.path.join(task_dir, "write"), work_dir, upload=False)
    env = task_env(task, inputs, stdlib)
    runtime = eval_runtime(task, env, stdlib)
    command = strip_leading_whitespace(task.command.eval(_slashed(env), stdlib=stdlib).value)[1]
    image = _image(runtime)
    engine = _engine(container, image, call_name)
    logger.info("WDL task %s: running its command %s", call_name,
                f"in {image} with {os.path.basename(engine[0])}" if engine else "on the host")
    code = run_command(command, task_dir, work_dir, engine, image)
    ok = _ok_codes(runtime)
    if ok != "*" and code not in ok:
        stderr = _tail(os.path.join(task_dir, "stderr.txt")).rstrip()
        raise TaskFailed(f"task {call_name} failed: its command exited with code {code}"
                         + (f"; the end of its standard error:\n{stderr}" if stderr else
                            " and wrote nothing to standard error"))
    out_lib = output_stdlib(ToilStdLib(version, file_store, os.path.join(task_dir, "write"), work_dir,
                                       upload=False), task_dir, work_dir)
    outputs: Frag = []
    uploaded: Dict[str, str] = {}

    def resolve(optional: bool) -> Any:
        def fn(v: Value.Base) -> Optional[str]:
            path = v.value if os.path.isabs(v.value) else os.path.join(work_dir, v.value)
            directory = isinstance(v, Value.Directory)
            if not (os.path.isdir(path) if directory else os.path.isfile(path)):
                if optional:
                    return None
                kind = "directory" if directory else "file"
                raise WDLRunnerError(f"task {call_name}: output {kind} {v.value} does not exist")
            return path
        return fn

    def upload(v: Value.Base) -> Optional[str]:
        directory = isinstance(v, Value.Directory)
        key = ("d:" if directory else "f:") + v.value
        if key not in uploaded:
            path = os.path.abspath(v.value)
            if os.path.commonpath([path, work_dir]) == work_dir and path != work_dir:
                origin, rel = work_dir, os.path.relpath(path, work_dir)  # keep the layout below work
            else:
                origin, rel = os.path.dirname(path), os.path.basename(path)
            source = pack_directory(path, os.path.join(task_dir, "packed")) if directory else path
            uploaded[key] = file_uri(file_store.writeGlobalFile(source), path, origin=origin, rel=rel,
                                     directory=directory)
        return uploaded[key]

    for decl in _ordered(list(task.outputs)):
        value = decl.expr.eval(env, stdlib=out_lib) if decl.expr is not None else Value.Null()
        try:
            value = value.coerce(decl.type)
        except Exception as err:  # noqa: BLE001 - name the output
            raise WDLRunnerError(f"task {call_name}, output {decl.name}: {err}") from err
        value = map_files(value, resolve(isinstance(decl.type, (Type.File, Type.Directory))
                                         and decl.type.optional))
        env = env.bind(decl.name, value)
        outputs.append((f"{call_name}.{decl.name}", detach(map_files(value, upload))))
    return outputs


def call_resources(task: Tree.Task, inputs: Env.Bindings[Value.Base], file_store: Any, scratch: str,
                   source_dir: str, limits: Dict[str, float]) -> Tuple[Dict[str, Any], Optional[str]]:
    """The Toil resources a task asks for (evaluated before its job is made); on an error in the
    runtime section, the defaults and the error (the task job reports it when it evaluates again)."""
    stdlib = ToilStdLib(task.effective_wdl_version, file_store, scratch, source_dir, upload=False)
    try:
        env = task_env(task, inputs, stdlib)
        return task_resources(eval_runtime(task, env, stdlib), limits), None
    except Exception as err:  # noqa: BLE001 - the task job evaluates again and fails with the full story
        return task_resources({}, limits), str(err)
