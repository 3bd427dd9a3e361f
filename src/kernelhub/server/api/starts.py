"""How the API answers a kernel start that failed, and the words of its 404s.

One table for ``POST /api/kernels``, ``POST /api/sessions`` and ``PATCH /api/sessions/{id}``
(the README's server section has it too). Where Jupyter Server defines a status for a case,
it is Jupyter Server's (its sessions answer 501 for an unknown kernel name; a session's
PATCH, 501 for any kernel that could not be started; a duplicate kernel id, 409); the
messages are its words where clients read them, followed by ours (what was wrong):

=================================  =============  ================  ================
the start failed because           POST kernels   POST sessions     PATCH sessions
=================================  =============  ================  ================
no kernel type has that name       404            501               501
bad body, launch params or path    400            400               400
the kernel id is already in use    409            (attaches to it)  (attaches to it)
the kernel failed to start         500            500               501
=================================  =============  ================  ================

"Failed to start" is every other kernelhub error on the way: its program is missing, it died
before answering, it did not answer in time, its kernel type is invalid. The hub logs each
failed start on one line with its reason (:meth:`KernelHub.start_kernel`).
"""

from __future__ import annotations

from typing import Literal

from kernelhub.errors import (
    KernelExistsError,
    KernelhubError,
    LaunchParamsError,
    NoSuchKernelError,
)
from kernelhub.server.http.asgi import HTTPError
from kernelhub.server.kernels.rootdir import PathError

__all__ = ["StartVia", "already_running", "not_found_message", "start_failure"]

#: Which request started the kernel.
StartVia = Literal["kernels", "session", "session-patch"]


def _suggestions(exc: NoSuchKernelError) -> str:
    if not exc.suggestions:
        return ""
    return "; did you mean " + " or ".join(repr(s) for s in exc.suggestions) + "?"


def not_found_message(exc: NoSuchKernelError) -> str:
    """Jupyter Server's message for an unknown kernel id (``Kernel does not exist: ID``) or
    kernel type (``Kernel spec NAME not found``, then close matches); ours for the rest."""
    if exc.what == "kernel":
        return f"Kernel does not exist: {exc.name}"
    if exc.what == "kernel type":
        return f"Kernel spec {exc.name} not found{_suggestions(exc)}"
    return str(exc)


def already_running(kernel_id: str) -> HTTPError:
    """409 for a client-supplied kernel id that a running kernel has (Jupyter Server's
    ``DuplicateKernelError`` words)."""
    return HTTPError(409, f"Kernel already exists: {kernel_id}")


def start_failure(exc: Exception, name: str | None, via: StartVia) -> Exception:
    """What to raise for ``exc``, raised while starting a kernel of type ``name`` (the
    table of the module docstring). Anything that is not a kernelhub error is returned as
    it is: a bug, answered 500 (and logged with its traceback) by the app."""
    if isinstance(exc, HTTPError) or not isinstance(exc, KernelhubError):
        return exc
    label = name or "default"
    if isinstance(exc, NoSuchKernelError) and exc.what == "kernel type":
        if via == "kernels":
            return HTTPError(404, not_found_message(exc))
        return HTTPError(
            501,
            f"The '{label}' kernel is not available. Please pick another suitable kernel "
            f"instead, or install that kernel.{_suggestions(exc)}",
        )
    if isinstance(exc, (PathError, LaunchParamsError)):
        return HTTPError(400, str(exc))
    if isinstance(exc, KernelExistsError) and via == "kernels":  # taken meanwhile
        return already_running(exc.kernel_id)
    if via == "session-patch":
        return HTTPError(501, f"The '{label}' kernel could not be started: {exc}")
    return HTTPError(500, f"The '{label}' kernel could not be started: {exc}")
