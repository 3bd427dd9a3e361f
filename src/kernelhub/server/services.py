"""The server's background services, plugged into the app's lifespan: state, culling, pools.

At startup, before the first request: the state database opens and this server registers in
it, the WebSocket bridges' attachment is installed (so that IOPub keeps ``execution_state`` and
``last_activity`` current for every kernel, with or without clients, which culling relies on),
kernels left by an earlier server are re-attached and their sessions put back, then the
culler and the pools start. At shutdown, in reverse: pools (their kernels belong to nobody and
are shut down), the culler, the bridges; then the hub closes (kernels detached or, with
``shutdown_kernels_on_exit``, shut down, which empties their rows); then the database closes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kernelhub.server.culler import Culler

if TYPE_CHECKING:
    from kernelhub.server.app import App

__all__ = ["install"]

log = logging.getLogger("kernelhub.server")


def install(app: App) -> None:
    """Add the services' startup and shutdown hooks to ``app``."""
    hub = app.hub
    culler = Culler(hub)

    async def start() -> None:
        from kernelhub.server.channels import channels_attachment
        from kernelhub.server.reattach import reattach
        from kernelhub.server.state import StateStore

        store = StateStore.open(hub.config.state_dir)
        app.after_close.append(store.aclose)
        hub.add_attachment(store)
        bridges = channels_attachment(hub)
        app.on_shutdown.append(bridges.aclose)
        await reattach(hub, store, app.sessions)
        store.follow_sessions(app.sessions)
        store.start_flushing()
        culler.start()
        app.on_shutdown.append(culler.aclose)

    app.on_startup.insert(0, start)
