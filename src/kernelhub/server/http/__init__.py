"""The server's HTTP plumbing: the ASGI toolkit (:mod:`.asgi`), the token and origin checks
(:mod:`.auth`), connection limits and timeouts in front of uvicorn (:mod:`.connlimits`) and the
home page (:mod:`.page`). Nothing here knows about kernels."""
