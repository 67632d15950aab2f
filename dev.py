#!/usr/bin/env python3
"""Developer entry point for the toil-core monorepo.  Standard library only.

Commands (run from anywhere; paths are relative to this file):

    python3 dev.py setup            create/refresh .venv and install every distribution (editable)
    python3 dev.py demo             setup, then run examples/helloWorld.py on a temporary file: job store
    python3 dev.py test [-- ARGS]   setup, then run the whole suite: .venv/bin/python -m pytest tests ARGS
    python3 dev.py bench [ARGS]     setup, then run bench/run.py ARGS
    python3 dev.py conformance [ARGS]  setup, then the CWL conformance suites (python -m toil_cwl.conformance
                                    --containers both ARGS): passed/failed/unsupported per version and runner;
                                    each test's outcome goes to .conformance/cwl-results.jsonl as it ends, and
                                    a second run resumes where an interrupted one stopped
    python3 dev.py lint             syntax check of every tracked Python file, ruff if it is installed,
                                    then the import contracts (lint-imports) and mypy

Set-up is idempotent: a stamp file in .venv records a hash of every pyproject.toml (and of this file's
requirement list); when nothing changed, set-up is skipped.  Set TOIL_DEV_FORCE_SETUP=1 to reinstall.

A "distribution" is every top-level folder of the repository that holds a pyproject.toml (the root
pyproject.toml is workspace configuration only and is never installed), and every first-party plugin
folder plugins/toil_* with one (plugins/template is the third-party kit's example and is not installed).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Sequence
from pathlib import Path

if sys.version_info < (3, 9):  # noqa: UP036 - say so plainly on interpreters that are too old
    sys.exit(f"toil-core needs Python 3.9 or newer (this is {sys.version.split()[0]})")

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".toil-dev-stamp"

# Installed into .venv next to the distributions.  A distribution may add its own test dependencies by
# declaring a `test` extra in its pyproject.toml ([project.optional-dependencies] test = [...]); the
# root pyproject.toml may list more under [dependency-groups] dev / test (PEP 735).
TEST_REQUIREMENTS = ["pytest>=7", "pytest-timeout", "psutil", "import-linter>=2.0", "mypy>=1.8"]

# Folders never considered distributions even if they hold a pyproject.toml.
IGNORED_DIRS = {".venv", ".git", "build", "dist", "node_modules", "__pycache__"}


def log(msg: str) -> None:
    print(f"[dev.py] {msg}", flush=True)


# --------------------------------------------------------------------------------------------------------
# pyproject.toml reading (tomllib on 3.11+, a small fallback parser on 3.9/3.10)
# --------------------------------------------------------------------------------------------------------

def _load_toml(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    try:
        import tomllib  # type: ignore[import-not-found]  # Python 3.11+
    except ImportError:
        return _mini_toml(text)
    try:
        return tomllib.loads(text)
    except Exception:  # noqa: BLE001 - a broken pyproject must not stop the whole set-up; pip will complain properly
        return _mini_toml(text)


def _mini_toml(text: str) -> dict:
    """Just enough TOML for what dev.py reads: [tables], key = "string" and key = [array of strings]."""
    data: dict = {}
    table = data
    lines = iter(text.splitlines())
    for raw in lines:
        line = _strip_comment(raw).strip()
        if not line:
            continue
        m = re.match(r"^\[([^\[\]]+)\]$", line)
        if m:
            table = data
            for part in _split_key(m.group(1)):
                table = table.setdefault(part, {})
            continue
        m = re.match(r'^("[^"]+"|[A-Za-z0-9_.-]+)\s*=\s*(.*)$', line)
        if not m:
            continue
        key, value = m.group(1).strip('"'), m.group(2).strip()
        if value.startswith("["):
            buf = value
            while buf.count("[") > buf.count("]"):
                try:
                    buf += " " + _strip_comment(next(lines)).strip()
                except StopIteration:
                    break
            table[key] = re.findall(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'', buf)
            table[key] = [a or b for a, b in table[key]]
        elif value[:1] in "\"'":
            table[key] = value[1:].split(value[0], 1)[0]
        else:
            table[key] = value
    return data


def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def _split_key(key: str) -> list[str]:
    return [p.strip().strip('"') for p in re.findall(r'"[^"]*"|[^.]+', key)]


# --------------------------------------------------------------------------------------------------------
# Distributions and requirements
# --------------------------------------------------------------------------------------------------------

def discover_distributions(root: Path = ROOT) -> list[Path]:
    """Every top-level folder with a pyproject.toml, then the first-party plugins (plugins/toil_*),
    sorted, toil_core first (others depend on it)."""
    found = [
        p for p in root.iterdir()
        if p.is_dir() and p.name not in IGNORED_DIRS and not p.name.startswith(".")
        and (p / "pyproject.toml").is_file()
    ]
    plugins = root / "plugins"
    if plugins.is_dir():
        found += [p for p in plugins.iterdir()
                  if p.is_dir() and p.name.startswith("toil_") and (p / "pyproject.toml").is_file()]
    return sorted(found, key=lambda p: (p.name != "toil_core", p.relative_to(root).as_posix()))


def _test_extra(dist: Path) -> bool:
    project = _load_toml(dist / "pyproject.toml").get("project", {})
    return "test" in (project.get("optional-dependencies") or {})


def _root_dev_requirements(root: Path = ROOT) -> list[str]:
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return []
    groups = _load_toml(pyproject).get("dependency-groups", {}) or {}
    reqs: list[str] = []
    for name in ("dev", "test"):
        for item in groups.get(name, []) or []:
            if isinstance(item, str) and item not in reqs:  # {include-group = ...} tables are ignored
                reqs.append(item)
    return reqs


def install_arguments(root: Path = ROOT) -> list[str]:
    """The `pip install` arguments for the whole workspace."""
    args: list[str] = []
    for dist in discover_distributions(root):
        spec = "./" + dist.relative_to(root).as_posix() + ("[test]" if _test_extra(dist) else "")
        args += ["-e", spec]
    return args + TEST_REQUIREMENTS + _root_dev_requirements(root)


def setup_fingerprint(root: Path = ROOT) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(TEST_REQUIREMENTS).encode())
    files = [root / "pyproject.toml"] + [d / "pyproject.toml" for d in discover_distributions(root)]
    for f in files:
        if f.is_file():
            h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


# --------------------------------------------------------------------------------------------------------
# Virtual environment
# --------------------------------------------------------------------------------------------------------

def venv_python(venv: Path = VENV) -> Path:
    if os.name == "nt":  # pragma: no cover
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def _venv_works(venv: Path) -> bool:
    py = venv_python(venv)
    if not py.exists():
        return False
    try:
        return subprocess.run([str(py), "-c", "import sys"], capture_output=True, check=False).returncode == 0
    except OSError:
        return False


def _has_pip(py: Path) -> bool:
    proc = subprocess.run([str(py), "-m", "pip", "--version"], capture_output=True, check=False)
    return proc.returncode == 0


def venv_env(venv: Path = VENV) -> dict[str, str]:
    """The environment of an activated venv: its bin directory first on PATH (Toil's single_machine batch
    system starts workers as `_toil_worker` by name)."""
    env = dict(os.environ)
    env.pop("PYTHONHOME", None)
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = str(venv_python(venv).parent) + os.pathsep + env.get("PATH", "")
    return env


def run(cmd: Sequence[str], **kwargs) -> None:
    log("$ " + " ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def _version_tuple(text: str) -> tuple | None:
    """Numeric release versions only ("24.0" -> (24, 0)); pre-releases and dev versions give None."""
    return tuple(int(x) for x in text.split(".")) if re.fullmatch(r"\d+(\.\d+)*", text) else None


def _python_ok(requires_python: str | None, version: Sequence[int] = sys.version_info[:3]) -> bool:
    """A small evaluator for Requires-Python (">=3.9", ">=3.7,!=3.8.*,<4"); unknown clauses pass."""
    for clause in (requires_python or "").split(","):
        m = re.fullmatch(r"\s*(>=|<=|==|!=|>|<|~=)\s*([\d.]+)(\.\*)?\s*", clause)
        if not m:
            continue
        op, want, wildcard = m.group(1), tuple(int(x) for x in m.group(2).split(".")), m.group(3)
        have = tuple(version[:len(want)]) if wildcard else tuple(version)
        want_padded = want + (0,) * (len(have) - len(want)) if not wildcard else want
        ok = {
            ">=": have >= want_padded, ">": have > want_padded, "<=": have <= want_padded,
            "<": have < want_padded, "==": have == want_padded, "!=": have != want_padded,
            "~=": have >= want_padded,
        }[op]
        if not ok:
            return False
    return True


def _bootstrap_pip(py: Path) -> None:
    """For interpreters without ensurepip (Debian/Ubuntu without python3-venv): fetch the newest pip wheel
    that supports this Python from PyPI, check its sha256, and let pip install itself from that wheel."""
    from urllib.parse import urljoin

    log("ensurepip is not available; bootstrapping pip from PyPI")
    index = os.environ.get("TOIL_DEV_PYPI_JSON", "https://pypi.org/pypi/pip/json")
    try:
        with urllib.request.urlopen(index, timeout=60) as resp:
            meta = json.load(resp)
        candidates = []
        for version, files in meta.get("releases", {}).items():
            vt = _version_tuple(version)
            for f in files:
                if vt and f.get("packagetype") == "bdist_wheel" and not f.get("yanked") \
                        and _python_ok(f.get("requires_python")):
                    candidates.append((vt, f))
        if not candidates:
            raise RuntimeError(f"no pip wheel for Python {sys.version.split()[0]} listed at {index}")
        wheel = max(candidates, key=lambda c: c[0])[1]
        with urllib.request.urlopen(urljoin(index, wheel["url"]), timeout=300) as resp:
            data = resp.read()
        if hashlib.sha256(data).hexdigest() != wheel["digests"]["sha256"]:
            raise RuntimeError("the downloaded pip wheel does not match its published sha256")
    except Exception as e:  # noqa: BLE001 - network, proxy or index trouble: say what to do instead
        raise SystemExit(
            f"[dev.py] could not bootstrap pip ({e}).\n"
            "Install the venv/ensurepip support of your Python (Debian/Ubuntu: apt install python3-venv) "
            "and rerun, or make https://pypi.org reachable.")
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / wheel["filename"]
        target.write_bytes(data)
        run([py, str(target) + "/pip", "install", "-q", "--no-index", str(target)])


def ensure_venv(venv: Path = VENV) -> Path:
    py = venv_python(venv)
    if _venv_works(venv) and _has_pip(py):
        return py
    if venv.exists() and not _venv_works(venv):
        log(f"{venv} exists but its python does not run; recreating it")
    log(f"creating virtual environment {venv}")
    use_ensurepip = os.environ.get("TOIL_DEV_NO_ENSUREPIP") != "1"
    if use_ensurepip:
        try:
            import ensurepip  # noqa: F401
        except ImportError:
            use_ensurepip = False
    cmd = [sys.executable, "-m", "venv", "--clear", str(venv)]
    if not use_ensurepip:
        cmd.insert(-1, "--without-pip")
    try:
        run(cmd)
    except subprocess.CalledProcessError:
        if not use_ensurepip:
            raise
        # Some distributions ship a venv module whose pip step fails; retry without pip and bootstrap.
        use_ensurepip = False
        run(cmd[:-1] + ["--without-pip", str(venv)])
    if not _has_pip(py):
        _bootstrap_pip(py)
    return py


def setup(force: bool = False) -> Path:
    """Create .venv if needed and install the workspace.  Returns the venv's python."""
    py = ensure_venv()
    fingerprint = setup_fingerprint()
    force = force or os.environ.get("TOIL_DEV_FORCE_SETUP") == "1"
    if not force and STAMP.is_file() and STAMP.read_text().strip() == fingerprint:
        log("environment up to date (.venv); skipping install")
        return py
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    run([py, "-m", "pip", "install", "-q", "--upgrade", "pip"], cwd=ROOT, env=env)
    dists = [d.relative_to(ROOT).as_posix() for d in discover_distributions()]
    log("distributions: " + (", ".join(dists) or "(none)"))
    run([py, "-m", "pip", "install", "-q"] + install_arguments(), cwd=ROOT, env=env)
    STAMP.write_text(fingerprint + "\n")
    log("environment ready: " + str(py))
    return py


