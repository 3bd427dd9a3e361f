"""The ``kernelhub`` command."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    return 0
