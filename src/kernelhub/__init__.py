"""kernelhub: find, register, launch and keep alive Jupyter kernels.

The public names are listed in ``__all__`` and imported lazily, so that ``import kernelhub``
(and so the ``kernelhub`` command) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it; resolved on first attribute access (PEP 562).
_EXPORTS: dict[str, str] = {
    "ClientClosedError": "kernelhub.errors",
    "ConnectionFileError": "kernelhub.errors",
    "EnvError": "kernelhub.errors",
    "InvalidNameError": "kernelhub.errors",
    "InvalidSpecError": "kernelhub.errors",
    "KernelDiedError": "kernelhub.errors",
    "KernelTimeoutError": "kernelhub.errors",
    "KernelhubError": "kernelhub.errors",
    "LaunchError": "kernelhub.errors",
    "LaunchParamsError": "kernelhub.errors",
    "LocalProtocolError": "kernelhub.errors",
    "NoSuchKernelError": "kernelhub.errors",
    "ProtocolError": "kernelhub.errors",
    "ProviderError": "kernelhub.errors",
    "RemoteProtocolError": "kernelhub.errors",
    "SignatureError": "kernelhub.errors",
    "SpecError": "kernelhub.errors",
    "SpecExistsError": "kernelhub.errors",
}

__all__ = [
    "ClientClosedError",
    "ConnectionFileError",
    "EnvError",
    "InvalidNameError",
    "InvalidSpecError",
    "KernelDiedError",
    "KernelTimeoutError",
    "KernelhubError",
    "LaunchError",
    "LaunchParamsError",
    "LocalProtocolError",
    "NoSuchKernelError",
    "ProtocolError",
    "ProviderError",
    "RemoteProtocolError",
    "SignatureError",
    "SpecError",
    "SpecExistsError",
    "__version__",
]

if TYPE_CHECKING:  # pragma: no cover
    from kernelhub.errors import (
        ClientClosedError as ClientClosedError,
    )
    from kernelhub.errors import (
        ConnectionFileError as ConnectionFileError,
    )
    from kernelhub.errors import (
        EnvError as EnvError,
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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kernelhub' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