# --------------------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------------------

def cmd_setup(args: argparse.Namespace, extra: list[str]) -> int:
    setup(force=args.force)
    return 0


def cmd_demo(args: argparse.Namespace, extra: list[str]) -> int:
    py = setup()
    with tempfile.TemporaryDirectory(prefix="toil-demo-") as tmp:
        store = "file:" + os.path.join(tmp, "demo-store")
        log(f"$ {py.relative_to(ROOT)} examples/helloWorld.py {store}")
        proc = subprocess.run(
            [str(py), str(ROOT / "examples" / "helloWorld.py"), store] + extra,
            cwd=ROOT, env=venv_env(), check=False,
        )
    if proc.returncode == 0:
        log("demo finished")
    else:
        log(f"demo failed with exit code {proc.returncode}")
    return proc.returncode


def cmd_test(args: argparse.Namespace, extra: list[str]) -> int:
    py = setup()
    # the slowest tests are listed at the end, so a CI log shows where its time budget goes
    cmd = [str(py), "-m", "pytest", "tests", "--durations=30"] + extra
    log("$ " + " ".join(cmd))
    return subprocess.run(cmd, cwd=ROOT, env=venv_env(), check=False).returncode


def cmd_bench(args: argparse.Namespace, extra: list[str]) -> int:
    py = setup()
    cmd = [str(py), str(ROOT / "bench" / "run.py")] + extra
    log("$ " + " ".join(cmd))
    return subprocess.run(cmd, cwd=ROOT, env=venv_env(), check=False).returncode


