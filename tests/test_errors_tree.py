"""The exception tree drawn in errors.py's docstring is the tree of its classes."""

from __future__ import annotations

import re

import pytest

from kernelhub import errors

# One drawn line: the glyphs before a name give its depth (four characters a level).
_LINE = re.compile(r"^(?P<indent>[ │├└─]*)(?P<name>[A-Z]\w*Error)\b")


def _drawn() -> dict[str, str | None]:
    """Each class named in the drawing -> the class drawn as its parent."""
    parents: dict[str, str | None] = {}
    path: list[str] = []
    for line in (errors.__doc__ or "").splitlines():
        match = _LINE.match(line[4:]) if line.startswith("    ") else None
        if match is None:
            continue
        depth = len(match["indent"]) // 4
        del path[depth:]
        parents[match["name"]] = path[-1] if path else None
        path.append(match["name"])
    return parents


def _classes() -> dict[str, str | None]:
    """Each error class of the module -> its parent inside the tree."""
    out: dict[str, str | None] = {}
    for name in errors.__all__:
        cls = getattr(errors, name)
        if isinstance(cls, type) and issubclass(cls, errors.KernelhubError):
            inside = [b for b in cls.__bases__ if issubclass(b, errors.KernelhubError)]
            assert len(inside) <= 1, f"{name} has two parents in the tree"
            out[name] = inside[0].__name__ if inside else None
    return out


def test_the_drawn_tree_is_the_class_tree() -> None:
    assert _drawn() == _classes()


def test_every_error_class_is_exported() -> None:
    defined = {
        name
        for name, obj in vars(errors).items()
        if isinstance(obj, type) and issubclass(obj, errors.KernelhubError)
    }
    assert defined == set(_classes())


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.KernelTimeoutError, TimeoutError),
        (errors.LaunchParamsError, ValueError),
        (errors.ConfigError, ValueError),
        (errors.PathError, ValueError),
        (errors.InvalidArgumentError, ValueError),
        (errors.UnknownArgumentError, TypeError),
        (errors.WrongStateError, RuntimeError),
        (errors.NoSuchKernelError, LookupError),
    ],
)
def test_errors_callers_catch_as_builtins_are_those_builtins(
    cls: type[errors.KernelhubError], builtin: type[Exception]
) -> None:
    assert issubclass(cls, builtin)
    assert issubclass(cls, errors.KernelhubError)
    # The drawing says so, for people reading it.
    line = next(x for x in (errors.__doc__ or "").splitlines() if f" {cls.__name__} " in x)
    assert builtin.__name__ in line


def test_old_import_paths_still_work() -> None:
    from kernelhub.server.config import ConfigError
    from kernelhub.server.kernels.rootdir import PathError

    assert ConfigError is errors.ConfigError
    assert PathError is errors.PathError
