"""The WebSocket side: the endpoint that accepts a ``/api/kernels/<id>/channels`` socket, the
bridge that carries a kernel's five ZeroMQ channels to every connected socket, one socket's
connection with its outbox, the two frame formats, the ZeroMQ wire and memory trimming."""