def cmd_conformance(args: argparse.Namespace, extra: list[str]) -> int:
    py = setup()
    cmd = [str(py), "-m", "toil_cwl.conformance", "--containers", "both"]
    if not any(a == "--results" or a.startswith("--results=") for a in extra):
        # every test's outcome is kept here as it ends: an interrupted run resumes where it stopped
        cmd += ["--results", str(ROOT / ".conformance" / "cwl-results.jsonl"), "--logs", str(ROOT / ".conformance" / "logs")]
    cmd += extra
    log("$ " + " ".join(cmd))
    return subprocess.run(cmd, cwd=ROOT, env=venv_env(), check=False).returncode


def python_sources(root: Path = ROOT) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS and not d.startswith(".")]
        out += [Path(dirpath) / f for f in filenames if f.endswith(".py")]
    return sorted(out)


def cmd_lint(args: argparse.Namespace, extra: list[str]) -> int:
    failures = 0
    sources = python_sources()
    for src in sources:
        try:
            compile(src.read_bytes(), str(src), "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as e:
            failures += 1
            print(f"{src.relative_to(ROOT)}: {type(e).__name__}: {e}", file=sys.stderr)
    log(f"syntax check: {len(sources)} files, {failures} failing")
    ruff: list[str] | None = None
    venv_ruff = VENV / "bin" / "ruff"
    if venv_ruff.exists():
        ruff = [str(venv_ruff)]
    elif shutil.which("ruff"):
        ruff = [shutil.which("ruff")]  # type: ignore[list-item]
    elif _venv_works(VENV) and subprocess.run([str(venv_python()), "-c", "import ruff"],
                                              capture_output=True, check=False).returncode == 0:
        ruff = [str(venv_python()), "-m", "ruff"]
    rc = 1 if failures else 0
    if ruff is None:
        log("ruff is not installed; skipping style checks (install it with: .venv/bin/pip install ruff)")
    else:
        cmd = ruff + ["check", "."] + extra
        log("$ " + " ".join(cmd))
        rc = subprocess.run(cmd, cwd=ROOT, check=False).returncode or rc
    # The import contracts (layers, plugin API, core independence) and the type check, with the
    # root pyproject.toml's settings; both are test requirements (`python3 dev.py setup`).
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT / "plugins" / "template" / "src"), os.environ.get("PYTHONPATH", "")]))
    for tool, cmd in (("import-linter", [str(VENV / "bin" / "lint-imports"), "--no-cache"]),
                      ("mypy", [str(VENV / "bin" / "mypy")])):
        if not Path(cmd[0]).exists():
            log(f"{tool} is not installed; run `python3 dev.py setup` first")
            rc = rc or 1
            continue
        log("$ " + " ".join(cmd))
        rc = subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode or rc
    return rc


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    passthrough: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, passthrough = argv[:i], argv[i + 1:]
    parser = argparse.ArgumentParser(prog="dev.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", metavar="{setup,demo,test,bench,lint,conformance}")
    sub.required = True
    p = sub.add_parser("setup", help="create .venv and install every distribution (editable)")
    p.add_argument("--force", action="store_true", help="reinstall even if the stamp is current")
    p.set_defaults(func=cmd_setup)
    sub.add_parser("demo", help="set up, then run examples/helloWorld.py").set_defaults(func=cmd_demo)
    sub.add_parser("test", help="set up, then run pytest on tests/ (args after -- go to pytest)"
                   ).set_defaults(func=cmd_test)
    sub.add_parser("bench", help="set up, then run bench/run.py (args go to it)").set_defaults(func=cmd_bench)
    sub.add_parser("lint", help="syntax check, then ruff if installed").set_defaults(func=cmd_lint)
    sub.add_parser("conformance", help="set up, then run the CWL conformance suites (args go to "
                   "python -m toil_cwl.conformance)").set_defaults(func=cmd_conformance)
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.command == "setup":
        parser.error("unrecognized arguments: " + " ".join(unknown))
    try:
        return args.func(args, unknown + passthrough)
    except subprocess.CalledProcessError as e:
        log(f"command failed with exit code {e.returncode}: {' '.join(map(str, e.cmd))}")
        return e.returncode or 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
