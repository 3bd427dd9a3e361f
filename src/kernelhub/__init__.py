"""kernelhub: find, register, launch and keep alive Jupyter kernels.

The public names are listed in ``__all__`` and imported lazily, so that ``import kernelhub``
(and so the ``kernelhub`` command) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernelhub._lazy import load
from kernelhub._version import __version__

# name -> module that defines it; resolved on first attribute access (PEP 562).
_EXPORTS: dict[str, str] = {
    "AsyncKernelClient": "kernelhub.client",
    "BlockingKernel": "kernelhub.kernel",
    "BlockingKernelClient": "kernelhub.client",
    "ClientClosedError": "kernelhub.errors",
    "ConfigError": "kernelhub.errors",
    "ConnectionFileError": "kernelhub.errors",
    "ConnectionInfo": "kernelhub.connection",
    "EnvError": "kernelhub.errors",
    "ExecuteResult": "kernelhub.client",
    "InvalidArgumentError": "kernelhub.errors",
    "InvalidNameError": "kernelhub.errors",
    "InvalidSpecError": "kernelhub.errors",
    "Kernel": "kernelhub.kernel",
    "KernelDiedError": "kernelhub.errors",
    "KernelExistsError": "kernelhub.errors",
    "KernelEvent": "kernelhub.manager.events",
    "KernelFinder": "kernelhub.manager.finder",
    "KernelManager": "kernelhub.manager",
    "KernelTimeoutError": "kernelhub.errors",
    "KernelType": "kernelhub.providers.base",
    "KernelhubError": "kernelhub.errors",
    "LaunchError": "kernelhub.errors",
    "LaunchParamsError": "kernelhub.errors",
    "LocalProtocolError": "kernelhub.errors",
    "Message": "kernelhub.protocol",
    "MultiKernelManager": "kernelhub.multikernel",
    "NoSuchKernelError": "kernelhub.errors",
    "Output": "kernelhub.client",
    "PathError": "kernelhub.errors",
    "ProtocolError": "kernelhub.errors",
    "Provider": "kernelhub.providers.base",
    "ProviderError": "kernelhub.errors",
    "RemoteProtocolError": "kernelhub.errors",
    "RestartPolicy": "kernelhub.manager.restarter",
    "Session": "kernelhub.protocol",
    "SignatureError": "kernelhub.errors",
    "SpecError": "kernelhub.errors",
    "SpecExistsError": "kernelhub.errors",
    "UnknownArgumentError": "kernelhub.errors",
    "UsageError": "kernelhub.errors",
    "WrongStateError": "kernelhub.errors",
    "start_kernel": "kernelhub.kernel",
    "start_kernel_blocking": "kernelhub.kernel",
}

__all__ = [
    "AsyncKernelClient",
    "BlockingKernel",
    "BlockingKernelClient",
    "ClientClosedError",
    "ConfigError",
    "ConnectionFileError",
    "ConnectionInfo",
    "EnvError",
    "ExecuteResult",
    "InvalidArgumentError",
    "InvalidNameError",
    "InvalidSpecError",
    "Kernel",
    "KernelDiedError",
    "KernelEvent",
    "KernelExistsError",
    "KernelFinder",
    "KernelManager",
    "KernelTimeoutError",
    "KernelType",
    "KernelhubError",
    "LaunchError",
    "LaunchParamsError",
    "LocalProtocolError",
    "Message",
    "MultiKernelManager",
    "NoSuchKernelError",
    "Output",
    "PathError",
    "ProtocolError",
    "Provider",
    "ProviderError",
    "RemoteProtocolError",
    "RestartPolicy",
    "Session",
    "SignatureError",
    "SpecError",
    "SpecExistsError",
    "UnknownArgumentError",
    "UsageError",
    "WrongStateError",
    "__version__",
    "start_kernel",
    "start_kernel_blocking",
]

if TYPE_CHECKING:  # pragma: no cover
    from kernelhub.client import (
        AsyncKernelClient as AsyncKernelClient,
    )
    from kernelhub.client import (
        BlockingKernelClient as BlockingKernelClient,
    )
    from kernelhub.client import (
        ExecuteResult as ExecuteResult,
    )
    from kernelhub.client import (
        Output as Output,
    )
    from kernelhub.connection import (
        ConnectionInfo as ConnectionInfo,
    )
    from kernelhub.errors import (
        ClientClosedError as ClientClosedError,
    )
    from kernelhub.errors import (
        ConfigError as ConfigError,
    )
    from kernelhub.errors import (
        ConnectionFileError as ConnectionFileError,
    )
    from kernelhub.errors import (
        EnvError as EnvError,
    )
    from kernelhub.errors import (
        InvalidArgumentError as InvalidArgumentError,
    )
    from kernelhub.errors import (
        InvalidNameError as InvalidNameError,
    )
    from kernelhub.errors import (
        InvalidSpecError as InvalidSpecError,
    )
    from kernelhub.errors import (
        KernelDiedError as KernelDiedError,
    )
    from kernelhub.errors import (
        KernelExistsError as KernelExistsError,
    )
    from kernelhub.errors import (
        KernelhubError as KernelhubError,
    )
    from kernelhub.errors import (
        KernelTimeoutError as KernelTimeoutError,
    )
    from kernelhub.errors import (
        LaunchError as LaunchError,
    )
    from kernelhub.errors import (
        LaunchParamsError as LaunchParamsError,
    )
    from kernelhub.errors import (
        LocalProtocolError as LocalProtocolError,
    )
    from kernelhub.errors import (
        NoSuchKernelError as NoSuchKernelError,
    )
    from kernelhub.errors import (
        PathError as PathError,
    )
    from kernelhub.errors import (
        ProtocolError as ProtocolError,
    )
    from kernelhub.errors import (
        ProviderError as ProviderError,
    )
    from kernelhub.errors import (
        RemoteProtocolError as RemoteProtocolError,
    )
    from kernelhub.errors import (
        SignatureError as SignatureError,
    )
    from kernelhub.errors import (
        SpecError as SpecError,
    )
    from kernelhub.errors import (
        SpecExistsError as SpecExistsError,
    )
    from kernelhub.errors import (
        UnknownArgumentError as UnknownArgumentError,
    )
    from kernelhub.errors import (
        UsageError as UsageError,
    )
    from kernelhub.errors import (
        WrongStateError as WrongStateError,
    )
    from kernelhub.kernel import (
        BlockingKernel as BlockingKernel,
    )
    from kernelhub.kernel import (
        Kernel as Kernel,
    )
    from kernelhub.kernel import (
        start_kernel as start_kernel,
    )
    from kernelhub.kernel import (
        start_kernel_blocking as start_kernel_blocking,
    )
    from kernelhub.manager import (
        KernelManager as KernelManager,
    )
    from kernelhub.manager.events import (
        KernelEvent as KernelEvent,
    )
    from kernelhub.manager.finder import (
        KernelFinder as KernelFinder,
    )
    from kernelhub.manager.restarter import (
        RestartPolicy as RestartPolicy,
    )
    from kernelhub.multikernel import (
        MultiKernelManager as MultiKernelManager,
    )
    from kernelhub.protocol import (
        Message as Message,
    )
    from kernelhub.protocol import (
        Session as Session,
    )
    from kernelhub.providers.base import (
        KernelType as KernelType,
    )
    from kernelhub.providers.base import (
        Provider as Provider,
    )


def __getattr__(name: str) -> Any:
    return load(__name__, _EXPORTS, name, globals())


def __dir__() -> list[str]:
    return sorted(__all__)
