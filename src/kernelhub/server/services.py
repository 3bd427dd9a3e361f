"""The server's background services, plugged into the app's lifespan: state, culling, pools,
and the WebSocket bridges.

The channels attachment is added when the app is made, so that every kernel has its bridge
from its start (or re-attachment) on: its IOPub SUB socket keeps ``execution_state`` and
``last_activity`` whether or not a client has connected (a kernel that nobody watched would
stay ``busy`` forever after a re-attachment found it running code). It costs one socket and a
few ``kernel_info`` requests on control per kernel, a fraction of a millisecond of a start;
pool kernels get theirs when taken. The bridges close after the hub (the app's ``after_close``).

At startup, before the first request: the state database opens and this server registers in
it, kernels left by an earlier server are re-attached and their sessions put back, then the
culler and the pools start. At shutdown, in reverse: pools (their kernels belong to nobody and
are shut down), the culler; then the hub closes (kernels detached or, with
``shutdown_kernels_on_exit``, shut down, which empties their rows); then the database closes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kernelhub.server.channels.endpoint import channels_attachment
from kernelhub.server.kernels.culler import Culler

if TYPE_CHECKING:
    from kernelhub.server.app import App

__all__ = ["install"]

log = logging.getLogger("kernelhub.server")


def install(app: App) -> None:
    """Add the services' startup and shutdown hooks to ``app``."""
    hub = app.hub
    culler = Culler(hub)
    app.after_close.append(channels_attachment(hub).aclose)

    async def start() -> None:
        from kernelhub.server.kernels.pool import Pools
        from kernelhub.server.state.reattach import reattach
        from kernelhub.server.state.store import StateStore

        pools = Pools(hub)
        await pools.check()  # a bad pool setting stops the start before anything runs
        store = StateStore.open(hub.config.state_dir)
        app.after_close.append(store.aclose)
        hub.add_attachment(store)
        await reattach(hub, store, app.sessions)
        store.follow_sessions(app.sessions)
        store.start_flushing()
        culler.start()
        app.on_shutdown.append(culler.aclose)
        if pools.pools:
            pools.store = store
            app.on_shutdown.append(pools.aclose)
            await pools.start()

    app.on_startup.insert(0, start)
