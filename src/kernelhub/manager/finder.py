"""The kernel finder that also launches: find a kernel type by name, start a kernel of it.

:class:`kernelhub.providers.finder.KernelFinder` finds and describes kernel types and never
starts anything (providers sit below the launchers and the manager). This subclass, exported
as ``kernelhub.KernelFinder``, adds :meth:`KernelFinder.launch`, which needs the manager.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kernelhub.connection import ConnectionInfo
from kernelhub.manager.manager import KernelManager
from kernelhub.providers import finder

__all__ = ["KernelFinder"]


class KernelFinder(finder.KernelFinder):
    """Finds kernel types across providers, and starts kernels of them (:meth:`launch`).

    ``KernelFinder(providers)`` uses exactly those; :meth:`from_entrypoints` loads the
    registered ones.
    """

    async def launch(
        self,
        name: str,
        cwd: str | None = None,
        launch_params: Mapping[str, Any] | None = None,
        **manager_options: Any,
    ) -> tuple[ConnectionInfo, KernelManager]:
        """Start a kernel of type ``name`` (an id or a bare spec name) and wait until it is ready.

        Returns its connection info and the :class:`~kernelhub.manager.KernelManager` that owns
        it (close the manager to stop the kernel). ``launch_params`` are checked against the
        type's schema; ``manager_options`` go to the manager (``env``, ``autorestart``, ...).
        An invalid kernelspec raises :class:`~kernelhub.errors.InvalidSpecError` naming its
        kernel.json and the field at fault.
        """
        kernel_type = self.get(name)
        kernel_type.check_launchable()
        manager = KernelManager(
            kernel_type, cwd=cwd, launch_params=launch_params, **manager_options
        )
        try:
            await manager.start()
        except BaseException:
            await manager.aclose()
            raise
        assert manager.connection_info is not None  # set by a successful start
        return manager.connection_info, manager
