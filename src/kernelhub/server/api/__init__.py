"""The REST handlers of Jupyter Server's kernel API (``api.yaml`` beside them is its OpenAPI
description, shipped as package data): kernels, kernelspecs, sessions and the small endpoints.
Handlers are thin: they check a request and call the hub."""
