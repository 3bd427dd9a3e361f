"""Many kernels: the one registry of running kernels (:class:`MultiKernelManager`, which the
server's hub is built on), pools of warm kernels (:class:`Pools`) and the culler that shuts
down the ones nobody uses."""

from __future__ import annotations

from kernelhub.multikernel.culler import Culler
from kernelhub.multikernel.pool import Pools
from kernelhub.multikernel.registry import MultiKernelManager

__all__ = ["Culler", "MultiKernelManager", "Pools"]
