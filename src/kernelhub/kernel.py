"""One-liners: a started kernel and a connected client in one object.

::

    async with kernelhub.start_kernel("spec/python3") as kernel:
        result = await kernel.execute("1+1")

    with kernelhub.start_kernel_blocking("python3") as kernel:
        print(kernel.execute("1+1").text)
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from kernelhub.aio import AsyncResource, BlockingResource
from kernelhub.client.async_client import AsyncKernelClient
from kernelhub.client.blocking import BlockingExecution, BlockingKernelClient
from kernelhub.client.execution import Execution
from kernelhub.client.portal import BlockingPortal
from kernelhub.client.results import ExecuteResult
from kernelhub.errors import ClientClosedError

if TYPE_CHECKING:
    from typing_extensions import Self

    from kernelhub.manager import KernelManager
    from kernelhub.providers.base import KernelType

__all__ = ["BlockingKernel", "Kernel", "start_kernel", "start_kernel_blocking"]


def _resolve(kernel_type: str | KernelType) -> KernelType:
    if not isinstance(kernel_type, str):
        return kernel_type
    from kernelhub.providers.finder import KernelFinder

    return KernelFinder.from_entrypoints().get(kernel_type)


class Kernel(AsyncResource):
    """A running kernel (its :attr:`manager`) and a ready client of it (:attr:`client`).

    Made by :func:`start_kernel`; started by ``async with`` (or :meth:`start`) and shut down
    when the block ends (or by :meth:`aclose`).
    """

    def __init__(
        self,
        kernel_type: str | KernelType,
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        launch_params: Mapping[str, Any] | None = None,
        timeout: float = 60,
        **manager_options: Any,
    ) -> None:
        self._requested = kernel_type
        self._options = dict(manager_options, cwd=cwd, env=env, launch_params=launch_params)
        self._timeout = timeout
        self._manager: KernelManager | None = None
        self._client: AsyncKernelClient | None = None
        # What start() opened, closed in reverse by aclose(): the client, then the manager.
        self._opened = AsyncExitStack()

    @property
    def manager(self) -> KernelManager:
        """The kernel's manager (start, interrupt, restart, shutdown, death reasons)."""
        if self._manager is None:
            raise ClientClosedError("the kernel has not been started")
        return self._manager

    @property
    def client(self) -> AsyncKernelClient:
        """The connected client."""
        if self._client is None:
            raise ClientClosedError("the kernel has not been started")
        return self._client

    @property
    def kernel_type(self) -> KernelType:
        """The kernel type that was started."""
        return self.manager.kernel_type

    async def start(self) -> Kernel:
        """Start the kernel and connect the client; returns ``self``."""
        from kernelhub.manager import KernelManager

        if self._manager is not None:
            return self
        manager = KernelManager(_resolve(self._requested), **self._options)
        self._manager = manager
        self._opened.push_async_callback(manager.aclose)
        try:
            await manager.start(timeout=self._timeout)
            self._client = client = await self._opened.enter_async_context(manager.client())
            await client.wait_for_ready(timeout=self._timeout)
        except BaseException:
            await self.aclose()
            raise
        return self

    async def aclose(self) -> None:
        """Close the client and shut the kernel down."""
        await self._opened.aclose()

    async def __aenter__(self) -> Self:
        await self.start()
        return await super().__aenter__()

    async def execute(self, code: str, **kwargs: Any) -> ExecuteResult:
        """Run ``code``; see :meth:`AsyncKernelClient.execute`."""
        return await self.client.execute(code, **kwargs)

    def stream(self, code: str, **kwargs: Any) -> Execution:
        """Run ``code``, iterating over outputs; see :meth:`AsyncKernelClient.stream`."""
        return self.client.stream(code, **kwargs)

    async def interrupt(self) -> None:
        """Interrupt the running code (by signal or message, as the kernel type says)."""
        await self.manager.interrupt()

    async def restart(self, now: bool = False) -> dict[str, Any]:
        """Restart the kernel (a fresh process, the same ports); the new kernel_info_reply."""
        await self.manager.restart(now=now, timeout=self._timeout)
        # The client's sockets reconnect by themselves; IOPub must be proven again.
        return await self.client.wait_for_ready(timeout=self._timeout)

    async def shutdown(self, now: bool = False) -> None:
        """Shut the kernel down (gracefully unless ``now``)."""
        await self.manager.shutdown(now=now)


def start_kernel(kernel_type: str | KernelType, **kwargs: Any) -> Kernel:
    """A :class:`Kernel` of ``kernel_type`` (an id such as ``"spec/python3"``, a bare spec
    name, or a :class:`KernelType`), to be used as ``async with start_kernel(...) as kernel``.

    Keyword arguments: ``cwd``, ``env``, ``launch_params``, ``timeout`` (for the start) and any
    other :class:`~kernelhub.manager.KernelManager` option.
    """
    return Kernel(kernel_type, **kwargs)


class BlockingKernel(BlockingResource):
    """A :class:`Kernel` driven from blocking code (on a background event loop).

    Started on construction; ``with`` or :meth:`close` shuts it down and stops the thread.
    """

    def __init__(self, kernel_type: str | KernelType, **kwargs: Any) -> None:
        self._portal = BlockingPortal("kernelhub-kernel")
        self._kernel = Kernel(kernel_type, **kwargs)
        try:
            self._portal.call(self._kernel.start)
        except BaseException:
            self._portal.stop()
            raise
        self.client = BlockingKernelClient.wrap(self._kernel.client, self._portal)
        """A blocking client of the kernel (same methods as :class:`AsyncKernelClient`)."""

    @property
    def kernel(self) -> Kernel:
        """The async :class:`Kernel` (use it only on :attr:`portal`'s loop)."""
        return self._kernel

    @property
    def portal(self) -> BlockingPortal:
        """The portal running the kernel's loop."""
        return self._portal

    @property
    def manager(self) -> KernelManager:
        """The kernel's manager (call its coroutines through :attr:`portal`)."""
        return self._kernel.manager

    @property
    def kernel_type(self) -> KernelType:
        """The kernel type that was started."""
        return self._kernel.kernel_type

    def execute(self, code: str, **kwargs: Any) -> ExecuteResult:
        """Run ``code``; see :meth:`BlockingKernelClient.execute`."""
        return self.client.execute(code, **kwargs)

    def stream(self, code: str, **kwargs: Any) -> BlockingExecution:
        """Run ``code``, iterating over outputs; see :meth:`BlockingKernelClient.stream`."""
        return self.client.stream(code, **kwargs)

    def interrupt(self) -> None:
        """Interrupt the running code."""
        self._portal.call(self._kernel.interrupt)

    def restart(self, now: bool = False) -> dict[str, Any]:
        """Restart the kernel; the new kernel_info_reply content."""
        return self._portal.call(self._kernel.restart, now)

    def shutdown(self, now: bool = False) -> None:
        """Shut the kernel down (gracefully unless ``now``)."""
        self._portal.call(self._kernel.shutdown, now)

    def close(self) -> None:
        """Shut the kernel down and stop the background thread."""
        try:
            self._portal.call(self._kernel.aclose)
        finally:
            self._portal.stop()


def start_kernel_blocking(kernel_type: str | KernelType, **kwargs: Any) -> BlockingKernel:
    """Start a kernel for blocking code: ``with start_kernel_blocking("python3") as kernel``.

    Same arguments as :func:`start_kernel`.
    """
    return BlockingKernel(kernel_type, **kwargs)
