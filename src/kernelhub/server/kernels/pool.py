"""The server's kernel pools: warm kernels, started ahead, that a ``POST /api/kernels`` takes
at once.

``config.pools`` (``--pool spec/python3=2``) names kernel types and how many warm kernels each
keeps; :class:`Pools` are the library's pools (:mod:`kernelhub.multikernel.pool`, where the
warm kernels' life is told) fed from them. They are the hub's
:attr:`~kernelhub.server.kernels.hub.KernelHub.starter`: a start of a pooled type with no
``env``, no kernel id and no launch parameters but the type's defaults takes a warm kernel; any
other start gets a fresh kernel as usual. Pool kernels start in the server's root. Only Python
kernels can be moved to the directory asked for, so a pool of any other language is refused at
start with an error naming the type (restarting a kernel on take would cost what the pool is
meant to save).

Pool kernels are not in the hub's registry, so ``GET /api/kernels`` does not list them; they
are recorded in the state database as ``pooled`` so that a crash leaves nothing unmanaged.
"""

from __future__ import annotations

from collections.abc import Callable

from kernelhub.errors import KernelhubError
from kernelhub.manager import KernelManager
from kernelhub.multikernel import pool
from kernelhub.multikernel.pool import MOVE_TIMEOUT
from kernelhub.providers.base import KernelType
from kernelhub.server.config import ConfigError
from kernelhub.server.kernels.hub import KernelHub
from kernelhub.server.kernels.served import StartRequest
from kernelhub.server.state.store import StateStore

__all__ = ["MOVE_TIMEOUT", "Pools"]


class Pools(pool.Pools):
    """Every pool of one hub (see the module docstring); ``store`` records their kernels."""

    def __init__(self, hub: KernelHub, store: StateStore | None = None) -> None:
        super().__init__()
        self.hub = hub
        self.store = store

    async def check(self) -> None:
        """Resolve the configured pools' kernel types (nothing starts yet). Raises
        ConfigError for an unknown or non-Python kernel type."""
        listing = await self.hub.names.listing()
        for type_id, size in self.hub.config.pools.items():
            try:
                kernel_type = self.hub.names.resolve(listing, type_id)
            except KernelhubError as exc:
                raise ConfigError(f"pools: {exc}") from None
            if kernel_type.language.lower() != "python":
                raise ConfigError(
                    f"pools: cannot pool {type_id} (language {kernel_type.language!r}): a pooled "
                    "kernel must be moved to the directory asked for, which kernelhub can do "
                    "only for Python kernels"
                )
            name = listing.name_of(kernel_type)
            self.add(kernel_type, name, size, self._maker(kernel_type, name))

    def _maker(self, kernel_type: KernelType, name: str) -> Callable[[], KernelManager]:
        def make() -> KernelManager:
            request = StartRequest(kernel_type, name, self.hub.config.root, {}, {})
            return self.hub.make_manager(request)

        return make

    async def start(self) -> None:
        """Check the pools (see :meth:`check`) if that was not done, install the starter hook
        and start filling."""
        if not self.pools:
            await self.check()
        self.start_filling()
        self.hub.starter = self.take

    async def take(self, request: StartRequest) -> KernelManager | None:
        """The hub's starter hook: a warm kernel moved to ``request.cwd``, or ``None``."""
        if request.env or request.kernel_id:
            return None
        return await self.take_warm(request.kernel_type.id, request.cwd, request.launch_params)

    def warmed(self, manager: KernelManager, name: str) -> None:
        """Record a warm kernel in the state database."""
        if self.store is not None:
            self.store.save_manager(manager, name, pooled=True)

    def discarded(self, kernel_id: str) -> None:
        """Take a discarded kernel out of the state database."""
        if self.store is not None:
            self.store.forget_kernel(kernel_id)

    async def aclose(self) -> None:
        """Uninstall the starter hook, stop filling and shut every warm kernel down."""
        if self.hub.starter == self.take:
            self.hub.starter = None
        await super().aclose()
