"""Rendering ``toil status`` job graphs with Graphviz, for ``toil status --dotFile FILE``.

The graph is the DOT text ``--printDot`` prints. ``.dot``/``.gv`` files get that text as is;
``.svg``, ``.png`` and ``.pdf`` files are drawn by Graphviz's ``dot`` program, which must be on the
PATH (it is not a Python package). The format comes from the file's extension.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import Optional

from toil_core.lib.errors import ToilError

__all__ = ["DOT_FORMATS", "DotRenderError", "dot_format", "find_dot", "render_dot"]

#: File extension -> Graphviz output format (None: the DOT text itself, no Graphviz needed).
DOT_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": None, ".gv": None}

INSTALL_HINT = ("Install Graphviz (Debian/Ubuntu: 'apt install graphviz'; Fedora/RHEL: 'dnf install "
                "graphviz'; macOS: 'brew install graphviz'; conda: 'conda install graphviz'), or use "
                "--printDot to print the graph as DOT text, or give a .dot file.")


class DotRenderError(ToilError):
    """The graph can't be rendered; the message says why and what to do."""


def dot_format(path: str) -> Optional[str]:
    """The Graphviz format for ``path`` (None for DOT text); DotRenderError for other extensions."""
    extension = os.path.splitext(path)[1].lower()
    if extension not in DOT_FORMATS:
        raise DotRenderError(f"Can't tell the graph format of '{path}': give a file name ending in "
                             f"{', '.join(sorted(DOT_FORMATS))}.")
    return DOT_FORMATS[extension]


def find_dot() -> str:
    """The path of Graphviz's ``dot``; DotRenderError naming how to install it if it is missing."""
    program = shutil.which("dot")
    if program is None:
        raise DotRenderError("Drawing the job graph needs Graphviz's 'dot' program, which is not on the "
                             "PATH. " + INSTALL_HINT)
    return program


def render_dot(dot_text: str, path: str, timeout: float = 300) -> None:
    """Write ``dot_text`` to ``path``, drawn by Graphviz unless ``path`` is a .dot/.gv file."""
    kind = dot_format(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise DotRenderError(f"Can't write the job graph '{path}': the directory {directory} does not exist.")
    if kind is None:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(dot_text)
        return
    program = find_dot()
    try:
        proc = subprocess.run([program, f"-T{kind}", "-o", path], input=dot_text.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise DotRenderError(f"Graphviz did not finish drawing '{path}' within {timeout:.0f} seconds; "
                             "use --jobs to draw fewer jobs, or --printDot for the DOT text.") from error
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", errors="replace").strip()
        raise DotRenderError(f"Graphviz failed to draw '{path}' (exit status {proc.returncode}): {detail}")
