"""How CWL ``location`` URIs name files and directories kept in a Toil job store.

Two URI schemes, both understood by :class:`toil_cwl.fsaccess.ToilFsAccess` and
:class:`toil_cwl.fsaccess.ToilPathMapper` inside jobs and by the exporter on the leader:

``toilfile:<packed FileID>/<basename>``
    One file of the job store. The packed FileID (``FileID.pack()``: size, executable bit and ID)
    is percent-encoded so that it holds no ``/``; the last path segment is the file's name, so
    cwltool derives the right ``basename`` from the location when it has to.

``toildir:<tree>/<dirname>[/<relative path>]``
    A directory. ``<tree>`` is the whole directory content, compressed and base64url-encoded:
    a JSON object mapping each entry name to either a ``toilfile:`` URI (a file) or another
    such object (a subdirectory). With a relative path the URI names an entry inside the
    directory, which is what ``listdir`` hands out. A directory URI carries its own content, so
    a Directory value stays valid wherever it travels, with or without a ``listing``.

In a run that updates files in place (InplaceUpdateRequirement), directory URIs carry an identity:
``toildir:<tree>.<nonce>/<dirname>`` (``.`` is not in the base64url alphabet), so that two directories
with the same content stay distinct values when one of them is updated (see :mod:`toil_cwl.inplace`).

Literal files and directories (``_:`` locations, with ``contents`` or ``listing``) pass
through unchanged.
"""
from __future__ import annotations

import base64
import json
import urllib.parse
import zlib
from typing import Any, Dict, List, Optional, Tuple, Union

from toil.fileStores import FileID

__all__ = [
    "DIR_SCHEME",
    "FILE_SCHEME",
    "Tree",
    "decode_tree",
    "below",
    "dir_root",
    "dir_uri",
    "encode_tree",
    "file_uri_for",
    "is_toil_uri",
    "lookup",
    "parse_file_uri",
    "resolve_entry",
    "split_dir_uri",
    "tree_size",
]

FILE_SCHEME = "toilfile:"
DIR_SCHEME = "toildir:"

#: A directory's content: name -> ``toilfile:`` URI or sub-tree.
Tree = Dict[str, Union[str, "Tree"]]


def is_toil_uri(location: Any) -> bool:
    return isinstance(location, str) and location.startswith((FILE_SCHEME, DIR_SCHEME))


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def file_uri_for(file_id: FileID, basename: str) -> str:
    """The ``toilfile:`` URI of a stored file called ``basename``."""
    if not isinstance(file_id, FileID):
        raise TypeError(f"need a FileID (with its size), got {file_id!r}")
    return f"{FILE_SCHEME}{_quote(file_id.pack())}/{_quote(basename or 'file')}"


def parse_file_uri(uri: str) -> Tuple[FileID, str]:
    """``(FileID, basename)`` of a ``toilfile:`` URI."""
    if not uri.startswith(FILE_SCHEME):
        raise ValueError(f"not a {FILE_SCHEME} URI: {uri!r}")
    body = uri[len(FILE_SCHEME):]
    packed, _, name = body.partition("/")
    file_id = FileID.unpack(urllib.parse.unquote(packed))
    return file_id, urllib.parse.unquote(name.split("/")[-1]) if name else "file"


def encode_tree(tree: Tree) -> str:
    raw = json.dumps(tree, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(zlib.compress(raw, 6)).decode("ascii").rstrip("=")


def decode_tree(text: str) -> Tree:
    text = text.split(".", 1)[0]  # drop the identity nonce, if any
    padded = text + "=" * (-len(text) % 4)
    try:
        return json.loads(zlib.decompress(base64.urlsafe_b64decode(padded)).decode("utf-8"))
    except (ValueError, zlib.error) as err:
        raise ValueError(f"damaged {DIR_SCHEME} URI ({err})") from err


def dir_uri(tree: Tree, dirname: str, nonce: Optional[str] = None) -> str:
    """The ``toildir:`` URI of a directory called ``dirname`` holding ``tree`` (with an identity
    ``nonce``, made of URL-safe characters, in runs that update directories in place)."""
    identity = f".{nonce}" if nonce else ""
    return f"{DIR_SCHEME}{encode_tree(tree)}{identity}/{_quote(dirname or 'dir')}"


def dir_root(uri: str) -> Tuple[str, List[str]]:
    """``(URI of the directory itself, path components below it)`` of a ``toildir:`` URI."""
    encoded, name, parts = split_dir_uri(uri)
    return f"{DIR_SCHEME}{encoded}/{_quote(name)}", parts


def below(root: str, parts: List[str]) -> str:
    """The URI of the entry at ``parts`` below the directory URI ``root``."""
    return "/".join([root.rstrip("/"), *(_quote(p) for p in parts)])


def split_dir_uri(uri: str) -> Tuple[str, str, List[str]]:
    """``(encoded tree, directory name, path components below it)`` of a ``toildir:`` URI."""
    if not uri.startswith(DIR_SCHEME):
        raise ValueError(f"not a {DIR_SCHEME} URI: {uri!r}")
    parts = uri[len(DIR_SCHEME):].split("/")
    encoded, rest = parts[0], [p for p in parts[1:] if p not in ("", ".")]
    name = urllib.parse.unquote(rest[0]) if rest else "dir"
    return encoded, name, [urllib.parse.unquote(p) for p in rest[1:]]


def lookup(tree: Tree, parts: List[str]) -> Optional[Union[str, Tree]]:
    """The entry at ``parts`` below ``tree`` (a ``toilfile:`` URI or a sub-tree), or None."""
    node: Union[str, Tree] = tree
    for part in parts:
        if part == "..":
            return None
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def resolve_entry(uri: str) -> Tuple[str, Optional[Union[str, Tree]]]:
    """Resolve any toil URI to ``(kind, entry)``: kind ``"file"`` with a ``toilfile:`` URI,
    ``"dir"`` with a tree, or ``"missing"`` with None."""
    if uri.startswith(FILE_SCHEME):
        if uri.count("/") > 1:  # toilfile:<id>/<name>/<something>: nothing lives below a file
            return "missing", None
        return "file", uri
    encoded, _, parts = split_dir_uri(uri)
    node = lookup(decode_tree(encoded), parts)
    if node is None:
        return "missing", None
    if isinstance(node, dict):
        return "dir", node
    return "file", node


def tree_size(tree: Tree) -> int:
    """Number of files in ``tree`` (recursively)."""
    return sum(tree_size(v) if isinstance(v, dict) else 1 for v in tree.values())
