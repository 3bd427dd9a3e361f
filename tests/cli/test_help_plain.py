"""--help and error messages are plain text: no reST markup reaches a user."""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path

import pytest

import kernelhub
from kernelhub.cli import COMMANDS, main, plain

# ``code``, :role:`target`, `a link`_, a literal block's "::", a directive.
MARKUP = re.compile(r"``|:[a-z]+(:[a-z]+)*:`|`_|::\s*$|^\s*\.\. [a-z-]+::", re.MULTILINE)
SRC = Path(kernelhub.__file__).parent


def help_of(*command: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    return out.getvalue()


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_every_commands_help_is_plain_text(command: str) -> None:
    text = help_of(*([command] if command else []))
    assert "usage: kernelhub" in text
    found = [line for line in text.splitlines() if MARKUP.search(line)]
    assert found == [], found


def test_plain_turns_each_kind_of_markup_into_text() -> None:
    assert plain("``kernelhub list``: see :func:`kernelhub.start_kernel`") == (
        "kernelhub list: see kernelhub.start_kernel"
    )
    assert plain(":class:`~kernelhub.errors.SpecError` and :meth:`x <a.b>`") == "SpecError and x"
    assert plain("`the docs <https://example.org>`_") == "the docs (https://example.org)"
    assert plain("for example::\n\n    kernelhub list\n") == "for example:\n\n    kernelhub list\n"
    assert plain("text\n\n::\n\n    code\n") == "text\n\n\n    code\n"
    # Plain quoting stays as it is.
    assert plain("run `kernelhub envs` with {connection_file}") == (
        "run `kernelhub envs` with {connection_file}"
    )


def _not_messages(tree: ast.AST) -> set[int]:
    """The string constants that are documentation (module, class, function, attribute) or
    patterns given to ``re``: never shown to anyone."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip.add(id(node.value))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "re"
        ):
            skip.update(id(arg) for arg in node.args)
    return skip


def test_no_message_in_the_library_carries_markup() -> None:
    # Error messages, warnings and help strings are string literals that are not docstrings:
    # any of them may be shown to a user as it is.
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _not_messages(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in skip
                and MARKUP.search(node.value)
            ):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}: {node.value[:60]!r}")
    assert found == [], found
