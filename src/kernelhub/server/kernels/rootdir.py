"""Kernel working directories: API paths, relative to the server's root, checked to stay in it."""

from __future__ import annotations

import os

from kernelhub.errors import PathError

__all__ = ["PathError", "resolve_path"]


def resolve_path(root: str, path: str | None, *, nearest: bool = False) -> str:
    """The absolute working directory for an API ``path`` (relative to ``root``, as in Jupyter
    Server: a leading ``/`` is the root too; empty or ``None`` is the root). It must not leave
    the root; it must be a directory, or with ``nearest`` the closest existing directory above
    it (a session's path names a notebook). Raises PathError."""
    if not path:
        return root
    if "\x00" in path:
        # No file name can hold NUL; os.path would raise ValueError (a 500) on it.
        raise PathError(f"path {path!r} holds a NUL character; expected a directory name")
    target = os.path.realpath(os.path.join(root, path.lstrip("/")))
    if os.path.commonpath([root, target]) != root:
        raise PathError(f"path {path!r} is outside the server's root directory")
    while nearest and not os.path.isdir(target) and target != root:
        target = os.path.dirname(target)
    if not os.path.isdir(target):
        raise PathError(f"path {path!r} is not a directory under the server's root")
    return target
