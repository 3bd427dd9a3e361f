"""``kernelhub serve``: Jupyter Server's kernel REST + WebSocket API over every kernel source.

A raw ASGI application (no web framework: :mod:`kernelhub.server.http.asgi` is the whole toolkit),
served by uvicorn. :func:`~kernelhub.server.app.create_app` builds it from a
:class:`~kernelhub.server.config.ServerConfig`; :class:`~kernelhub.server.kernels.hub.KernelHub` is
the registry of running kernels that the REST handlers, the WebSocket bridge, the state store, the
culler and the pools all share.
"""

from __future__ import annotations
