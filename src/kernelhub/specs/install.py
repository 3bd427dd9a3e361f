"""Installing and removing kernelspecs, atomically.

A spec is built in a staging directory inside the destination (``.kernelhub-staging-*``, whose
top level holds no kernel.json, so no Jupyter tool takes it for a spec) and renamed into place.
Replacing swaps the old and new directories in one ``renameat2(RENAME_EXCHANGE)`` where the
system has it, else with two renames: a crash never leaves a half-written spec behind, at worst
the old one moved into the staging directory. Removal renames the spec away before deleting it.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kernelhub import paths
from kernelhub.errors import InvalidSpecError, SpecError, SpecExistsError
from kernelhub.specs.model import check_name, parse_spec
from kernelhub.specs.reader import MAX_SPEC_BYTES
from kernelhub.specs.registry import SpecEntry, SpecRegistry

__all__ = ["install_spec", "place", "remove_specs", "stale_spec_names"]

_STAGING = ".kernelhub-staging-"


def _destination(user: bool, sys_prefix: bool, prefix: str | None) -> str:
    if user + sys_prefix + (prefix is not None) > 1:
        raise SpecError("choose at most one of user, sys_prefix and prefix for the destination")
    if sys_prefix:
        return paths.env_kernel_dir()
    if prefix is not None:
        return paths.env_kernel_dir(os.path.abspath(prefix))
    return paths.user_kernel_dir()


def _read_source(source_dir: str) -> dict[str, Any]:
    kernel_file = os.path.join(source_dir, "kernel.json")
    try:
        with open(kernel_file, "rb") as f:
            raw = f.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise InvalidSpecError(kernel_file, None, f"cannot be read: {exc.strerror}") from None
    if len(raw) > MAX_SPEC_BYTES:
        raise InvalidSpecError(kernel_file, None, "is over 1 MiB; expected a small JSON object")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InvalidSpecError(kernel_file, None, f"not valid UTF-8 JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidSpecError(kernel_file, None, "expected a JSON object")
    return data


def _exchange(a: str, b: str) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); ``False`` if unsupported here."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc: int = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), b)


def _existing(kernels_dir: str, name: str) -> str | None:
    """The entry of ``kernels_dir`` that already holds ``name`` (in any case), if one does."""
    try:
        entries = os.listdir(kernels_dir)
    except OSError:
        return None
    for entry in sorted(entries):
        if entry.lower() == name:
            return os.path.join(kernels_dir, entry)
    return None


def _kernel_data(
    source_dir: str | None,
    *,
    name: str | None,
    argv: Sequence[str] | None,
    display_name: str | None,
    language: str | None,
    env: Mapping[str, str] | None,
    interrupt_mode: str | None,
) -> tuple[str, dict[str, Any]]:
    """The validated name and kernel.json content of the spec to install."""
    if source_dir is not None:
        data = _read_source(source_dir)
        source_file = os.path.join(source_dir, "kernel.json")
        parse_spec(data, path=source_file, name="", resource_dir=source_dir)
        name = name or os.path.basename(source_dir)
    elif argv is None:
        raise SpecError("install needs a source directory or argv")
    else:
        data = {}
    if not name:
        raise SpecError("install from arguments needs a name")
    name = check_name(name)
    kernel_file = os.path.join("<destination>", name, "kernel.json")
    if argv is not None:
        data["argv"] = list(argv)
    if display_name is not None or "display_name" not in data:
        data["display_name"] = display_name or name
    if language is not None:
        data["language"] = language
    elif "language" not in data:
        raise InvalidSpecError(kernel_file, "language", "required when installing from argv")
    if interrupt_mode is not None:
        data["interrupt_mode"] = interrupt_mode
    if env:
        data["env"] = {**data.get("env", {}), **env}
    parse_spec(data, path=kernel_file, name=name, resource_dir=os.path.dirname(kernel_file))
    return name, data


def _place(
    kernels_dir: str, name: str, source_dir: str | None, data: dict[str, Any], replace: bool
) -> str:
    """Build the spec in a staging directory and move it into ``kernels_dir``."""
    try:
        os.makedirs(kernels_dir, exist_ok=True)
    except OSError as exc:
        raise SpecError(f"cannot create {kernels_dir}: {exc.strerror}") from None
    existing = _existing(kernels_dir, name)
    if existing is not None and not replace:
        raise SpecExistsError(
            f"kernelspec {name!r} already exists at {existing}; "
            "replace it with --replace (replace=True)"
        )
    target = os.path.join(kernels_dir, name)
    try:
        staging = tempfile.mkdtemp(prefix=_STAGING, dir=kernels_dir)
    except OSError as exc:
        raise SpecError(f"cannot install into {kernels_dir}: {exc.strerror}") from None
    try:
        new = os.path.join(staging, "spec")
        if source_dir is not None:
            shutil.copytree(source_dir, new, ignore=shutil.ignore_patterns("kernel.json"))
        else:
            os.mkdir(new)
        with open(os.path.join(new, "kernel.json"), "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, ensure_ascii=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        if existing is None:
            os.rename(new, target)
        elif not _exchange(new, existing):
            os.rename(existing, os.path.join(staging, "old"))
            os.rename(new, existing)
        return existing or target
    except OSError as exc:
        if existing is None and exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise SpecExistsError(f"kernelspec {name!r} appeared at {target} meanwhile") from None
        raise SpecError(f"cannot install kernelspec {name!r} to {target}: {exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def install_spec(
    source_dir: str | None = None,
    *,
    name: str | None = None,
    argv: Sequence[str] | None = None,
    display_name: str | None = None,
    language: str | None = None,
    env: Mapping[str, str] | None = None,
    interrupt_mode: str | None = None,
    user: bool = False,
    sys_prefix: bool = False,
    prefix: str | None = None,
    replace: bool = False,
) -> str:
    """Install a kernelspec and return its directory.

    From ``source_dir`` (its kernel.json and every other file are copied; the keyword
    arguments override kernel.json fields, ``env`` is merged in) or from the arguments alone
    (``argv`` and ``language`` required; ``display_name`` defaults to the name). The name
    defaults to the source directory's; it is lower-cased and must follow the name rule
    (:class:`InvalidNameError`). Destination: ``user`` (the default), ``sys_prefix`` or
    ``prefix``. An existing spec of that name there (in any case) raises
    :class:`SpecExistsError` unless ``replace``; replacing keeps the existing directory name.
    """
    kernels_dir = _destination(user, sys_prefix, prefix)
    if source_dir is not None:
        source_dir = source_dir.rstrip("/\\") or source_dir
    name, data = _kernel_data(
        source_dir,
        name=name,
        argv=argv,
        display_name=display_name,
        language=language,
        env=env,
        interrupt_mode=interrupt_mode,
    )
    return _place(kernels_dir, name, source_dir, data, replace)


def _delete(path: str) -> None:
    if os.path.islink(path) or not os.path.isdir(path):
        os.unlink(path)
        return
    # Rename first: the spec disappears in one step, then the files go at leisure.
    staging = tempfile.mkdtemp(prefix=_STAGING, dir=os.path.dirname(path))
    try:
        os.rename(path, os.path.join(staging, "old"))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def remove_specs(
    names: Iterable[str], *, missing_only: bool = False, registry: SpecRegistry | None = None
) -> list[str]:
    """Remove the winning spec of each name and return the directories removed.

    Every name is checked before anything is deleted: an unknown one raises
    :class:`NoSuchKernelError`, the native kernel (it has no directory) :class:`SpecError`.
    With ``missing_only``, only specs whose program is gone are removed (stale with no
    ``executable``; a spec that is stale because its Python lacks ipykernel is kept: installing
    ipykernel mends it); the others named are left alone. Aliases are not followed: removing
    ``python`` never removes ``python3``.
    """
    registry = registry or SpecRegistry()
    chosen: dict[str, str] = {}
    for name in names:
        entry = registry.entry(name, aliases=False)
        if entry.kernel_file is None:
            raise SpecError(
                f"{entry.name!r} is the native kernel of this interpreter (ipykernel); "
                "it has no directory to remove"
            )
        if missing_only and not _missing(entry):
            continue
        chosen[entry.name] = entry.resource_dir
    removed: list[str] = []
    for name, path in chosen.items():
        try:
            _delete(path)
        except OSError as exc:
            raise SpecError(f"cannot remove kernelspec {name!r} at {path}: {exc}") from None
        removed.append(path)
    return removed


def _missing(entry: SpecEntry) -> bool:
    return entry.status == "stale" and entry.spec is not None and entry.executable is None


def stale_spec_names(registry: SpecRegistry | None = None) -> list[str]:
    """The names whose winning spec's program is gone (``argv[0]`` found neither as a file nor
    on PATH): what ``--missing`` removes."""
    registry = registry or SpecRegistry()
    return [e.name for e in registry.entries() if _missing(e)]


def _same_dir(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def place(resource_dir: str) -> str:
    """Whose kernelspecs ``resource_dir`` is among, for people: "the user's kernelspecs", ..."""
    kernels_dir = os.path.dirname(resource_dir)
    if _same_dir(kernels_dir, paths.user_kernel_dir()):
        return "the user's kernelspecs"
    if _same_dir(kernels_dir, paths.env_kernel_dir()):
        return f"kernelhub's own environment ({sys.prefix})"
    if any(_same_dir(kernels_dir, d) for d in paths.system_kernel_dirs()):
        return "the system-wide kernelspecs"
    if _same_dir(kernels_dir, paths.ipython_kernel_dir()):
        return "IPython's legacy kernelspecs"
    tail = os.path.join("share", "jupyter", "kernels")
    if kernels_dir.endswith(os.sep + tail):
        return f"the environment {kernels_dir[: -len(tail) - 1]}"
    return "the JUPYTER_PATH kernelspecs"
